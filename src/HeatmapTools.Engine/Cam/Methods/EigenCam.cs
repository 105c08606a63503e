using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Methods;

/// <summary>Eigen-CAM: the first principal component of the activations; no class, no gradients.</summary>
public sealed class EigenCam : CamMethod
{
    public override string Name => "EigenCAM";
    public override string Paper => "Muhammad and Yeasin 2020, Eigen-CAM: Class Activation Map using Principal Components";
    public override Tensor Map(CamContext context) => Projection.FirstComponent(context.Activations, context.Options.FlipEigenSign);
}
