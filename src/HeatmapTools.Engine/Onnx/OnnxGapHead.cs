using static TorchSharp.torch;

namespace HeatmapTools.Engine.Onnx;

/// <summary>
/// Reads, from an ONNX graph, a head that only averages a layer's maps over space and applies one affine layer, as
/// exporters write it: GlobalAveragePool, ReduceMean over the spatial axes or an AveragePool as large as the maps; then
/// Flatten, Reshape (with its Shape/Gather/Concat helpers), Squeeze, Dropout or Identity; then Gemm, or MatMul with an
/// optional Add; then at most a Softmax. Such a head makes logit_c = sum_k w_ck mean(A_k) + b_c, which is what classic
/// CAM needs (its map is sum_k w_ck A_k).
/// </summary>
public static class OnnxGapHead
{
    private static readonly HashSet<string> Reshapes = new(StringComparer.Ordinal) { "Flatten", "Reshape", "Squeeze", "Identity", "Dropout" };
    private static readonly HashSet<string> ShapeHelpers = new(StringComparer.Ordinal)
        { "Shape", "Gather", "Unsqueeze", "Concat", "Constant", "Cast", "Slice", "Squeeze", "Size", "Mul", "Div", "ConstantOfShape" };
    private static readonly HashSet<string> Endings = new(StringComparer.Ordinal) { "Softmax", "LogSoftmax", "Identity", "Flatten", "Reshape" };

    /// <summary>
    /// The head's weights as classes x channels, or null with the reason in <paramref name="why"/>.
    /// </summary>
    /// <param name="nodes">The graph's nodes after the one that computes <paramref name="layerTensor"/>, in order.</param>
    /// <param name="value">A constant or weight of the graph by name, or null when the tensor is computed.</param>
    /// <param name="channelsLast">The layer's tensor is N x H x W x C (a Keras export).</param>
    /// <param name="height">The layer's map height, for an AveragePool as large as the maps.</param>
    public static Tensor? ClassWeights(IReadOnlyList<OnnxNode> nodes, string layerTensor, string graphOutput, Func<string, Tensor?> value,
        bool channelsLast, long height, long width, out string why)
    {
        string current = layerTensor;
        var helpers = new HashSet<string>(StringComparer.Ordinal);
        Tensor? weights = null;
        bool pooled = false, biased = false;
        foreach (var node in nodes)
        {
            bool readsCurrent = node.Inputs.Contains(current);
            bool readsOnlyKnown = node.Inputs.All(i => i.Length == 0 || i == current || helpers.Contains(i) || value(i) is not null);
            if (!readsOnlyKnown)
            {
                why = $"{node} reads a tensor other than '{current}' (a branch or skip connection)";
                return null;
            }
            // Shape arithmetic that reads the chain only for its size (x.view(x.size(0), -1)).
            if (ShapeHelpers.Contains(node.Op) && (!readsCurrent || node.Op is "Shape" or "Size") && !(readsCurrent && node.Inputs[0] == current && node.Op == "Squeeze"))
            {
                foreach (var o in node.Outputs) helpers.Add(o);
                continue;
            }
            if (!readsCurrent)
            {
                why = $"{node} does not continue from '{current}'";
                return null;
            }
            if (node.Inputs[0] != current || node.Inputs.Skip(1).Contains(current))
            {
                why = $"{node} reads '{current}' other than as its data";
                return null;
            }
            if (!pooled)
            {
                if (!IsSpatialMean(node, value, channelsLast, height, width))
                {
                    why = $"{node} is not global average pooling over the maps";
                    return null;
                }
                pooled = true;
            }
            else if (weights is null && Reshapes.Contains(node.Op)) { }
            else if (weights is null && node.Op == "Gemm" && value(node.Inputs[1]) is { Dimensions: 2 } b && node.Int("transA", 0) == 0)
                weights = (node.Int("transB", 0) != 0 ? b : b.t()) * node.Float("alpha", 1f);
            else if (weights is null && node.Op == "MatMul" && value(node.Inputs[1]) is { Dimensions: 2 } m)
                weights = m.t();
            else if (weights is null && node.Op == OnnxFusion.Linear && value(node.Inputs[1]) is { Dimensions: 2 } l)
                weights = l;
            else if (weights is not null && !biased && node.Op == "Add" && node.Inputs.Length == 2 && value(node.Inputs[1]) is not null)
                biased = true;
            else if (weights is not null && Endings.Contains(node.Op)) { }
            else
            {
                why = weights is null ? $"{node} comes between the pooling and the classifier" : $"{node} comes after the classifier";
                return null;
            }
            current = node.Outputs[0];
        }
        if (!pooled || weights is null || current != graphOutput)
        {
            why = !pooled ? "no global average pooling follows it" : weights is null ? "no linear classifier follows the pooling" : "the classifier's output is not the graph's output";
            return null;
        }
        why = "";
        return weights;
    }

    private static bool IsSpatialMean(OnnxNode node, Func<string, Tensor?> value, bool channelsLast, long height, long width)
    {
        long[] spatial = channelsLast ? new long[] { 1, 2 } : new long[] { 2, 3 };
        switch (node.Op)
        {
            case "GlobalAveragePool":
                return !channelsLast;
            case "ReduceMean":
                var axes = node.Ints("axes") ?? (node.Inputs.Length > 1 && node.Inputs[1].Length > 0 && value(node.Inputs[1]) is { } a
                    ? a.data<long>().ToArray() : null);
                return axes is not null && axes.Select(x => x < 0 ? x + 4 : x).OrderBy(x => x).SequenceEqual(spatial);
            case "AveragePool":
                return !channelsLast && node.Ints("kernel_shape") is [var kh, var kw] && kh == height && kw == width
                    && (node.Ints("pads") ?? Array.Empty<long>()).All(p => p == 0) && node.String("auto_pad", "NOTSET") is "NOTSET" or "VALID";
            default:
                return false;
        }
    }
}
