using HeatmapTools.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Methods;

/// <summary>
/// Score-CAM (Wang et al. 2020): each activation channel, upsampled and min-max scaled, masks the input; the
/// softmax over channels of the masked inputs' target logits weights the channels. Masked inputs go through the
/// network in chunks of <c>chunk</c>, never all channels at once. Channels whose scaled maps are identical (every
/// constant channel gives the same all-zero mask; sparse channels often coincide) give identical masked inputs, so
/// each distinct mask is scored once. Equal scaled maps at layer resolution mean the channels differ only by a positive
/// scale and an offset, which upsampling (linear, constant-preserving) and min-max scaling both cancel, so comparing at
/// layer resolution finds the equal masks without building them.
/// </summary>
public sealed class ScoreCam : CamMethod
{
    public override string Name => "ScoreCAM";
    public override string Paper => "Wang et al. 2020, Score-CAM: Score-Weighted Visual Explanations for Convolutional Neural Networks";

    public override Tensor Map(CamContext c) =>
        Compute(c.Model, c.Input, c.Activations, c.Targets, c.Options, c.Listener, c.Cancellation);

    private static Tensor Compute(LayeredModel model, Tensor input, Tensor activations, IReadOnlyList<Targets.CamTarget> targets, CamOptions options, IRunListener listener,
        CancellationToken cancellation)
    {
        int chunk = options.ScoreChunkSize;
        using var noGrad = no_grad();
        long b = activations.shape[0], k = activations.shape[1];
        // Upsampling is the same linear map for every channel: build its two axis matrices once.
        using var rows = Upsampling(input.shape[2], activations.shape[2]);
        using var columnMatrix = Upsampling(input.shape[3], activations.shape[3]);
        using var columns = columnMatrix.t();
        var weights = new List<Tensor>();
        for (int i = 0; i < b; i++)
        {
            using var scope = NewDisposeScope();
            var unique = UniqueMasks(activations[i], k);

            var scores = new float[k];
            var representatives = unique.Select(g => g[0]).ToArray();
            var image = input[i].unsqueeze(0);
            for (int start = 0; start < representatives.Length; start += chunk)
            {
                cancellation.ThrowIfCancellationRequested();
                using var chunkScope = NewDisposeScope();
                using var inference = inference_mode();
                var idx = tensor(representatives.Skip(start).Take(chunk).Select(c => (long)c).ToArray());
                var masked = image * Masks(activations[i].index_select(0, idx), rows, columns).unsqueeze(1);
                var logits = targets[i].Score(model, masked, 0).data<float>().ToArray();
                for (int j = 0; j < logits.Length; j++)
                    foreach (var channel in unique[start + j]) scores[channel] = logits[j];
                double share = (i + (double)(start + logits.Length) / representatives.Length) / b;
                // Its batches take seconds per image: how far into this one it is, not only whole batches.
                listener.Progress($"Score-CAM on the next {b}: {share.ToString("P0", System.Globalization.CultureInfo.InvariantCulture)}", share);
            }
            weights.Add(softmax(tensor(scores), 0).MoveToOuterDisposeScope());
        }
        var w = stack(weights).reshape(b, k, 1, 1);
        return Combine(w * activations, options);
    }

    /// <summary>
    /// The masks of a few channels: each upsampled to the input size and min-max scaled on its own, so only one chunk's
    /// masks (not 512 x 224 x 224 floats) exist at a time. Upsampling is rows x channel x columns: the same numbers as
    /// bilinear interpolation with aligned corners (to float rounding), as two small matrix products rather than a gather per pixel.
    /// </summary>
    private static Tensor Masks(Tensor channels, Tensor rows, Tensor columns)
    {
        long n = channels.shape[0];
        var up = matmul(matmul(rows, channels), columns);
        var flat = up.reshape(n, -1);
        var max = flat.amax(new long[] { 1 }).reshape(n, 1, 1);
        var min = flat.amin(new long[] { 1 }).reshape(n, 1, 1);
        return (up - min) / (max - min + 1e-8f);
    }

    /// <summary>
    /// The <paramref name="output"/> x <paramref name="input"/> matrix of linear interpolation along one axis with aligned
    /// corners: output i samples input position i * (input - 1) / (output - 1), between its two neighbours.
    /// </summary>
    internal static Tensor Upsampling(long output, long input)
    {
        var matrix = new float[output * input];
        double step = output > 1 ? (double)(input - 1) / (output - 1) : 0;
        for (long i = 0; i < output; i++)
        {
            double position = i * step;
            long low = Math.Min((long)Math.Floor(position), Math.Max(0, input - 2));
            double fraction = input > 1 ? position - low : 0;
            matrix[i * input + low] += (float)(1 - fraction);
            if (input > 1) matrix[i * input + low + 1] += (float)fraction;
        }
        return tensor(matrix).reshape(output, input);
    }

    /// <summary>Groups channels whose min-max scaled maps are bit-for-bit equal; each group's first channel represents it.</summary>
    private static List<int[]> UniqueMasks(Tensor activations, long k)
    {
        var flat = activations.reshape(k, -1);
        var min = flat.amin(new long[] { 1 }, keepdim: true);
        var max = flat.amax(new long[] { 1 }, keepdim: true);
        var scaled = ((flat - min) / (max - min + 1e-8f)).contiguous().data<float>().ToArray();
        int length = scaled.Length / (int)k;
        var groups = new Dictionary<string, List<int>>();
        for (int c = 0; c < k; c++)
        {
            string key = Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(scaled.AsSpan(c * length, length)));
            if (!groups.TryGetValue(key, out var list)) groups[key] = list = new List<int>();
            list.Add(c);
        }
        return groups.Values.Select(g => g.ToArray()).OrderBy(g => g[0]).ToList();
    }
}
