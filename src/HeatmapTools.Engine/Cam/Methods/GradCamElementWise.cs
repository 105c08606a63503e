using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Methods;

/// <summary>Grad-CAM element-wise: the ReLU of gradients times activations, summed over channels (pytorch-grad-cam's variant).</summary>
public sealed class GradCamElementWise : GradientCamMethod
{
    public override string Name => "GradCAMElementWise";
    public override string Paper => "pytorch-grad-cam's element-wise variant of Selvaraju et al. 2017 (Grad-CAM), as in its GradCAMElementWise class";
    protected override Tensor Weigh(Tensor a, Tensor g, CamOptions options) => Combine(nn.functional.relu(g * a), options);
}
