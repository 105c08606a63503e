using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Attribution;

/// <summary>
/// Attributions for a batch, as CAM results: the map is the attribution as Captum's visualize_image_attr scales it for a
/// picture (channels summed, the sign asked for, clipped where the largest <see cref="AttributionOptions.OutlierPercent"/>
/// of the mass begins, so 0..1), and the attribution itself rides along (C x H x W at the network input).
/// </summary>
public static class AttributionEngine
{
    public static IReadOnlyList<CamResult> Compute(LayeredModel model, IReadOnlyList<CamItem> items, AttributionMethod method, InputShape shape,
        CamOptions options, CancellationToken cancellation)
    {
        if (options.AugSmooth || options.EigenSmooth)
            throw new HeatmapToolsException(ErrorIds.MethodNotSupported, ErrorKind.InvalidArgument,
                $"{method.Name} attributes the input, so -AugSmooth and -EigenSmooth (which smooth a layer's CAM) do not apply.", method.Name);
        var results = new CamResult[items.Count];
        using var scope = NewDisposeScope();
        var input = Predictor.Stack(items.Select(i => i.Chw).ToList(), shape);
        Tensor logits;
        using (no_grad()) logits = model.Logits(input);
        for (int i = 0; i < items.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            using var step = NewDisposeScope();
            int row = i;
            Cam.Targets.CamTarget target;
            try
            {
                target = options.TargetFor(items[i], () => (int)logits[row].argmax().item<long>(),
                    () => logits[row].to_type(ScalarType.Float32).contiguous().data<float>().ToArray());
            }
            // As CamEngine: an image whose target selects nothing is that image's error, the batch goes on.
            catch (HeatmapToolsException error) when (items[i].Target is Cam.Targets.PredictedSegmentTarget predicted && error.Category is ErrorKind.InvalidData)
            {
                var nothing = predicted.Nothing();
                results[i] = new CamResult(new float[shape.Height * shape.Width], shape.Width, shape.Height, nothing.ClassIndex, 0) { Target = nothing, Error = error };
                continue;
            }
            var x = input[i..(i + 1)];
            float score;
            using (no_grad()) score = target.Score(model, x, 0).item<float>();
            var context = new AttributionContext { Model = model, Input = x, Target = target, Options = options.Attribution, Cancellation = cancellation };
            var attribution = NoisyCopies.Attribute(method, context).to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
            if (Array.Exists(attribution, v => !float.IsFinite(v)))
                throw new HeatmapToolsException(ErrorIds.ScoreNotFinite, ErrorKind.InvalidResult,
                    $"{method.Name} of {target} gave non-finite attributions: the weights or the input overflow.", method.Name);
            var map = Visual(attribution, shape.Channels, shape.Height, shape.Width, options.Attribution.Sign, options.Attribution.OutlierPercent);
            results[i] = new CamResult(map, shape.Width, shape.Height, target.ClassIndex, score)
                { Target = target, Attribution = attribution, AttributionWidth = shape.Width, AttributionHeight = shape.Height,
                  Logits = model.Info.IsSegmentation || model.Info.IsDetection ? null : logits[i].to_type(ScalarType.Float32).data<float>().ToArray() };
        }
        return results;
    }

    /// <summary>
    /// Captum's _normalize_attr with the channel axis reduced: the channels' sum, the sign's part of it, divided by the
    /// value at which the sorted magnitudes' cumulative sum reaches (100 - outlier) % of their total, clipped to [-1, 1].
    /// With <see cref="AttributionSign.All"/> the result is moved to [0, 1] (0.5 is no attribution).
    /// </summary>
    public static float[] Visual(float[] attribution, int channels, int height, int width, AttributionSign sign, double outlierPercent)
    {
        int plane = height * width;
        var combined = new double[plane];
        for (int c = 0; c < channels; c++)
            for (int p = 0; p < plane; p++) combined[p] += attribution[c * plane + p];
        for (int p = 0; p < plane; p++)
            combined[p] = sign switch
            {
                AttributionSign.AbsoluteValue => Math.Abs(combined[p]),
                AttributionSign.Positive => Math.Max(combined[p], 0),
                AttributionSign.Negative => Math.Min(combined[p], 0),
                _ => combined[p],
            };
        double threshold = CumulativeSumThreshold(combined.Select(Math.Abs).ToArray(), 100 - outlierPercent);
        if (sign == AttributionSign.Negative) threshold = -threshold;
        var map = new float[plane];
        for (int p = 0; p < plane; p++)
        {
            double v = threshold == 0 ? 0 : Math.Clamp(combined[p] / threshold, -1, 1);
            map[p] = (float)(sign == AttributionSign.All ? (v + 1) / 2 : v);
        }
        return map;
    }

    /// <summary>The smallest sorted value at which the running sum reaches <paramref name="percentile"/> % of the total.</summary>
    private static double CumulativeSumThreshold(double[] values, double percentile)
    {
        var sorted = values.Order().ToArray();
        double total = sorted.Sum(), running = 0;
        foreach (var v in sorted)
        {
            running += v;
            if (running >= total * 0.01 * percentile) return v;
        }
        return sorted.Length == 0 ? 0 : sorted[^1];
    }
}
