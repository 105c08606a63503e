using Onnx;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Onnx;

/// <summary>
/// An ONNX graph read for running with TorchSharp: its operators checked against what HeatmapTools runs (an operator it
/// does not is refused here, at load, never mid-run), the parts that depend only on weights and constants computed
/// once, and the nodes the output does not need dropped.
/// </summary>
public sealed class OnnxGraph
{
    private OnnxGraph(string path) => Path = path;

    public string Path { get; }
    public int Opset { get; private set; }
    public string Producer { get; private set; } = "";
    public string InputName { get; private set; } = "";
    /// <summary>The input's dimensions; 0 where the graph leaves one open (a dynamic batch or size).</summary>
    public long[] InputShape { get; private set; } = Array.Empty<long>();
    public string OutputName { get; private set; } = "";
    /// <summary>The nodes that run per image, in the graph's (topological) order.</summary>
    public IReadOnlyList<OnnxNode> Nodes { get; private set; } = Array.Empty<OnnxNode>();
    /// <summary>Initializers and everything computed from them alone, by tensor name.</summary>
    public IReadOnlyDictionary<string, Tensor> Constants { get; private set; } = new Dictionary<string, Tensor>();
    /// <summary>Declared shapes of intermediate tensors, where the exporter recorded them.</summary>
    public IReadOnlyDictionary<string, long[]> DeclaredShapes { get; private set; } = new Dictionary<string, long[]>();

    public static OnnxGraph Load(string path)
    {
        ModelProto model;
        try
        {
            using var stream = File.OpenRead(path);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            throw new HeatmapToolsException(ErrorIds.OnnxModelInvalid, ErrorKind.InvalidData, $"'{path}' is not a readable ONNX model: {e.Message}", path);
        }
        if (model.Graph is null || model.Graph.Node.Count == 0)
            throw new HeatmapToolsException(ErrorIds.OnnxModelInvalid, ErrorKind.InvalidData, $"'{path}' holds no ONNX graph.", path);
        var graph = new OnnxGraph(System.IO.Path.GetFullPath(path));
        graph.Read(model);
        return graph;
    }

    private void Read(ModelProto model)
    {
        string directory = System.IO.Path.GetDirectoryName(Path)!;
        Producer = $"{model.ProducerName} {model.ProducerVersion}".Trim();
        Opset = (int)(model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 13);
        var g = model.Graph;
        var constants = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var init in g.Initializer) constants[init.Name] = OnnxTensors.Read(init, directory).DetachFromDisposeScope();

        var inputs = g.Input.Where(i => !constants.ContainsKey(i.Name)).ToList();
        if (inputs.Count != 1)
            throw new HeatmapToolsException(ErrorIds.OnnxModelInvalid, ErrorKind.InvalidData,
                $"'{Path}' takes {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => i.Name))}); an image model takes one.", Path);
        InputName = inputs[0].Name;
        InputShape = inputs[0].Type?.TensorType?.Shape?.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : 0L).ToArray()
            ?? Array.Empty<long>();
        OutputName = g.Output[0].Name;
        DeclaredShapes = g.ValueInfo.Concat(g.Output)
            .Where(v => v.Type?.TensorType?.Shape is not null)
            .GroupBy(v => v.Name).ToDictionary(v => v.Key, v => v.First().Type.TensorType.Shape.Dim.Select(d => d.DimValue).ToArray(), StringComparer.Ordinal);

        var nodes = g.Node.Select((n, k) => new OnnxNode(n, k, directory)).ToList();
        var unsupported = nodes.Where(n => n.Domain is not ("" or "ai.onnx") || !OnnxOps.TryGet(n.Op, out _)).ToList();
        if (unsupported.Count > 0)
        {
            var first = unsupported[0];
            var ops = unsupported.Select(n => n.Domain is "" or "ai.onnx" ? n.Op : $"{n.Domain}.{n.Op}").Distinct().ToList();
            throw new HeatmapToolsException(ErrorIds.OnnxOperatorUnsupported, ErrorKind.NotImplemented,
                $"'{Path}' uses the operator {ops[0]} (node '{first.Name}'){(ops.Count > 1 ? $" and {string.Join(", ", ops.Skip(1))}" : "")}, which HeatmapTools " +
                "does not run. Export again without it (a standard torch.onnx.export or tf2onnx of an image model uses none), or report it.", first.Name);
        }
        OnnxSupport.CheckAttributes(nodes);

        // Weights-only arithmetic (transposed weights, shapes of constants, Identity copies) is done once, here.
        var context = new OnnxRunContext { Opset = Opset, StaticBatch = 0 };
        var running = new List<OnnxNode>();
        using (no_grad())
        {
            foreach (var node in nodes)
            {
                bool foldable = node.Inputs.All(i => i.Length == 0 || constants.ContainsKey(i)) && node.Op is not ("RandomNormal" or "RandomUniform");
                if (!foldable) { running.Add(node); continue; }
                OnnxOps.TryGet(node.Op, out var op);
                var outputs = op(node, node.Inputs.Select(i => i.Length == 0 ? null : constants[i]).ToArray(), context);
                for (int k = 0; k < node.Outputs.Length && k < outputs.Length; k++)
                    if (node.Outputs[k].Length > 0) constants[node.Outputs[k]] = outputs[k].DetachFromDisposeScope();
            }
        }
        Nodes = OnnxFusion.Fuse(Prune(running), constants, OutputName);
        Constants = constants;
        if (!Nodes.Any(n => n.Outputs.Contains(OutputName)))
            throw new HeatmapToolsException(ErrorIds.OnnxModelInvalid, ErrorKind.InvalidData, $"'{Path}': no node computes the output '{OutputName}' from the input.", Path);
    }

    /// <summary>The nodes the output depends on (a Dropout's mask or an auxiliary head's branch is not).</summary>
    private List<OnnxNode> Prune(List<OnnxNode> nodes)
    {
        var needed = new HashSet<string>(StringComparer.Ordinal) { OutputName };
        var keep = new bool[nodes.Count];
        for (int k = nodes.Count - 1; k >= 0; k--)
        {
            if (!nodes[k].Outputs.Any(needed.Contains)) continue;
            keep[k] = true;
            foreach (var input in nodes[k].Inputs) if (input.Length > 0) needed.Add(input);
        }
        return nodes.Where((_, k) => keep[k]).ToList();
    }
}
