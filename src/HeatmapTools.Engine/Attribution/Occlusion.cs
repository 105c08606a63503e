using static TorchSharp.torch;

namespace HeatmapTools.Engine.Attribution;

/// <summary>
/// Occlusion: a square (all channels) slid over the input with a stride, each position set to the baseline; every value
/// gets the mean score drop of the squares that covered it (Captum's Occlusion). Values no square covers (a stride that
/// leaves the last rows or columns) get 0, where Captum divides 0 by 0.
/// </summary>
public sealed class Occlusion : AttributionMethod
{
    public override string Name => "Occlusion";
    public override string Paper => "Zeiler and Fergus 2014, Visualizing and Understanding Convolutional Networks";
    public override bool UsesGradients => false;

    public override Tensor Attribute(AttributionContext context)
    {
        var input = context.Input;
        long h = input.shape[2], w = input.shape[3];
        int window = context.Options.Window, stride = context.Options.Stride;
        if (window < 1 || stride < 1 || window > Math.Min(h, w))
            throw new HeatmapToolsException(ErrorIds.MethodNotApplicable, ErrorKind.InvalidArgument,
                $"Occlusion's window ({window}) and stride ({stride}) must be at least 1 and the window no larger than the {w} x {h} input.", window);
        var positions = (from y in Enumerable.Range(0, (int)((h - window) / stride) + 1)
                         from x in Enumerable.Range(0, (int)((w - window) / stride) + 1)
                         select (Y: y * stride, X: x * stride)).ToList();
        float original = context.Scores(input)[0];
        var baseline = Baseline(context);
        var total = zeros(1, 1, h, w, ScalarType.Float64);
        var count = zeros(1, 1, h, w, ScalarType.Float64);
        for (int start = 0; start < positions.Count; start += context.Options.Chunk)
        {
            using var scope = NewDisposeScope();
            var part = positions.Skip(start).Take(context.Options.Chunk).ToList();
            var masks = zeros(part.Count, 1, h, w);
            for (int i = 0; i < part.Count; i++)
                masks[i, 0, TensorIndex.Slice(part[i].Y, part[i].Y + window), TensorIndex.Slice(part[i].X, part[i].X + window)] = 1;
            var occluded = input * (1 - masks) + baseline * masks;
            var drops = context.Scores(occluded).Select(s => (double)original - s).ToArray();
            var weighted = (masks.to_type(ScalarType.Float64) * tensor(drops).reshape(-1, 1, 1, 1)).sum(0, keepdim: true);
            total.add_(weighted);
            count.add_(masks.to_type(ScalarType.Float64).sum(0, keepdim: true));
        }
        var mean = where(count > 0, total / count.clamp_min(1), zeros_like(total));
        return mean.to_type(ScalarType.Float32).expand(1, input.shape[1], h, w).contiguous();
    }
}
