using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;
using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Detection;

/// <summary>What counts as a detection: a score above the threshold (YOLO's 0.25), NMS at the IoU threshold, the best ones kept.</summary>
public sealed record DetectionOptions(double ScoreThreshold = 0.25, double IouThreshold = 0.45, int MaxDetections = 100)
{
    public static DetectionOptions Default { get; } = new();
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
        return Detect(Outputs(model, chw, shape), model.Info.Detection!, options, notFinite);
    }

    /// <summary>A detector's raw outputs (B x rows x columns) for same-shaped inputs; the caller holds the dispose scope and the grad mode.</summary>
    public static Tensor Outputs(LayeredModel model, IReadOnlyList<float[]> chw, InputShape shape)
    {
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
            var candidates = Enumerable.Range(0, bestValues.Length).Where(i => bestValues[i] > options.ScoreThreshold).ToArray();
            var candidateBoxes = candidates.Select(i => boxValues.AsSpan(i * 4, 4).ToArray()).ToList();
            var keep = BoxNms.Keep(candidateBoxes, candidates.Select(i => bestValues[i]).ToList(), candidates.Select(i => (int)classValues[i]).ToList(),
                options.IouThreshold, options.MaxDetections);
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
