using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam;

/// <summary>
/// How each gradient-based method turns activations A and gradients G (both B x K x h x w) into a B x h x w map,
/// following pytorch-grad-cam's definitions.
/// </summary>
internal static class CamWeighting
{
    private static readonly long[] Spatial = { 2, 3 };

    public static Tensor Map(CamMethod method, Tensor a, Tensor g, bool flipEigenSign) => method switch
    {
        CamMethod.GradCAM => WeightedSum(a, g.mean(Spatial)),
        CamMethod.GradCAMPlusPlus => WeightedSum(a, GradCamPlusPlusWeights(a, g)),
        CamMethod.XGradCAM => WeightedSum(a, (g * a / (a.sum(Spatial, keepdim: true) + 1e-7)).sum(Spatial)),
        CamMethod.HiResCAM => (g * a).sum(1),
        CamMethod.LayerCAM => (nn.functional.relu(g) * a).sum(1),
        CamMethod.GradCAMElementWise => nn.functional.relu(g * a).sum(1),
        CamMethod.EigenGradCAM => Projection.FirstComponent(g * a, flipEigenSign),
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "not a gradient method"),
    };

    private static Tensor WeightedSum(Tensor a, Tensor weights) => (weights.unsqueeze(-1).unsqueeze(-1) * a).sum(1);

    // Chattopadhyay et al. 2018, eq. 19, with the ReLU of eq. 7 and zero weight where the gradient is zero.
    private static Tensor GradCamPlusPlusWeights(Tensor a, Tensor g)
    {
        var g2 = g.pow(2);
        var g3 = g2 * g;
        var sumA = a.sum(Spatial, keepdim: true);
        var aij = g2 / (2 * g2 + sumA * g3 + 1e-6);
        aij = where(g.ne(0), aij, zeros_like(aij));
        return (nn.functional.relu(g) * aij).sum(Spatial);
    }
}

/// <summary>Eigen-CAM's projection of each image's centred activations on their first principal direction.</summary>
internal static class Projection
{
    public static Tensor FirstComponent(Tensor activations, bool flip)
    {
        long b = activations.shape[0], k = activations.shape[1], h = activations.shape[2], w = activations.shape[3];
        var x = nan_to_num(activations.detach(), 0).reshape(b, k, h * w).transpose(1, 2); // B x hw x K
        x = x - x.mean(new long[] { 1 }, keepdim: true);
        var (_, _, vh) = linalg.svd(x, fullMatrices: false);
        var first = vh[.., 0, ..].unsqueeze(-1); // B x K x 1
        var projection = matmul(x, first).reshape(b, h, w);
        // Orient each image's projection to correlate positively with its mean activation.
        var reference = activations.detach().mean(new long[] { 1 });
        var sign = (projection * (reference - reference.mean(new long[] { 1, 2 }, keepdim: true))).sum(new long[] { 1, 2 }).sign();
        sign = where(sign.eq(0), ones_like(sign), sign);
        if (flip) sign = -sign;
        return projection * sign.reshape(b, 1, 1);
    }
}
