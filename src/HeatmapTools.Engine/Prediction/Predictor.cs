using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Prediction;

public sealed record RankedClass(int Rank, int ClassIndex, string? WordNetId, string Label, double Probability, double Logit);

public sealed record ImagePrediction(string Path, string Model, IReadOnlyList<RankedClass> Top, float[] Logits, ClassProbabilities Probabilities,
    int Width, int Height)
{
    /// <summary>The prepared image, held for the next command (New-CamHeatmap) when the caller asked for it.</summary>
    public Held.HeldInput? Input { get; init; }

    /// <summary>A segmentation model's category per pixel and shares; null for a classifier.</summary>
    public PixelShares? Segments { get; init; }

    /// <summary>A detector's boxes in the photo's pixels, highest score first; null for other models.</summary>
    public IReadOnlyList<Detection.PhotoDetection>? Detections { get; init; }
}

/// <summary>Classifies batches of images; tensors live only inside one batch's dispose scope.</summary>
public static class Predictor
{
    public static IReadOnlyList<ItemResult<ImagePrediction>> PredictBatch(
        LayeredModel model, ClassLabels labels, IReadOnlyList<string> paths, PreprocessOptions preprocess, int top, CancellationToken cancellation,
        Held.HeldMemory? hold = null, HeadActivation head = HeadActivation.Auto, Detection.DetectionOptions? detection = null)
    {
        // Held inputs keep the decoded originals too, so an overlay downstream needs no second decoding.
        var prepared = InputBatch.Prepare(paths, preprocess, cancellation, keepImages: hold is not null);
        // Originals handed to the budget are its to release; the rest are disposed here.
        var handed = new HashSet<OpenCvSharp.Mat>();
        try
        {
            return Predict(model, labels, paths, prepared, preprocess, top, hold, handed, head, detection ?? Detection.DetectionOptions.Default);
        }
        finally
        {
            foreach (var p in prepared)
                if (p.Image is { } image && !handed.Contains(image)) image.Dispose();
        }
    }

    private static List<ItemResult<ImagePrediction>> Predict(LayeredModel model, ClassLabels labels, IReadOnlyList<string> paths,
        PreparedImage[] prepared, PreprocessOptions preprocess, int top, Held.HeldMemory? hold, HashSet<OpenCvSharp.Mat> handed, HeadActivation head,
        Detection.DetectionOptions detection)
    {
        var good = prepared.Where(p => p.Error is null).ToList();
        // Images at their own size (-InputSize Native) run in one batch per size.
        var logits = new float[good.Count][];
        var detections = new IReadOnlyList<Detection.DetectedBox>?[good.Count];
        foreach (var group in good.Select((p, k) => (p, k)).GroupBy(t => t.p.Shape))
        {
            var members = group.ToList();
            if (model.Info.IsDetection)
            {
                // A detector's scores per class are the best any of its detections gives the class (0 for none).
                var found = Detection.Detector.Detect(model, members.Select(t => t.p.Chw!).ToList(), group.Key, detection,
                    (k, value) => logits[members[k].k] = new[] { value });
                foreach (var ((p, k), all) in members.Zip(found))
                {
                    // A box wholly over the letterbox's padding is not in the photo.
                    var geometry = Detection.BoxGeometry.Of(preprocess, p.Width, p.Height, p.Shape);
                    var boxes = all.Where(b => geometry.Shows(b.InputBox)).ToList();
                    detections[k] = boxes;
                    logits[k] ??= Enumerable.Range(0, model.NumClasses).Select(c => boxes.Where(b => b.ClassIndex == c).Select(b => b.Score).DefaultIfEmpty(0f).Max()).ToArray();
                }
                continue;
            }
            var rows = Logits(model, members.Select(t => t.p.Chw!).ToList(), group.Key);
            foreach (var ((_, k), row) in members.Zip(rows)) logits[k] = row;
        }

        var results = new List<ItemResult<ImagePrediction>>(paths.Count);
        // One array of names for the batch: every prediction refers to it rather than copying a thousand names.
        int classes = good.Count == 0 ? 0 : model.Info.IsSegmentation || model.Info.IsDetection ? model.NumClasses : logits[0].Length;
        string[] names = Enumerable.Range(0, classes).Select(i => labels[i].Name).ToArray();
        int next = 0;
        foreach (var item in prepared)
        {
            if (item.Error is not null)
            {
                results.Add(new ItemResult<ImagePrediction>(item.Path, null, item.Error));
                continue;
            }
            var boxes = detections[next];
            float[] row = logits[next++];
            // A non-finite score cannot rank classes nor be written as a probability: that image's error, not the batch's.
            if (NonFinite(row) is { } bad)
            {
                results.Add(new ItemResult<ImagePrediction>(item.Path, null, new HeatmapToolsException(ErrorIds.ScoreNotFinite, ErrorKind.InvalidResult,
                    $"The model's score for '{item.Path}' is {bad.Value} at class {bad.Index} ({labels[bad.Index].Name}): it cannot be ranked. The weights or the input overflow.", item.Path)));
                continue;
            }
            ClassProbabilities probabilities;
            PixelShares? segments = null;
            try
            {
                // A segmenter's categories are ranked by their share of the pixels; its outputs become each category's mean.
                if (model.Info.IsSegmentation)
                {
                    segments = PixelShares.Of(row, item.Shape.Height, item.Shape.Width);
                    row = segments.MeanOutputs;
                    probabilities = new ClassProbabilities(names, segments.Shares);
                }
                else if (boxes is not null)
                    probabilities = new ClassProbabilities(names, row.Select(v => (double)v).ToArray());
                else
                    probabilities = ClassProbabilities.FromLogits(row, names, head, model.Info.OutputIsProbability, item.Path);
            }
            catch (HeatmapToolsException e)
            {
                results.Add(new ItemResult<ImagePrediction>(item.Path, null, e));
                continue;
            }
            Held.HeldInput? input = null;
            if (hold is not null)
            {
                // The decoded original itself goes to the budget: no copy.
                Held.HeldImage? original = null;
                if (item.Image is { } image)
                {
                    handed.Add(image);
                    original = hold.Hold(image);
                }
                input = new Held.HeldInput(item.Path, preprocess, item.Width, item.Height, hold.Hold(item.Chw!, item.Shape.Channels, item.Shape.Height, item.Shape.Width), original);
            }
            results.Add(new ItemResult<ImagePrediction>(item.Path,
                new ImagePrediction(item.Path, model.Name, segments is null ? Rank(row, probabilities.Values, labels, top) : RankShares(segments, labels, top),
                    row, probabilities, item.Width, item.Height) { Input = input, Segments = segments, Detections = boxes is null ? null : InPhoto(boxes, item, preprocess, labels) }, null));
        }
        return results;
    }

    /// <summary>A detector's boxes carried back to the photo they were found in.</summary>
    private static IReadOnlyList<Detection.PhotoDetection> InPhoto(IReadOnlyList<Detection.DetectedBox> boxes, PreparedImage image, PreprocessOptions preprocess, ClassLabels labels)
    {
        var geometry = Detection.BoxGeometry.Of(preprocess, image.Width, image.Height, image.Shape);
        return boxes.Select(b => new Detection.PhotoDetection(b.ClassIndex, labels[b.ClassIndex].Name, b.Score, geometry.ToPhoto(b.InputBox))).ToList();
    }

    /// <summary>The first NaN or infinite score, if any.</summary>
    internal static (int Index, float Value)? NonFinite(float[] scores)
    {
        for (int i = 0; i < scores.Length; i++) if (!float.IsFinite(scores[i])) return (i, scores[i]);
        return null;
    }

    /// <summary>Forward pass only, without autograd bookkeeping.</summary>
    public static float[][] Logits(LayeredModel model, IReadOnlyList<float[]> chw, InputShape shape)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var input = Stack(chw, shape);
        return Rows(model.Logits(input));
    }

    /// <summary>A batch's outputs (B x anything) as one float row an image.</summary>
    public static float[][] Rows(Tensor output)
    {
        var flat = output.to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
        int batch = (int)output.shape[0], per = flat.Length / Math.Max(1, batch);
        return Enumerable.Range(0, batch).Select(i => flat.AsSpan(i * per, per).ToArray()).ToArray();
    }

    public static Tensor Stack(IReadOnlyList<float[]> chw, InputShape shape) => Stack(chw, shape.Channels, shape.Height, shape.Width);

    public static Tensor Stack(IReadOnlyList<float[]> chw, int channels, int height, int width)
    {
        int per = channels * height * width;
        var buffer = new float[chw.Count * per];
        for (int i = 0; i < chw.Count; i++)
        {
            if (chw[i].Length != per)
                throw new ArgumentException($"An input holds {chw[i].Length} values, not {channels} x {height} x {width}.", nameof(chw));
            chw[i].CopyTo(buffer, i * per);
        }
        return tensor(buffer, new long[] { chw.Count, channels, height, width });
    }


    /// <summary>A segmenter's categories by share of pixels; each one's logit is its mean output over the image.</summary>
    private static IReadOnlyList<RankedClass> RankShares(PixelShares segments, ClassLabels labels, int top) =>
        Rank(segments.Shares.Select(v => (float)v).ToArray(), segments.Shares, labels, top)
            .Select(r => r with { Logit = segments.MeanOutputs[r.ClassIndex] }).ToList();

    public static IReadOnlyList<RankedClass> Rank(float[] logits, IReadOnlyList<double> probabilities, ClassLabels labels, int top) =>
        logits.Select((l, i) => (l, i)).OrderByDescending(p => p.l).Take(Math.Min(top, logits.Length))
            .Select((p, rank) =>
            {
                var label = labels[p.i];
                return new RankedClass(rank + 1, p.i, label.WordNetId, label.Name, probabilities[p.i], p.l);
            }).ToList();
}
