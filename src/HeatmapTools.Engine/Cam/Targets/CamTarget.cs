using HeatmapTools.Engine.Models;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Targets;

/// <summary>
/// What a map explains: the scalar a target makes of the model's output, as pytorch-grad-cam's targets are callables on
/// the output. Gradient methods differentiate it; Score-CAM and Ablation-CAM read it off perturbed inputs. Each target
/// is one file in this folder.
/// </summary>
public abstract class CamTarget
{
    /// <summary>The class the map is filed under (named and labelled by).</summary>
    public abstract int ClassIndex { get; }

    /// <summary>Refuses a target the model cannot answer (a class outside its head), before any work.</summary>
    public virtual void Validate(LayeredModel model)
    {
    }

    /// <summary>One scalar per sample from model outputs (B x classes); differentiable.</summary>
    public abstract Tensor Score(Tensor output);

    /// <summary>
    /// One scalar per sample for inputs that enter the network at stage <paramref name="from"/> (Score-CAM's masked
    /// images enter at 0, Ablation-CAM's ablated activations above their layer).
    /// </summary>
    public virtual Tensor Score(LayeredModel model, Tensor input, int from) => Score(model.Output(input, from));

    /// <summary>A class index given where a target is expected is that class's logit; null leaves the choice to the model.</summary>
    public static implicit operator CamTarget?(int? classIndex) => classIndex is int c ? new ClassTarget(c) : null;
}
