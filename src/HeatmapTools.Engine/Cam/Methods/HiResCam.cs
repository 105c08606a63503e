using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Methods;

/// <summary>HiResCAM: gradients times activations, summed over channels, without spatial averaging.</summary>
public sealed class HiResCam : GradientCamMethod
{
    public override string Name => "HiResCAM";
    public override string Paper => "Draelos and Carin 2020, Use HiResCAM instead of Grad-CAM for faithful explanations of convolutional neural networks";
    protected override Tensor Weigh(Tensor a, Tensor g, CamOptions options) => Combine(g * a, options);
}
