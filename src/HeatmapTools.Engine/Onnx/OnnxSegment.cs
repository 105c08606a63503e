using HeatmapTools.Engine.Models;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Onnx;

/// <summary>
/// A run of an ONNX graph's nodes between two points where one tensor alone carries everything on (a stage, as a
/// torchvision block is). Tensors that can be targets pass through a tap, an identity module, so a forward hook on the
/// tap records and replaces them exactly as a hook on a PyTorch submodule does.
/// </summary>
public sealed class OnnxSegment : nn.Module<Tensor, Tensor>
{
    private readonly OnnxNode[] _nodes;
    private readonly OnnxOperator[] _operators;
    private readonly IReadOnlyDictionary<string, Tensor> _constants;
    private readonly Dictionary<string, Tensor> _weights = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OnnxTap> _taps = new(StringComparer.Ordinal);
    private readonly OnnxRunContext _context;

    public OnnxSegment(string name, IReadOnlyList<OnnxNode> nodes, string input, string output, IReadOnlyDictionary<string, Tensor> constants, OnnxRunContext context)
        : base(name)
    {
        _nodes = nodes.ToArray();
        _operators = _nodes.Select(n => OnnxOps.TryGet(n.Op, out var op) ? op : throw OnnxOps.NotSupported(n, "an operator")).ToArray();
        Input = input;
        Output = output;
        _constants = constants;
        _context = context;
        // The floating-point tensors of more than one value its nodes read are its weights, registered as parameters
        // (without gradients) so a state dict holds them: Test-CamSanity re-draws a stage's weights through it.
        int k = 0;
        foreach (var read in _nodes.SelectMany(n => n.Inputs).Distinct())
        {
            if (!constants.TryGetValue(read, out var value) || value.dtype != ScalarType.Float32 || value.numel() < 2 || _weights.ContainsKey(read)) continue;
            // An alias: a Parameter takes over the handle it is given, and the graph keeps its own.
            var parameter = new TorchSharp.Modules.Parameter(value.alias(), requires_grad: false);
            register_parameter($"w{k++}", parameter);
            _weights[read] = parameter;
        }
    }

    public string Input { get; }
    public string Output { get; }
    public IReadOnlyList<OnnxNode> Nodes => _nodes;

    /// <summary>A weight or constant this segment reads, by tensor name; null for a tensor it computes.</summary>
    public Tensor? Value(string name) => _weights.TryGetValue(name, out var w) ? w : _constants.TryGetValue(name, out var c) ? c : null;

    /// <summary>The tap a tensor of this segment passes through, created when a target name first points at it.</summary>
    public OnnxTap Tap(string tensorName, string targetName, string kind)
    {
        if (!_taps.TryGetValue(tensorName, out var tap)) _taps[tensorName] = tap = new OnnxTap(targetName, kind);
        return tap;
    }

    public IEnumerable<(string Tensor, OnnxTap Tap)> Taps => _taps.Select(kv => (kv.Key, kv.Value));

    /// <summary>Called with every tensor computed, for the shape probe at load.</summary>
    internal Action<string, Tensor>? Observe { get; set; }

    public override Tensor forward(Tensor x)
    {
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [Input] = x };
        // A context of this call's own: a cached model may run in two runspaces at once, each with its batch.
        var context = new OnnxRunContext { Opset = _context.Opset, StaticBatch = _context.StaticBatch, Batch = x.dim() > 0 ? x.shape[0] : 1 };
        var inputs = new List<Tensor?>(4);
        for (int k = 0; k < _nodes.Length; k++)
        {
            var node = _nodes[k];
            inputs.Clear();
            foreach (var name in node.Inputs)
                inputs.Add(name.Length == 0 ? null : values.TryGetValue(name, out var v) ? v : _weights.TryGetValue(name, out var w) ? w : _constants.TryGetValue(name, out var c) ? c
                    : throw new HeatmapToolsException(ErrorIds.OnnxModelInvalid, ErrorKind.InvalidData, $"{node} reads '{name}', which nothing before it computes.", node.Name));
            Tensor[] outputs;
            try
            {
                outputs = _operators[k](node, inputs.ToArray(), context);
            }
            catch (Exception e) when (e is not HeatmapToolsException and not OperationCanceledException)
            {
                string shapes = string.Join(", ", inputs.Select(t => t is null ? "-" : $"[{string.Join("x", t.shape)}]"));
                throw new HeatmapToolsException(ErrorIds.OnnxModelInvalid, ErrorKind.InvalidOperation,
                    $"{node} failed on inputs {shapes}: {e.Message.Split('\n')[0]}", node.Name);
            }
            for (int o = 0; o < node.Outputs.Length && o < outputs.Length; o++)
            {
                string name = node.Outputs[o];
                if (name.Length == 0) continue;
                var value = outputs[o];
                if (_taps.TryGetValue(name, out var tap)) value = tap.call(value);
                values[name] = value;
                Observe?.Invoke(name, value);
            }
        }
        return values[Output];
    }
}

/// <summary>An identity step a target tensor passes through; hooks on it see (and may replace) the tensor.</summary>
public sealed class OnnxTap : nn.Module<Tensor, Tensor>
{
    public OnnxTap(string name, string kind) : base(name) => (TargetName, Kind) = (name, kind);

    public string TargetName { get; }
    /// <summary>The operator that computes the tensor (Conv, Relu, ...), for listings.</summary>
    public string Kind { get; }

    public override Tensor forward(Tensor x) => x;
}

/// <summary>An ONNX graph as one module whose children are its segments, run in order.</summary>
public sealed class OnnxNetwork : nn.Module<Tensor, Tensor>
{
    private readonly IReadOnlyList<Stage> _stages;

    public OnnxNetwork(string name, IReadOnlyList<Stage> stages, OnnxGraph graph) : base(name)
    {
        _stages = stages;
        Graph = graph;
        // Registered, so the network's state dict holds its weights: a copy (the sanity check's) takes them from it.
        for (int i = 0; i < stages.Count; i++) register_module($"stage{i}", stages[i].Module);
    }

    public OnnxGraph Graph { get; }
    public IReadOnlyList<Stage> Stages => _stages;

    // The graph's constants live as long as the network (its segments' parameters alias them).
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            foreach (var constant in Graph.Constants.Values) constant.Dispose();
        base.Dispose(disposing);
    }

    public override Tensor forward(Tensor x)
    {
        foreach (var stage in _stages) x = stage.Module.call(x);
        return x;
    }
}
