using HeatmapTools.Engine.Models;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Targets;

/// <summary>The raw logit of one class, pytorch-grad-cam's ClassifierOutputTarget.</summary>
public sealed class ClassTarget : CamTarget
{
    public ClassTarget(int classIndex) => ClassIndex = classIndex;

    public override int ClassIndex { get; }

    public override void Validate(LayeredModel model)
    {
        if (ClassIndex < 0 || ClassIndex >= model.NumClasses)
            throw new HeatmapToolsException(ErrorIds.UnknownClass, ErrorKind.InvalidArgument,
                $"Class index {ClassIndex} is outside 0..{model.NumClasses - 1}.", ClassIndex);
    }

    public override Tensor Score(Tensor output) => output[.., ClassIndex];

    // The head can compute one class alone, which is what Score-CAM's thousands of masked passes need.
    public override Tensor Score(LayeredModel model, Tensor input, int from) => model.ClassLogit(input, from, ClassIndex);

    public override bool Equals(object? obj) => obj is ClassTarget other && other.ClassIndex == ClassIndex;
    public override int GetHashCode() => ClassIndex;
    public override string ToString() => $"class {ClassIndex}";
}
