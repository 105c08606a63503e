using static TorchSharp.torch;

namespace HeatmapTools.Engine.Onnx;

/// <summary>
/// Exporters write a linear layer as MatMul then Add, and exact GELU as five element-wise operators around Erf; run as
/// written, each is several passes over a transformer's largest tensors. Each such run becomes one
/// operator (torch's linear, torch's gelu) named as its last node, so module paths and names still find its output;
/// the intermediate tensors go, which nothing outside the run reads.
/// </summary>
internal static class OnnxFusion
{
    public const string Linear = "HeatmapTools.Linear";
    public const string Gelu = "HeatmapTools.Gelu";

    public static List<OnnxNode> Fuse(List<OnnxNode> nodes, Dictionary<string, Tensor> constants, string output)
    {
        var consumers = new Dictionary<string, List<OnnxNode>>(StringComparer.Ordinal);
        foreach (var n in nodes)
            foreach (var i in n.Inputs.Where(i => i.Length > 0))
                (consumers.TryGetValue(i, out var l) ? l : consumers[i] = new List<OnnxNode>()).Add(n);
        OnnxNode? Only(string tensor) => tensor != output && consumers.TryGetValue(tensor, out var l) && l.Count == 1 ? l[0] : null;
        float? Scalar(string name) => constants.TryGetValue(name, out var t) && t.numel() == 1 && t.is_floating_point() ? t.to_type(ScalarType.Float32).item<float>() : null;

        var replaced = new Dictionary<OnnxNode, OnnxNode?>();
        foreach (var n in nodes)
        {
            if (replaced.ContainsKey(n)) continue;
            if (n.Op == "MatMul" && constants.TryGetValue(n.Inputs[1], out var w) && w.dim() == 2 && w.is_floating_point()
                && Only(n.Outputs[0]) is { Op: "Add" } add && !replaced.ContainsKey(add))
            {
                string bias = add.Inputs[0] == n.Outputs[0] ? add.Inputs[1] : add.Inputs[0];
                if (!constants.TryGetValue(bias, out var b) || b.dim() != 1 || b.shape[0] != w.shape[1]) continue;
                string weight = n.Inputs[1] + "#transposed";
                if (!constants.ContainsKey(weight)) constants[weight] = w.t().contiguous().DetachFromDisposeScope();
                replaced[n] = null;
                replaced[add] = new OnnxNode(add.Name, Linear, new[] { n.Inputs[0], weight, bias }, add.Outputs, add.Index);
            }
            else if (n.Op == "Div" && Scalar(n.Inputs[1]) is float root && Math.Abs(root - Math.Sqrt(2)) < 1e-4
                && Only(n.Outputs[0]) is { Op: "Erf" } erf && Only(erf.Outputs[0]) is { Op: "Add" } plus && plus.Inputs.Any(i => Scalar(i) == 1f)
                && Only(plus.Outputs[0]) is { Op: "Mul" } times && times.Inputs.Contains(n.Inputs[0])
                && Only(times.Outputs[0]) is { Op: "Mul" } half && half.Inputs.Any(i => Scalar(i) == 0.5f))
            {
                foreach (var part in new[] { n, erf, plus, times }) replaced[part] = null;
                replaced[half] = new OnnxNode(half.Name, Gelu, new[] { n.Inputs[0] }, half.Outputs, half.Index);
            }
        }
        return nodes.Select(n => replaced.TryGetValue(n, out var r) ? r : n).Where(n => n is not null).Select(n => n!).ToList();
    }
}
