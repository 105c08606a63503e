using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Methods;

/// <summary>LayerCAM: activations weighted per position by their positive gradients.</summary>
public sealed class LayerCam : GradientCamMethod
{
    public override string Name => "LayerCAM";
    public override string Paper => "Jiang et al. 2021, LayerCAM: Exploring Hierarchical Class Activation Maps for Localization";
    protected override Tensor Weigh(Tensor a, Tensor g, CamOptions options) => Combine(nn.functional.relu(g) * a, options);
}
