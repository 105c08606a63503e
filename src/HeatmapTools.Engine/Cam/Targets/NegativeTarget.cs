using HeatmapTools.Engine.Models;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Targets;

/// <summary>
/// A one-logit head's logit negated, pytorch-grad-cam's BinaryClassifierOutputTarget(0): what makes the model call the
/// image negative (benign tissue for a tumour classifier), where the plain logit shows what makes it positive.
/// </summary>
public sealed class NegativeTarget : CamTarget
{
    public override int ClassIndex => 0;
    public override string Kind => "Negative";
    public override string Label(ClassLabels labels) => $"not {labels[0].Name}";

    public override void Validate(LayeredModel model)
    {
        if (model.NumClasses != 1)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"-Target Negative explains a one-logit (binary) head; {model.Name} has {model.NumClasses} outputs: " +
                "explain the negative class by its own index (-ClassIndex).", Kind);
    }

    public override Tensor Score(Tensor output) => -output[.., 0];

    internal sealed class Maker : TargetKind
    {
        public override string KindName => "Negative";
        public override bool UsesClasses => false;
        public override IEnumerable<CamTarget> For(TargetContext context, IReadOnlyList<int> classes) => new[] { new NegativeTarget() };
    }
}
