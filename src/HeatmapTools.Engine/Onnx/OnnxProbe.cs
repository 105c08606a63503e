using HeatmapTools.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Onnx;

/// <summary>How an ONNX graph takes images: N x C x H x W, or N x H x W x C as tf2onnx writes Keras models.</summary>
internal sealed record OnnxInputLayout(bool ChannelsLast, long Channels, long Height, long Width, bool SizeFromGraph)
{
    public const int DefaultSize = 224;

    public static OnnxInputLayout Of(OnnxGraph graph)
    {
        var s = graph.InputShape;
        if (s.Length != 4)
            throw new HeatmapToolsException(ErrorIds.OnnxModelInvalid, ErrorKind.InvalidData,
                $"'{graph.Path}' takes a {s.Length}-dimensional input '{graph.InputName}'; an image model takes N x C x H x W (or N x H x W x C).", graph.Path);
        bool last = s[3] is 1 or 3 or 4 && s[1] is not (1 or 3 or 4);
        long c = last ? s[3] : s[1], h = last ? s[1] : s[2], w = last ? s[2] : s[3];
        bool fixedSize = h > 0 && w > 0;
        return new OnnxInputLayout(last, c > 0 ? c : 3, h > 0 ? h : DefaultSize, w > 0 ? w : DefaultSize, fixedSize);
    }
}

/// <summary>What one run of the graph at load tells: each target's layout, the default layer, whether it outputs probabilities.</summary>
/// <param name="Segmentation">The output is a map per class at the input's size (B x classes x H x W): a segmentation model.</param>
/// <param name="OutputShape">The output's shape for one image.</param>
internal sealed record OnnxProbeResult(IReadOnlyDictionary<string, ActivationLayout> Layouts, string? DefaultLayer, bool OutputIsProbability, int Classes,
    bool Segmentation, long[] OutputShape);

internal static class OnnxProbe
{
    public static OnnxProbeResult Run(OnnxNetwork network, IReadOnlyList<OnnxSegment> segments, OnnxInputLayout input, OnnxGraph graph,
        IReadOnlyDictionary<string, string> tensorTarget)
    {
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        var order = new List<string>();
        var kept = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        long patches = 0;
        Tensor? features = null;
        using var scope = NewDisposeScope();
        // A fixed pseudo-random image: zeros would leave normalisations and gradients degenerate.
        var random = new Random(20240601);
        var values = new float[input.Channels * input.Height * input.Width];
        for (int k = 0; k < values.Length; k++) values[k] = (float)(random.NextDouble() * 2 - 1);
        var x = tensor(values, new[] { 1, input.Channels, input.Height, input.Width }).requires_grad_(true);
        foreach (var segment in segments)
            segment.Observe = (name, value) =>
            {
                shapes[name] = value.shape;
                order.Add(name);
                if (TokenGrid(value.shape, input) is long p && p > 0) { kept[name] = value; patches = p; }
                else if (name != graph.OutputName && value.dim() == 2 && value.shape[1] > 1 && value.is_floating_point()) features = value;
            };
        Tensor output;
        try
        {
            using var grad = enable_grad();
            output = network.forward(x);
        }
        finally
        {
            foreach (var segment in segments) segment.Observe = null;
        }

        var nhwc = ChannelsLastTensors(graph, input, shapes);
        var layouts = new Dictionary<string, ActivationLayout>(StringComparer.OrdinalIgnoreCase);
        foreach (var (tensorName, target) in tensorTarget)
        {
            if (!shapes.TryGetValue(tensorName, out var shape)) continue;
            if (kept.ContainsKey(tensorName)) layouts[target] = ActivationLayout.ClassTokenSequence;
            else if (shape.Length == 4 && nhwc.Contains(tensorName)) layouts[target] = ActivationLayout.ChannelsLast;
        }

        bool Spatial(string t) => shapes.TryGetValue(t, out var s) && s.Length == 4 && (nhwc.Contains(t) ? s[1] * s[2] : s[2] * s[3]) > 1;
        var candidates = order.Where(t => t != graph.OutputName && tensorTarget.ContainsKey(t)).ToList();
        var stageOutputs = segments.Select(s => s.Output).ToHashSet(StringComparer.Ordinal);
        int lastSpatial = candidates.FindLastIndex(t => stageOutputs.Contains(t) && Spatial(t));
        if (lastSpatial < 0) lastSpatial = candidates.FindLastIndex(Spatial);
        string? chosen = lastSpatial >= 0 ? candidates[lastSpatial] : null;

        // Transformers: the last token activation whose patch tokens the output depends on (the last block's first norm,
        // where pytorch-grad-cam's documentation points; the later ones reach the class token only through itself).
        // Only tokens as wide as the residual stream (the width most token tensors have): a query-key-value projection is wider.
        long width = kept.Values.GroupBy(t => t.shape[2]).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault();
        var tokens = candidates.Skip(lastSpatial + 1).Where(t => kept.TryGetValue(t, out var v) && v.shape[2] == width).ToList();
        if (tokens.Count > 0)
        {
            // Randomly weighted, so no sum cancels (a normalisation's outputs sum to a constant), and taken at the features
            // before the head too (torchvision's ViT head starts at zero, so untrained logits depend on nothing).
            var score = Weighted(output);
            if (features is not null && features.requires_grad) score = score + Weighted(features);
            var grads = autograd.grad(new[] { score }, tokens.Select(t => kept[t]).ToList(), allow_unused: true);
            for (int k = tokens.Count - 1; k >= 0; k--)
            {
                var g = grads[k];
                if (g is null || g.Handle == IntPtr.Zero) continue;
                if (g[.., 1..].abs().sum().ToDouble() > 0) { chosen = tokens[k]; break; }
            }
        }
        // A detector (B x rows x columns out): the deepest features before its heads, as pytorch-grad-cam's YOLOv5 notebook
        // takes model[-2]: of the coarsest maps, those with the most channels, the last computed (a head's maps are narrower).
        if (output.dim() == 3)
        {
            var maps = candidates.Where(t => shapes[t].Length == 4 && !nhwc.Contains(t) && shapes[t][2] * shapes[t][3] > 1).ToList();
            if (maps.Count > 0)
            {
                long coarsest = maps.Min(t => shapes[t][2] * shapes[t][3]);
                var deepest = maps.Where(t => shapes[t][2] * shapes[t][3] == coarsest).ToList();
                long widest = deepest.Max(t => shapes[t][1]);
                chosen = deepest.Last(t => shapes[t][1] == widest);
            }
        }
        var last = graph.Nodes.Last(n => n.Outputs.Contains(graph.OutputName));
        bool probability = last.Op == "Softmax" || last.Op is "Identity" or "Flatten" or "Reshape" &&
            graph.Nodes.LastOrDefault(n => n.Outputs.Contains(last.Inputs[0]))?.Op == "Softmax";
        bool segmentation = output.dim() == 4 && output.shape[2] == input.Height && output.shape[3] == input.Width && output.shape[1] > 1;
        return new OnnxProbeResult(layouts, chosen is null ? null : tensorTarget[chosen], probability, output.dim() >= 2 ? (int)output.shape[1] : 1, segmentation, output.shape);
    }

    private static Tensor Weighted(Tensor t)
    {
        var random = new Random(7);
        var weights = tensor(Enumerable.Range(0, (int)t.numel()).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray(), t.shape);
        return (t.to_type(ScalarType.Float32) * weights).sum();
    }

    /// <summary>The patch size when a shape is B x (1 + h*w) x K with h x w patches tiling the input (a class token, then the grid); else null.</summary>
    internal static long? TokenGrid(long[] shape, OnnxInputLayout input)
    {
        if (shape.Length != 3 || shape[1] < 5) return null;
        long grid = shape[1] - 1;
        for (long p = 2; p <= Math.Min(input.Height, input.Width); p++)
            if (input.Height % p == 0 && input.Width % p == 0 && (input.Height / p) * (input.Width / p) == grid) return p;
        return null;
    }

    /// <summary>
    /// 4-D tensors laid out N x H x W x C. The shape tells when only one reading has the input's proportions at some
    /// stride (Swin's 7 x 7 x 768, tf2onnx's 18 x 18 x 32 from a 72-pixel input); otherwise the order the graph made it
    /// in does: the channels-last input, a Transpose to that order, and what element-wise operators make of those.
    /// </summary>
    private static HashSet<string> ChannelsLastTensors(OnnxGraph graph, OnnxInputLayout input, IReadOnlyDictionary<string, long[]> shapes)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (input.ChannelsLast) set.Add(graph.InputName);
        foreach (var node in graph.Nodes)
        {
            if (node.Outputs.Length == 0 || !shapes.TryGetValue(node.Outputs[0], out var shape) || shape.Length != 4) continue;
            bool first = Fits(shape[2], shape[3], input), last = Fits(shape[1], shape[2], input);
            bool byOrder = node.Op switch
            {
                "Transpose" => node.Ints("perm") is { } perm && perm.SequenceEqual(new long[] { 0, 2, 3, 1 }),
                "Conv" or "ConvTranspose" or "MaxPool" or "AveragePool" or "GlobalAveragePool" or "BatchNormalization" or "Resize" => false,
                _ => node.Inputs.Any(i => set.Contains(i) && shapes.TryGetValue(i, out var s) && s.Length == 4 && s[3] == shape[3]),
            };
            if (first != last ? last : byOrder) set.Add(node.Outputs[0]);
        }
        return set;
    }

    /// <summary>Whether h x w is the input's size divided by one stride (rounded either way, as convolutions and pools round).</summary>
    private static bool Fits(long h, long w, OnnxInputLayout input)
    {
        if (h < 1 || w < 1 || h > input.Height || w > input.Width) return false;
        for (long k = 1; k <= input.Height; k++)
        {
            long fh = input.Height / k, ch = (input.Height + k - 1) / k, fw = input.Width / k, cw = (input.Width + k - 1) / k;
            if ((h == fh || h == ch) && (w == fw || w == cw)) return true;
            if (ch < h) break;
        }
        return false;
    }
}
