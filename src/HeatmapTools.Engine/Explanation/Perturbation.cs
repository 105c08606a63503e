using HeatmapTools.Engine.Trust;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Explanation;

/// <summary>
/// The perturbing metrics' shared steps: what replaces a feature (Quantus's perturb_baseline, read off the array as
/// perturbed so far, as Quantus reads it) and the class's score of perturbed inputs, a bounded number at a time.
/// </summary>
internal sealed class Perturbation
{
    private readonly ExplanationOptions _options;
    private readonly Random _random;
    private readonly PerturbBaselineKind _kind;

    /// <param name="fallback">The metric's own default, when the options name no baseline.</param>
    public Perturbation(ExplanationOptions options, PerturbBaselineKind fallback = PerturbBaselineKind.Black)
    {
        _options = options;
        _kind = options.Baseline ?? fallback;
        _random = new Random(unchecked((int)options.Seed ^ (int)(options.Seed >> 32)));
    }

    /// <summary>The value that replaces features now, given the array as perturbed so far.</summary>
    public float Baseline(ReadOnlySpan<float> current) => _kind switch
    {
        PerturbBaselineKind.Black => Min(current),
        PerturbBaselineKind.White => Max(current),
        PerturbBaselineKind.Mean => Mean(current),
        PerturbBaselineKind.Uniform => (float)_random.NextDouble(),
        _ => _options.BaselineValue,
    };

    public int[] Permutation(int n)
    {
        var order = Enumerable.Range(0, n).ToArray();
        _random.Shuffle(order);
        return order;
    }

    private static float Min(ReadOnlySpan<float> values)
    {
        float min = float.PositiveInfinity;
        foreach (var v in values) if (v < min) min = v;
        return min;
    }

    private static float Max(ReadOnlySpan<float> values)
    {
        float max = float.NegativeInfinity;
        foreach (var v in values) if (v > max) max = v;
        return max;
    }

    private static float Mean(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (var v in values) sum += v;
        return (float)(sum / values.Length);
    }

    /// <summary>
    /// Scores of a run of perturbed inputs made one after another: <paramref name="next"/> writes input i into the
    /// span it is given; at most a chunk of them is held and passed through the network at once.
    /// </summary>
    public static double[] Scores(ExplanationSample sample, ScoreKind kind, int count, int chunk, Action<int, Span<float>> next, CancellationToken cancellation)
    {
        var logits = sample.Logits ?? throw new InvalidOperationException("A perturbing metric needs the model.");
        int length = sample.Input.Length;
        chunk = Math.Max(1, chunk);
        var buffer = new float[Math.Min(chunk, count) * length];
        var scores = new double[count];
        for (int start = 0; start < count; start += chunk)
        {
            cancellation.ThrowIfCancellationRequested();
            int size = Math.Min(chunk, count - start);
            for (int i = 0; i < size; i++) next(start + i, buffer.AsSpan(i * length, length));
            using var scope = NewDisposeScope();
            var batch = tensor(buffer.AsSpan(0, size * length).ToArray(), new long[] { size, sample.Channels, sample.Height, sample.Width });
            var values = ClassScores.Of(logits, batch, Enumerable.Repeat((long)sample.ClassIndex, size).ToArray(), kind, size, cancellation);
            for (int i = 0; i < size; i++) scores[start + i] = values[i];
        }
        return scores;
    }
}
