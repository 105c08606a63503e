using HeatmapTools.Engine.Models;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Targets;

/// <summary>
/// What a map explains: the scalar a target makes of the model's output, as pytorch-grad-cam's targets are callables on
/// the output. Gradient methods differentiate it; Score-CAM and Ablation-CAM read it off perturbed inputs. Each target
/// is one file in this folder, with the <see cref="TargetKind"/> that makes it from -Target.
/// </summary>
public abstract class CamTarget
{
    /// <summary>The class the map is filed under (named and keyed by); -1 for a target of no one class.</summary>
    public abstract int ClassIndex { get; }

    /// <summary>The -Target name of this target's kind.</summary>
    public abstract string Kind { get; }

    /// <summary>What the map explains, for records and output names: the class's label, or more ("n02123045+n02124075").</summary>
    public virtual string Label(ClassLabels labels) => labels[ClassIndex].Name;

    /// <summary>Whether <see cref="Score(Tensor)"/> reads the pooled features the head takes (B x channels) rather than the outputs (B x classes).</summary>
    public virtual bool UsesFeatures => false;

    /// <summary>Refuses a target the model cannot answer (a class outside its head), before any work.</summary>
    public virtual void Validate(LayeredModel model)
    {
    }

    /// <summary>One scalar per sample from model outputs (B x classes), or features when <see cref="UsesFeatures"/>; differentiable.</summary>
    public abstract Tensor Score(Tensor output);

    /// <summary>
    /// One scalar per sample for inputs that enter the network at stage <paramref name="from"/> (Score-CAM's masked
    /// images enter at 0, Ablation-CAM's ablated activations above their layer).
    /// </summary>
    public virtual Tensor Score(LayeredModel model, Tensor input, int from) =>
        Score(UsesFeatures ? model.PooledFeatures(input, from) : model.Output(input, from));

    /// <summary>The {target} of output names: the kind, or more where one image has several maps of a kind (a detector's "box2").</summary>
    public virtual string NameToken => Kind.ToLowerInvariant();

    /// <summary>Which map this is, for held-map keys: the kind and what it was made for.</summary>
    public virtual string Key => $"{Kind}:{ClassIndex}";

    /// <summary>A class index given where a target is expected is that class's logit; null leaves the choice to the model.</summary>
    public static implicit operator CamTarget?(int? classIndex) => classIndex is int c ? new ClassTarget(c) : null;

    /// <summary>Refuses a class outside the model's head (UnknownClass).</summary>
    protected static void RequireClass(LayeredModel model, int classIndex)
    {
        if (model.Info.IsSegmentation)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"{model.Name} is a segmentation model: its output is a map per category, which a class's score does not read. " +
                "Explain a category over a region (-Target Segment, with -Region or -RegionMask).", model.Name);
        if (model.Info.IsDetection)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"{model.Name} is a detector: its output is boxes with class scores, which a class's score does not read. Explain its boxes (-Target Box, " +
                "the default: its detections, or -Box with -ClassIndex).", model.Name);
        if (classIndex < 0 || classIndex >= model.NumClasses)
            throw new HeatmapToolsException(ErrorIds.UnknownClass, ErrorKind.InvalidArgument,
                $"Class index {classIndex} is outside 0..{model.NumClasses - 1}.", classIndex);
    }
}
