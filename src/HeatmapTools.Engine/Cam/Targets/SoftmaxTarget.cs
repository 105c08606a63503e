using HeatmapTools.Engine.Models;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Targets;

/// <summary>
/// One class's softmax probability, pytorch-grad-cam's ClassifierOutputSoftmaxTarget: it rises when the class gains on
/// the others, so evidence shared with competing classes counts less than with the raw logit.
/// </summary>
public sealed class SoftmaxTarget(int classIndex) : CamTarget
{
    public override int ClassIndex => classIndex;
    public override string Kind => "Softmax";

    public override void Validate(LayeredModel model)
    {
        RequireClass(model, classIndex);
        if (model.NumClasses < 2)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"{model.Name} has one output: its softmax is 1 whatever the image, so there is nothing to explain. Use -Target Logit (or Negative).", Kind);
    }

    public override Tensor Score(Tensor output) => nn.functional.softmax(output, 1)[.., classIndex];

    internal sealed class Maker : TargetKind
    {
        public override string KindName => "Softmax";
        public override IEnumerable<CamTarget> For(TargetContext context, IReadOnlyList<int> classes) => classes.Select(c => new SoftmaxTarget(c));
    }
}
