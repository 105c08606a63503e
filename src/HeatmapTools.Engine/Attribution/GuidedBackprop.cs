using static TorchSharp.torch;

namespace HeatmapTools.Engine.Attribution;

/// <summary>
/// The target's gradient at the input with every ReLU module passing back only positive gradients at positive inputs
/// (Captum's GuidedBackprop; functional relus inside blocks are not guided, as in Captum).
/// </summary>
public sealed class GuidedBackprop : AttributionMethod
{
    public override string Name => "GuidedBackprop";
    public override string Paper => "Springenberg et al. 2015, Striving for Simplicity: The All Convolutional Net";
    public override Tensor Attribute(AttributionContext context) =>
        Cam.GuidedBackprop.InputGradients(context.Model, context.Input, new[] { context.Target });
}
