using static TorchSharp.torch;

namespace HeatmapTools.Engine.Attribution;

/// <summary>The magnitude of the target's gradient with respect to each input value (Captum's Saliency, abs=True).</summary>
public sealed class Saliency : AttributionMethod
{
    public override string Name => "Saliency";
    public override string Paper => "Simonyan et al. 2014, Deep Inside Convolutional Networks: Visualising Image Classification Models and Saliency Maps";
    public override Tensor Attribute(AttributionContext context) => context.Gradients(context.Input).abs();

    // Rows are independent: their gradients come a chunk at a time.
    public override Tensor AttributeEach(AttributionContext context, Tensor inputs) => context.Gradients(inputs).abs();
}
