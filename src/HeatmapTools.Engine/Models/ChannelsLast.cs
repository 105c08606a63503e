using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Models;

/// <summary>
/// Keeps convolution weights and images in channels-last order (NHWC strides, NCHW shape). libtorch's oneDNN
/// convolutions run about twice as fast on CPU that way, and results agree with NCHW to float rounding. TorchSharp
/// has no memory_format argument, but libtorch infers the format from the strides, so a permute, a contiguous copy
/// and the inverse permute give the same tensor laid out channels-last.
/// </summary>
internal static class ChannelsLast
{
    public static Tensor Of(Tensor x) => x.dim() == 4 ? x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) : x;

    public static void ConvertWeights(nn.Module network)
    {
        using var noGrad = no_grad();
        foreach (var (_, module) in network.named_modules())
        {
            if (module is not Conv2d conv || conv.weight is null) continue;
            var weight = conv.weight;
            conv.weight = new Parameter(Of(weight.detach()), requires_grad: false);
            weight.Dispose();
        }
    }
}
