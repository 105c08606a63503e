using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Methods;

/// <summary>Grad-CAM: channels weighted by their spatially averaged gradient.</summary>
public sealed class GradCam : GradientCamMethod
{
    public override string Name => "GradCAM";
    public override string Paper => "Selvaraju et al. 2017, Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization";
    protected override Tensor Weigh(Tensor a, Tensor g, CamOptions options) => WeightedSum(a, g.mean(Spatial), options);
}
