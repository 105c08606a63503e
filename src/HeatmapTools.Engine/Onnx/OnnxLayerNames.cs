namespace HeatmapTools.Engine.Onnx;

/// <summary>
/// The names a tensor of an ONNX graph can be asked for by. torch.onnx.export names each node by the scopes of the
/// modules that made it (<c>/layer4/layer4.1/relu_1/Relu</c>), so the module path <c>layer4.1</c> means the output of
/// the nodes under <c>/layer4/layer4.1/</c>: the last tensor they compute that is used outside them. tf2onnx names
/// nodes by Keras layer (<c>model/conv2d_1/Relu</c>) and reads the same way. Node names and tensor names work too.
/// </summary>
internal static class OnnxLayerNames
{
    /// <summary>
    /// The module path of a node: its name's scopes joined with dots. A child of a Sequential is scoped by its parent's
    /// attribute and its index (<c>/features/features.3/</c>, <c>/se/se.0/</c>), which adds only the index.
    /// </summary>
    public static string? ModulePath(OnnxNode node)
    {
        var parts = node.Name.TrimStart('/').Split('/');
        if (parts.Length < 2) return null;
        string path = "", last = "";
        foreach (var part in parts[..^1])
        {
            if (part.Length == 0) continue;
            path = path.Length == 0 ? part : last.Length > 0 && part.StartsWith(last + ".", StringComparison.Ordinal) ? path + part[last.Length..] : $"{path}.{part}";
            last = part;
        }
        return path.Length == 0 ? null : path;
    }

    /// <summary>A name for an anonymous operator's output: its module path and the node's own last name part (<c>layer1.0.Add</c>).</summary>
    public static string? OperatorName(OnnxNode node) =>
        ModulePath(node) is { } path ? $"{path}.{node.Name.Split('/')[^1]}" : node.Name.StartsWith('/') && !node.Name[1..].Contains('/') ? node.Name[1..] : null;

    /// <summary>Every module path with the tensor it outputs: the last tensor computed under it and used outside it (or the graph's output).</summary>
    public static Dictionary<string, string> ModuleOutputs(IReadOnlyList<OnnxNode> nodes, string graphOutput)
    {
        var pathOf = nodes.Select(ModulePath).ToArray();
        var consumers = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int k = 0; k < nodes.Count; k++)
            foreach (var input in nodes[k].Inputs)
                if (input.Length > 0) (consumers.TryGetValue(input, out var list) ? list : consumers[input] = new List<int>()).Add(k);

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var paths = pathOf.Where(p => p is not null).SelectMany(p => Prefixes(p!)).Distinct().ToList();
        foreach (var path in paths)
        {
            bool Inside(int k) => pathOf[k] is { } p && (p == path || p.StartsWith(path + ".", StringComparison.Ordinal));
            for (int k = nodes.Count - 1; k >= 0; k--)
            {
                if (!Inside(k)) continue;
                var output = nodes[k].Outputs.FirstOrDefault(o => o.Length > 0 && (o == graphOutput || consumers.TryGetValue(o, out var c) && c.Any(j => !Inside(j))));
                if (output is null) continue;
                result[path] = output;
                break;
            }
        }
        return result;
    }

    private static IEnumerable<string> Prefixes(string path)
    {
        // Prefixes at dots that end a scope: "layer4.1.conv1" has "layer4", "layer4.1" and itself.
        for (int i = 0; i < path.Length; i++)
            if (path[i] == '.') yield return path[..i];
        yield return path;
    }
}
