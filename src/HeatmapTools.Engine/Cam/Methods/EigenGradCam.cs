using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Methods;

/// <summary>Eigen-Grad-CAM: the first principal component of gradients times activations.</summary>
public sealed class EigenGradCam : GradientCamMethod
{
    public override string Name => "EigenGradCAM";
    public override string Paper => "pytorch-grad-cam's class-discriminative variant of Muhammad and Yeasin 2020 (Eigen-CAM)";
    protected override Tensor Weigh(Tensor a, Tensor g, CamOptions options) => Projection.FirstComponent(g * a, options.FlipEigenSign);
}
