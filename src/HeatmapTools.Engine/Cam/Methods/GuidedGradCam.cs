using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Methods;

/// <summary>
/// Guided Grad-CAM: the Grad-CAM map, and guided backpropagation's input gradients, whose product shows the pixels
/// (not only the region) behind the class. The overlay is that product, as pytorch-grad-cam's example draws it.
/// </summary>
public sealed class GuidedGradCam : GradientCamMethod
{
    public override string Name => "GuidedGradCAM";
    public override string Paper => "Selvaraju et al. 2017, Grad-CAM (Guided Grad-CAM), with Springenberg et al. 2015's guided backpropagation";
    public override bool UsesGuidedBackprop => true;
    protected override Tensor Weigh(Tensor a, Tensor g, CamOptions options) => WeightedSum(a, g.mean(Spatial), options);
}
