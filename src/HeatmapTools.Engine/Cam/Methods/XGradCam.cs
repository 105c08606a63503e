using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Methods;

/// <summary>XGrad-CAM: gradients weighted by the normalised activations.</summary>
public sealed class XGradCam : GradientCamMethod
{
    public override string Name => "XGradCAM";
    public override string Paper => "Fu et al. 2020, Axiom-based Grad-CAM: Towards Accurate Visualization and Explanation of CNNs";
    protected override Tensor Weigh(Tensor a, Tensor g, CamOptions options) =>
        WeightedSum(a, (g * a / (a.sum(Spatial, keepdim: true) + 1e-7)).sum(Spatial), options);
}
