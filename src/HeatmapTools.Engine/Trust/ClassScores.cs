using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Trust;

/// <summary>Scores of many perturbed copies of images, a bounded number at a time.</summary>
internal static class ClassScores
{
    /// <summary>Row i of <paramref name="images"/> (N x 3 x H x W) scored for class <paramref name="targets"/>[i].</summary>
    public static float[] Of(Func<Tensor, Tensor> logits, Tensor images, long[] targets, ScoreKind kind, int chunk, CancellationToken cancellation)
    {
        long n = images.shape[0];
        var scores = new float[n];
        using var inference = no_grad();
        for (long start = 0; start < n; start += chunk)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            long end = Math.Min(n, start + chunk);
            var output = logits(images[TensorIndex.Slice(start, end)].to_type(ScalarType.Float32)).to_type(ScalarType.Float32);
            if (kind == ScoreKind.Softmax) output = output.softmax(1);
            var index = tensor(targets[(int)start..(int)end], ScalarType.Int64).unsqueeze(1);
            output.gather(1, index).squeeze(1).contiguous().data<float>().ToArray().CopyTo(scores, start);
        }
        return scores;
    }
}
