using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Methods;

/// <summary>Grad-CAM++: positive gradients weighted per position by second- and third-order terms.</summary>
public sealed class GradCamPlusPlus : GradientCamMethod
{
    public override string Name => "GradCAMPlusPlus";
    public override string Paper => "Chattopadhyay et al. 2018, Grad-CAM++: Improved Visual Explanations for Deep Convolutional Networks";

    // Eq. 19 of the paper, with the ReLU of eq. 7 and zero weight where the gradient is zero (as pytorch-grad-cam).
    protected override Tensor Weigh(Tensor a, Tensor g, CamOptions options)
    {
        var g2 = g.pow(2);
        var g3 = g2 * g;
        var sumA = a.sum(Spatial, keepdim: true);
        var aij = g2 / (2 * g2 + sumA * g3 + 1e-6);
        aij = where(g.ne(0), aij, zeros_like(aij));
        return WeightedSum(a, (nn.functional.relu(g) * aij).sum(Spatial), options);
    }
}
