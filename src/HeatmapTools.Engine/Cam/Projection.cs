using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam;

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
