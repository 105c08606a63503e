using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;
using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Detection;

/// <summary>
/// What counts as a detection: a score above the threshold, NMS at the IoU threshold, the best ones kept. A setting left
/// null is the model's (torchvision's detectors carry their own), else YOLO's (0.25, 0.45, 100).
/// </summary>
public sealed record DetectionOptions(double? ScoreThreshold = null, double? IouThreshold = null, int? MaxDetections = null)
{
    /// <summary>YOLO's settings, for a detector that names none.</summary>
    public static DetectionOptions Default { get; } = new(0.25, 0.45, 100);

    /// <summary>These settings, each missing one taken from <paramref name="fallback"/>.</summary>
    public DetectionOptions Over(DetectionOptions? fallback) => fallback is null ? this
        : new(ScoreThreshold ?? fallback.ScoreThreshold, IouThreshold ?? fallback.IouThreshold, MaxDetections ?? fallback.MaxDetections);

    /// <summary>Every setting decided: the given ones, then the model's, then YOLO's.</summary>
    public DetectionOptions For(Models.ArchitectureInfo info) => Over(info.DetectionDefaults).Over(Default);

    public double Score => ScoreThreshold ?? Default.ScoreThreshold!.Value;
    public double Iou => IouThreshold ?? Default.IouThreshold!.Value;
    public int Max => MaxDetections ?? Default.MaxDetections!.Value;
}

/// <summary>One box a detector found: its class, score, the anchor (output column) it came from, and where it is on the network input.</summary>
public sealed record DetectedBox(int ClassIndex, float Score, BoxCorners InputBox, int Anchor);

/// <summary>A detection as a user reads it: its class, score and box in the photo's pixels.</summary>
public sealed record PhotoDetection(int ClassIndex, string Label, float Score, BoxCorners Box);

/// <summary>Reads detections off a detector's raw outputs: decode, each anchor's best class, score threshold, NMS per class.</summary>
public static class Detector
{
    /// <summary>Detections of same-shaped inputs, in one forward pass without gradients.</summary>
    public static IReadOnlyList<DetectedBox>[] Detect(LayeredModel model, IReadOnlyList<float[]> chw, InputShape shape, DetectionOptions options,
        Action<int, float>? notFinite = null)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        options = options.For(model.Info);
        return Detect(Outputs(model, chw, shape, options), model.Info.Detection!, options, notFinite);
    }

    /// <summary>A detector's raw outputs (B x rows x columns) for same-shaped inputs; the caller holds the dispose scope and the grad mode.</summary>
    /// <param name="options">The settings a network that suppresses its own boxes applies (torchvision's).</param>
    public static Tensor Outputs(LayeredModel model, IReadOnlyList<float[]> chw, InputShape shape, DetectionOptions? options = null)
    {
        using var settings = DetectionScope.Use(options?.For(model.Info));
        var output = model.Logits(Predictor.Stack(chw, shape));
        var (rows, columns) = model.Info.Detection!.Shape(output.shape[1], model.NumClasses);
        return output.reshape(output.shape[0], rows, columns);
    }

    /// <summary>Each sample's detections, highest score first; a sample with a score that is not a number is reported by index.</summary>
    public static IReadOnlyList<DetectedBox>[] Detect(Tensor output, DetectionOutput layout, DetectionOptions options, Action<int, float>? notFinite = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var results = new IReadOnlyList<DetectedBox>[output.shape[0]];
        for (int b = 0; b < results.Length; b++)
        {
            var (boxes, scores) = layout.Decode(output[b].to_type(ScalarType.Float32));
            var (best, classes) = scores.max(1);
            var bestValues = best.contiguous().data<float>().ToArray();
            int bad = Array.FindIndex(bestValues, v => !float.IsFinite(v));
            if (bad >= 0)
            {
                notFinite?.Invoke(b, bestValues[bad]);
                results[b] = Array.Empty<DetectedBox>();
                continue;
            }
            var classValues = classes.contiguous().data<long>().ToArray();
            var boxValues = boxes.contiguous().data<float>().ToArray();
            var candidates = Enumerable.Range(0, bestValues.Length).Where(i => bestValues[i] > options.Score).ToArray();
            var candidateBoxes = candidates.Select(i => boxValues.AsSpan(i * 4, 4).ToArray()).ToList();
            // A network that suppressed its own boxes is read as it is: NMS again, with another rounding, could drop one it kept.
            var keep = layout.Suppressed
                ? Enumerable.Range(0, candidates.Length).OrderByDescending(k => bestValues[candidates[k]]).Take(options.Max).ToList()
                : BoxNms.Keep(candidateBoxes, candidates.Select(i => bestValues[i]).ToList(), candidates.Select(i => (int)classValues[i]).ToList(),
                    options.Iou, options.Max);
            results[b] = keep.Select(k =>
            {
                var box = candidateBoxes[k];
                int anchor = candidates[k];
                return new DetectedBox((int)classValues[anchor], bestValues[anchor], new BoxCorners(box[0], box[1], box[2], box[3]), anchor);
            }).ToList();
        }
        return results;
    }
}
