using System.IO.Hashing;
using System.Text;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Cam.Targets;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Native;
using HeatmapTools.Engine.Stain;

namespace HeatmapTools.Engine.Trust;

public sealed record StainRobustnessOptions
{
    /// <summary>Augmented copies per image.</summary>
    public int Augmentations { get; init; } = 10;
    /// <summary>TIAToolbox's StainAugmentor defaults: alpha in [0.6, 1.4], beta in [-0.2, 0.2].</summary>
    public double Sigma1 { get; init; } = 0.4;
    public double Sigma2 { get; init; } = 0.2;
    public int Seed { get; init; }
    public StainMethod Method { get; init; } = StainMethod.Macenko;
}

/// <summary>One image's answers under stain augmentation: the class's probability and the map's rank correlation with the original's, per copy.</summary>
public sealed record StainRobustnessResult(int ClassIndex, double Probability, int TopClass, double[] Probabilities, int[] TopClasses, double[] MapSpearman,
    double[][] Alpha, double[][] Beta)
{
    public double ProbabilityMin => Probabilities.Min();
    public double ProbabilityMax => Probabilities.Max();
    public double ProbabilityMean => Probabilities.Average();
    /// <summary>Share of the copies whose top class is the original's.</summary>
    public double PredictionKept => TopClasses.Count(c => c == TopClass) / (double)TopClasses.Length;
    /// <summary>Median over the copies; NaN where a map is constant (no ranking).</summary>
    public double MapSpearmanMedian => MapSpearman.Any(double.IsNaN) ? double.NaN : Median(MapSpearman);
    public double MapSpearmanMin => MapSpearman.Any(double.IsNaN) ? double.NaN : MapSpearman.Min();

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int half = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
    }
}

/// <summary>
/// How much a prediction and its map move when the tile's stain changes as it would between sites: TIAToolbox-style
/// stain augmentation (StainAugmenter) of the original, each copy prepared as the model's input is, its probability of
/// the map's class and its map of that class beside the original's. The draws are seeded per image (the seed and the
/// file name), so a run repeats and an image gets the same copies in any batch.
/// </summary>
public static class StainRobustness
{
    /// <param name="plan">How the original's map was made: each copy is prepared and mapped the same way.</param>
    public static StainRobustnessResult Measure(MapPlan plan, PreparedImage original, CamResult originalMap, CamTarget target, CamMethod method,
        StainRobustnessOptions options, IRunListener listener, CancellationToken cancellation, Action<int, StainImage>? copy = null)
    {
        var (model, preprocess) = (plan.Model, plan.Preprocess);
        using var bgr = ImageReader.ReadBgr(original.Path, MemoryBudget.Shared, 0, cancellation, out var lease, out _);
        using var reserved = lease;
        var image = StainImage.FromBgr(bgr, original.Path);
        var augmenter = new StainAugmenter(image, options.Method);
        var random = new Random(SeedFor(options.Seed, original.Path));
        var copies = new List<PreparedImage>();
        var alpha = new double[options.Augmentations][];
        var beta = new double[options.Augmentations][];
        for (int r = 0; r < options.Augmentations; r++)
        {
            cancellation.ThrowIfCancellationRequested();
            (alpha[r], beta[r]) = augmenter.Draw(random, options.Sigma1, options.Sigma2);
            var augmented = augmenter.Augment(alpha[r], beta[r]);
            copy?.Invoke(r, augmented);
            using var augmentedBgr = augmented.ToBgr();
            copies.Add(new PreparedImage
            {
                Path = original.Path, Chw = Preprocessor.ToChw(augmentedBgr, preprocess, original.Path), Width = image.Width, Height = image.Height,
                Shape = preprocess.Native ? new InputShape(preprocess.Channels, image.Height, image.Width) : preprocess.Shape,
            });
        }
        var maps = plan.Compute(copies.Select(c => (c, (CamTarget?)target)).ToList(), method, listener, cancellation);
        var spearman = maps.Select(m => Similarity.Spearman(originalMap.Map, m.Map)).ToArray();
        var (probabilities, tops) = Probabilities(model, copies.Prepend(original).ToList(), originalMap.ClassIndex, cancellation);
        return new StainRobustnessResult(originalMap.ClassIndex, probabilities[0], tops[0], probabilities[1..], tops[1..], spearman, alpha, beta);
    }

    /// <summary>A stable seed per image: the run's seed and the file's name (not its folder, so a moved set repeats).</summary>
    internal static int SeedFor(int seed, string path) =>
        (int)XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(Path.GetFileName(path)), seed);

    /// <summary>
    /// Each image's probability of <paramref name="classIndex"/> as Get-ClassPrediction gives it (softmax, or the sigmoid of a
    /// one-logit head), and its call: the top class, or for one logit whether it reaches 0.5.
    /// </summary>
    private static (double[] Probability, int[] Top) Probabilities(LayeredModel model, IReadOnlyList<PreparedImage> images, int classIndex, CancellationToken cancellation)
    {
        var probability = new double[images.Count];
        var top = new int[images.Count];
        foreach (var group in images.Select((image, i) => (image, i)).GroupBy(t => t.image.Shape))
            foreach (var chunk in group.Chunk(16))
            {
                cancellation.ThrowIfCancellationRequested();
                var rows = Prediction.Predictor.Logits(model, chunk.Select(t => t.image.Chw!).ToList(), group.Key);
                for (int j = 0; j < chunk.Length; j++)
                {
                    var names = Enumerable.Range(0, rows[j].Length).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
                    var values = Prediction.ClassProbabilities.FromLogits(rows[j], names, outputIsProbability: model.Info.OutputIsProbability, item: chunk[j].image.Path).Values;
                    probability[chunk[j].i] = values[classIndex];
                    top[chunk[j].i] = values.Count == 1 ? (values[0] >= 0.5 ? 1 : 0) : Enumerable.Range(0, values.Count).MaxBy(c => values[c]);
                }
            }
        return (probability, top);
    }
}
