using static TorchSharp.torch;

namespace HeatmapTools.Engine.Attribution;

/// <summary>
/// A noise tunnel (Captum's NoiseTunnel) over any attribution method: the method explains <see cref="AttributionOptions.TunnelSamples"/>
/// copies of the input with Gaussian noise added (standard deviation <see cref="AttributionOptions.TunnelNoise"/> times the
/// input's range), and the copies' attributions are combined as <see cref="NoiseTunnel"/> says. Baselines stay as they are.
/// </summary>
public static class NoisyCopies
{
    public static Tensor Attribute(AttributionMethod method, AttributionContext context)
    {
        var options = context.Options;
        if (options.NoiseTunnel == NoiseTunnel.None) return method.Attribute(context);
        if (options.TunnelSamples < 1 || !double.IsFinite(options.TunnelNoise) || options.TunnelNoise < 0)
            throw new HeatmapToolsException(ErrorIds.MethodNotApplicable, ErrorKind.InvalidArgument,
                $"A noise tunnel needs at least one copy and a finite noise level of 0 or more; {options.TunnelSamples} copies at {options.TunnelNoise} were asked for.", options.TunnelNoise);
        var input = context.Input;
        double sigma = options.TunnelNoise * (input.max() - input.min()).item<float>();
        var sum = zeros(input.shape, ScalarType.Float64);
        var squares = zeros(input.shape, ScalarType.Float64);
        // One generator per image, seeded alike: an image's map does not depend on the batch it came in.
        using var random = new Generator((ulong)options.TunnelSeed);
        for (int start = 0; start < options.TunnelSamples; start += options.Chunk)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            int count = Math.Min(options.Chunk, options.TunnelSamples - start);
            var copies = input.expand(count, -1, -1, -1) + randn(new[] { count, input.shape[1], input.shape[2], input.shape[3] }, generator: random) * sigma;
            var attributions = method.AttributeEach(context, copies).to_type(ScalarType.Float64);
            sum.add_(attributions.sum(0, keepdim: true));
            squares.add_(attributions.square().sum(0, keepdim: true));
        }
        var mean = sum / options.TunnelSamples;
        var meanSquare = squares / options.TunnelSamples;
        return (options.NoiseTunnel switch
        {
            NoiseTunnel.SmoothGrad => mean,
            NoiseTunnel.SmoothGradSquared => meanSquare,
            // Captum's variance: the mean square less the squared mean (clamped: rounding may leave it a hair below 0).
            _ => (meanSquare - mean.square()).clamp_min(0),
        }).to_type(ScalarType.Float32);
    }
}
