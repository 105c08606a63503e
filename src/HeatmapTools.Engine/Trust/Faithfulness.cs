using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;
using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Trust;

public sealed record FaithfulnessOptions
{
    public ScoreKind Score { get; init; } = ScoreKind.Softmax;

    /// <summary>ROAD's percentiles; pytorch-grad-cam's averages use 10, 20, ..., 90.</summary>
    public IReadOnlyList<double> Percentiles { get; init; } = new double[] { 10, 20, 30, 40, 50, 60, 70, 80, 90 };

    /// <summary>Noise added to imputed pixels (normalised input units); pytorch-grad-cam's default is 0.01.</summary>
    public double Noise { get; init; } = 0.01;

    /// <summary>Seeds the imputation noise, so a measurement can be repeated exactly.</summary>
    public ulong Seed { get; init; }

    /// <summary>Steps of the deletion and insertion curves (each changes 1/steps of the pixels); 0 skips the curves.</summary>
    public int CurveSteps { get; init; } = 50;

    public bool Road { get; init; } = true;

    /// <summary>How many perturbed images go through the network at once.</summary>
    public int Chunk { get; init; } = 16;
}

/// <summary>
/// How faithful one map is to the model: pytorch-grad-cam's confidence metrics (the score change when the image is
/// multiplied by the map), ROAD at each percentile in both orders with their averages, and the deletion and insertion curves.
/// Score changes are perturbed minus original, as pytorch-grad-cam reports them.
/// </summary>
public sealed record FaithfulnessResult(
    int ClassIndex,
    ScoreKind Score,
    float OriginalScore,
    float CamMultImageConfidenceChange,
    float DropInConfidence,
    float IncreaseInConfidence,
    IReadOnlyList<RoadPoint> RoadMostRelevantFirst,
    IReadOnlyList<RoadPoint> RoadLeastRelevantFirst,
    float? RoadMostRelevantFirstAverage,
    float? RoadLeastRelevantFirstAverage,
    float? RoadCombined,
    ScoreCurve? Deletion,
    ScoreCurve? Insertion);

/// <summary>Faithfulness metrics of maps against the model that made them.</summary>
public static class Faithfulness
{
    /// <summary>One image (its network input), its map at the input size, and the class the map explains.</summary>
    public static FaithfulnessResult Measure(LayeredModel model, float[] chw, InputShape shape, float[] map, int target,
        FaithfulnessOptions options, IProgress<double>? progress, CancellationToken cancellation) =>
        Measure(model.Logits, chw, shape.Height, shape.Width, map, target, options, progress, cancellation);

    /// <summary>The same for any function from an image batch to logits (a tiny closed-form model in the tests).</summary>
    internal static FaithfulnessResult Measure(Func<Tensor, Tensor> logits, float[] chw, int height, int width, float[] map, int target,
        FaithfulnessOptions options, IProgress<double>? progress, CancellationToken cancellation)
    {
        if (map.Length != height * width) throw new ArgumentException($"The map has {map.Length} values, not {height} x {width}.", nameof(map));
        using var scope = NewDisposeScope();
        var image = tensor(chw, new long[] { chw.Length / (height * width), height, width });
        var mapTensor = tensor(map, new long[] { height, width });
        int chunk = Math.Max(1, options.Chunk);

        // The original and the image times the map (pytorch-grad-cam's multiply_tensor_with_cam) in one pass.
        var first = ClassScores.Of(logits, stack(new[] { image, image * mapTensor }), new long[] { target, target }, options.Score, chunk, cancellation);
        float original = first[0], change = first[1] - first[0];
        progress?.Report(0.05);

        var morf = new List<RoadPoint>();
        var lerf = new List<RoadPoint>();
        if (options.Road && options.Percentiles.Count > 0)
        {
            var cases = options.Percentiles.SelectMany(p => new[] { (Percentile: p, Most: true), (Percentile: p, Most: false) }).ToList();
            using var random = new Generator(options.Seed);
            for (int start = 0; start < cases.Count; start += chunk)
            {
                using var step = NewDisposeScope();
                var part = cases.Skip(start).Take(chunk).ToList();
                var kept = stack(part.Select(c => tensor(Road.Kept(map, c.Percentile, c.Most), new long[] { height, width })).ToArray());
                var imputed = NoisyLinearImputer.Impute(image.unsqueeze(0).expand(part.Count, image.shape[0], height, width), kept, options.Noise, random, cancellation);
                var scores = ClassScores.Of(logits, imputed, Enumerable.Repeat((long)target, part.Count).ToArray(), options.Score, chunk, cancellation);
                for (int i = 0; i < part.Count; i++)
                    (part[i].Most ? morf : lerf).Add(new RoadPoint(part[i].Percentile, scores[i] - original));
                progress?.Report(0.05 + 0.55 * (start + part.Count) / cases.Count);
            }
        }
        float? morfAverage = morf.Count > 0 ? morf.Average(p => p.Change) : null;
        float? lerfAverage = lerf.Count > 0 ? lerf.Average(p => p.Change) : null;

        ScoreCurve? deletion = null, insertion = null;
        if (options.CurveSteps > 0)
        {
            var order = DeletionInsertion.Order(map);
            var counts = DeletionInsertion.Counts(map.Length, options.CurveSteps);
            deletion = DeletionInsertion.Run(logits, image, zeros_like(image), order, counts, target, options.Score, chunk, cancellation);
            progress?.Report(0.8);
            insertion = DeletionInsertion.Run(logits, DeletionInsertion.Blur(image), image, order, counts, target, options.Score, chunk, cancellation);
        }
        progress?.Report(1);
        return new FaithfulnessResult(target, options.Score, original, change, Math.Max(-change, 0), change > 0 ? 1 : 0,
            morf, lerf, morfAverage, lerfAverage, morfAverage is null || lerfAverage is null ? null : (lerfAverage - morfAverage) / 2,
            deletion, insertion);
    }
}
