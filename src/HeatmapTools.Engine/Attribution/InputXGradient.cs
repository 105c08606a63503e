using static TorchSharp.torch;

namespace HeatmapTools.Engine.Attribution;

/// <summary>Each input value times the target's gradient with respect to it (Captum's InputXGradient).</summary>
public sealed class InputXGradient : AttributionMethod
{
    public override string Name => "InputXGradient";
    public override string Paper => "Shrikumar et al. 2016, Not Just a Black Box: Learning Important Features Through Propagating Activation Differences";
    public override Tensor Attribute(AttributionContext context) => context.Input * context.Gradients(context.Input);

    // Rows are independent: their gradients come a chunk at a time.
    public override Tensor AttributeEach(AttributionContext context, Tensor inputs) => inputs * context.Gradients(inputs);
}
