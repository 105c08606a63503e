using HeatmapTools.Engine.Models;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Targets;

/// <summary>The raw logit of one class, pytorch-grad-cam's ClassifierOutputTarget (for a one-logit head, its BinaryClassifierOutputTarget(1)).</summary>
public sealed class ClassTarget : CamTarget
{
    public ClassTarget(int classIndex) => ClassIndex = classIndex;

    public override int ClassIndex { get; }
    public override string Kind => Maker.Name;

    public override void Validate(LayeredModel model) => RequireClass(model, ClassIndex);

    public override Tensor Score(Tensor output) => output[.., ClassIndex];

    // The head can compute one class alone, which is what Score-CAM's thousands of masked passes need.
    public override Tensor Score(LayeredModel model, Tensor input, int from) => model.ClassLogit(input, from, ClassIndex);

    public override bool Equals(object? obj) => obj is ClassTarget other && other.ClassIndex == ClassIndex;
    public override int GetHashCode() => ClassIndex;
    public override string ToString() => $"class {ClassIndex}";

    /// <summary>-Target Logit, the default: each class asked for (or the top ones) by its logit.</summary>
    internal sealed class Maker : TargetKind
    {
        public const string Name = "Logit";
        public override string KindName => Name;
        public override IEnumerable<CamTarget> For(TargetContext context, IReadOnlyList<int> classes) => classes.Select(c => new ClassTarget(c));
    }
}
