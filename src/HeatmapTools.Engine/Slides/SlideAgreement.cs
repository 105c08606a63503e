using OpenCvSharp;

namespace HeatmapTools.Engine.Slides;

/// <summary>
/// How a slide's tile predictions agree with its annotation. MassInside: the share of the heatmap's probability mass
/// inside the annotation. PointingGame: whether the most probable tile's centre lies in it. Dice: overlap of the area at
/// or above the threshold with the annotation. Auroc: tile probabilities against tiles whose centre is annotated.
/// RightForWrongRegion: the slide is called positive and is annotated, but its most probable tile lies outside the
/// annotation, or none of the area called positive lies inside it.
/// </summary>
public sealed record SlideAgreementResult(string Slide, string Annotation, int Tiles, int TilesInAnnotation, double MaxProbability, bool PredictedPositive,
    bool AnnotatedPositive, double? MassInside, bool? PointingGame, double? Dice, double? Auroc, bool RightForWrongRegion);

public static class SlideAgreement
{
    public static SlideAgreementResult Measure(Slide slide, IReadOnlyList<TileProbability> tiles, string annotation, string? classification, double threshold,
        int maxSize)
    {
        double scale = slide.ScaleFor(maxSize);
        int width = Math.Max(1, (int)Math.Round(slide.Width * scale)), height = Math.Max(1, (int)Math.Round(slide.Height * scale));
        using var annotated = SlideAnnotation.Rasterize(annotation, slide.Width, slide.Height, scale, width, height, classification);
        var (mean, covered) = SlideHeatmap.Raster(tiles, scale, width, height);
        using var _mean = mean;
        using var _covered = covered;

        double total = Cv2.Sum(mean).Val0;
        using var inside = new Mat();
        mean.CopyTo(inside, annotated);
        double? massInside = total > 0 ? Cv2.Sum(inside).Val0 / total : null;

        bool InAnnotation(TileProbability t)
        {
            int x = (int)Math.Floor((t.X + t.Extent / 2.0) * scale), y = (int)Math.Floor((t.Y + t.Extent / 2.0) * scale);
            return x >= 0 && y >= 0 && x < width && y < height && annotated.At<byte>(y, x) != 0;
        }
        var labels = tiles.Select(InAnnotation).ToArray();
        // The first of the most probable tiles, in input order: deterministic when several tie.
        int top = tiles.Count == 0 ? -1 : Enumerable.Range(0, tiles.Count).Aggregate((best, i) => tiles[i].Probability > tiles[best].Probability ? i : best);
        bool? pointing = top < 0 ? null : labels[top];

        using var hot = new Mat();
        Cv2.Threshold(mean, hot, threshold - 1e-9, 255, ThresholdTypes.Binary);
        using var hotMask = new Mat();
        hot.ConvertTo(hotMask, MatType.CV_8UC1);
        Cv2.BitwiseAnd(hotMask, covered, hotMask);
        using var both = new Mat();
        Cv2.BitwiseAnd(hotMask, annotated, both);
        long predictedArea = Cv2.CountNonZero(hotMask), annotatedArea = Cv2.CountNonZero(annotated);
        double? dice = predictedArea + annotatedArea == 0 ? null : 2.0 * Cv2.CountNonZero(both) / (predictedArea + annotatedArea);

        double maxProbability = tiles.Count == 0 ? 0 : tiles.Max(t => t.Probability);
        bool predictedPositive = maxProbability >= threshold, annotatedPositive = annotatedArea > 0;
        // The strongest evidence, or all of the area called positive, lies outside the annotated tumour.
        bool wrongRegion = predictedPositive && annotatedPositive && (pointing == false || dice == 0);
        return new SlideAgreementResult(slide.Path, Path.GetFullPath(annotation), tiles.Count, labels.Count(l => l), maxProbability, predictedPositive,
            annotatedPositive, massInside, pointing, dice, Auroc(tiles.Select(t => t.Probability).ToArray(), labels), wrongRegion);
    }

    /// <summary>The area under the ROC curve by Mann-Whitney: the chance a positive outranks a negative, ties counted half; null without both.</summary>
    public static double? Auroc(double[] scores, bool[] labels)
    {
        int positives = labels.Count(l => l), negatives = labels.Length - positives;
        if (positives == 0 || negatives == 0) return null;
        var order = Enumerable.Range(0, scores.Length).OrderBy(i => scores[i]).ToArray();
        double rankSum = 0;
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && scores[order[end + 1]] == scores[order[start]]) end++;
            double rank = (start + end) / 2.0 + 1;
            for (int k = start; k <= end; k++) if (labels[order[k]]) rankSum += rank;
            start = end + 1;
        }
        return (rankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }
}
