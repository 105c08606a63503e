using HeatmapTools.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Onnx;

/// <summary>
/// Turns an ONNX graph into a chain of stages with named targets, as the built-in families are: the graph is cut where
/// one tensor alone carries everything on, each stage named by the module that outputs it; every module path, node and
/// tensor inside a stage is a target through a tap. Shapes and layouts come from one probe run at load.
/// </summary>
internal static class OnnxModelBuilder
{
    public static (OnnxNetwork Network, ArchitectureInfo Info) Build(string path)
    {
        var graph = OnnxGraph.Load(path);
        string name = System.IO.Path.GetFileNameWithoutExtension(path);
        var layout = OnnxInputLayout.Of(graph);
        var nodes = graph.Nodes;
        var context = new OnnxRunContext { Opset = graph.Opset, StaticBatch = graph.InputShape.Length > 0 && graph.InputShape[0] > 0 ? graph.InputShape[0] : 0 };

        var moduleOutputs = OnnxLayerNames.ModuleOutputs(nodes, graph.OutputName);
        var namesOf = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Name(string tensor, string alias) => (namesOf.TryGetValue(tensor, out var l) ? l : namesOf[tensor] = new List<string>()).Add(alias);
        foreach (var (module, tensor) in moduleOutputs) Name(tensor, module);
        // A layer's own name where it is unique, as Keras users know their layers (tf2onnx scopes them: model/block5_conv3/...).
        var lastParts = moduleOutputs.Keys.Where(m => m.Contains('.')).GroupBy(m => m[(m.LastIndexOf('.') + 1)..]).Where(g => g.Count() == 1);
        var layerNames = lastParts.Where(g => !moduleOutputs.ContainsKey(g.Key)).GroupBy(g => moduleOutputs[g.Single()], g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        // Outputs no module owns are named by their operator (layer1.0.Add), after any module's name.
        var operatorNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in nodes)
            if (node.Outputs.Length > 0 && node.Outputs[0].Length > 0 && OnnxLayerNames.OperatorName(node) is { } op) operatorNames.TryAdd(node.Outputs[0], op);
        int nodeCountOf(string module) => nodes.Count(n => OnnxLayerNames.ModulePath(n) is { } p && (p == module || p.StartsWith(module + ".", StringComparison.Ordinal)));

        // Cut points: after a node, only one tensor computed from the input is still needed.
        var lastUse = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int k = 0; k < nodes.Count; k++)
            foreach (var input in nodes[k].Inputs)
                if (input.Length > 0 && !graph.Constants.ContainsKey(input)) lastUse[input] = k;
        lastUse[graph.OutputName] = int.MaxValue;
        var live = new HashSet<string>(StringComparer.Ordinal) { graph.InputName };
        var cuts = new List<(int End, string Tensor)>();
        for (int k = 0; k < nodes.Count; k++)
        {
            foreach (var input in nodes[k].Inputs) if (lastUse.TryGetValue(input, out int last) && last == k) live.Remove(input);
            foreach (var output in nodes[k].Outputs) if (output.Length > 0 && lastUse.ContainsKey(output)) live.Add(output);
            if (live.Count == 1 && (nodes[k].Outputs.Contains(live.First()))) cuts.Add((k, live.First()));
        }

        var stages = new List<Stage>();
        var stageNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (layout.ChannelsLast)
            stages.Add(new Stage("input_nhwc", new FunctionStage("ToChannelsLast", x => x.permute(0, 2, 3, 1))));
        var segments = new List<OnnxSegment>();
        int start = 0;
        string previous = graph.InputName;
        foreach (var (end, tensor) in cuts)
        {
            string stageName = Unique(PreferredName(tensor, namesOf, nodeCountOf, operatorNames), stageNames);
            var segment = new OnnxSegment(stageName, nodes.Skip(start).Take(end - start + 1).ToList(), previous, tensor, graph.Constants, context);
            segments.Add(segment);
            stages.Add(new Stage(stageName, segment));
            start = end + 1;
            previous = tensor;
        }

        // Targets inside stages: module outputs, node outputs and tensors, each tensor with one tap named by its preferred name.
        var aliases = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var taken = new HashSet<string>(stageNames, StringComparer.OrdinalIgnoreCase);
        var tensorTarget = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var segment in segments)
        {
            tensorTarget[segment.Output] = stages.First(s => s.Module == segment).Name;
            foreach (var node in segment.Nodes)
                foreach (var output in node.Outputs.Where(o => o.Length > 0 && o != segment.Output))
                {
                    string primary = Unique(PreferredName(output, namesOf, nodeCountOf, operatorNames), taken);
                    segment.Tap(output, primary, node.Op);
                    tensorTarget[output] = primary;
                }
        }
        foreach (var node in nodes)
            foreach (var output in node.Outputs.Where(o => o.Length > 0))
            {
                if (!tensorTarget.TryGetValue(output, out var target)) continue;
                var names = (namesOf.TryGetValue(output, out var l) ? l : new List<string>()).Append(node.Name).Append(output);
                if (operatorNames.TryGetValue(output, out var op)) names = names.Append(op);
                if (layerNames.TryGetValue(output, out var layerName)) names = names.Concat(layerName);
                foreach (var alias in names)
                    if (!alias.Equals(target, StringComparison.OrdinalIgnoreCase)) aliases.TryAdd(alias, target);
            }

        var network = new OnnxNetwork(name, stages, graph);
        var probe = OnnxProbe.Run(network, segments, layout, graph, tensorTarget);
        string defaultLayer = probe.DefaultLayer ?? stages[^1].Name;
        var detection = Detector(probe.OutputShape, graph.Path);
        var info = new ArchitectureInfo(name, _ => Randomised(Build(path).Network), defaultLayer, null, aliases)
        {
            Family = "onnx",
            InputSize = (int)layout.Height,
            // A fixed size only when the graph declares one: dynamic height and width take any -InputSize (224 by default).
            InputHeight = layout.SizeFromGraph ? (int)layout.Height : 0,
            InputWidth = layout.SizeFromGraph ? (int)layout.Width : 0,
            InputChannels = (int)layout.Channels,
            Stages = m => ((OnnxNetwork)m).Stages,
            // From the segment itself, so a network built again from the file (Create) answers for its own taps.
            NestedTargets = stage => stage.Module is OnnxSegment s ? s.Taps.Select(t => (t.Tap.TargetName, (nn.Module<Tensor, Tensor>)t.Tap))
                : Array.Empty<(string, nn.Module<Tensor, Tensor>)>(),
            TargetLayouts = probe.Layouts,
            OutputIsProbability = probe.OutputIsProbability,
            FixedClasses = detection is not null ? detection.ClassesOf(probe.OutputShape[1], probe.OutputShape[2]) : probe.Classes,
            Task = detection is not null ? ModelTask.Detection : probe.Segmentation ? ModelTask.Segmentation : ModelTask.Classification,
            Detection = detection,
            SourceFile = graph.Path,
            Description = $"ONNX opset {graph.Opset}{(graph.Producer.Length > 0 ? $" from {graph.Producer}" : "")}",
        };
        return (network, info);
    }

    /// <summary>
    /// A graph whose output is B x rows x columns is a detector (classifiers give B x classes, segmenters B x classes x H x
    /// W): its layout is the settings file's "detectionOutput", or the one its orientation fits.
    /// </summary>
    private static Detection.DetectionOutput? Detector(long[] output, string path)
    {
        if (output.Length != 3) return null;
        string? declared = ModelSidecar.For(path)?.DetectionOutput;
        return Detection.DetectionOutput.Recognise(output[1], output[2], declared)
            ?? throw new HeatmapToolsException(ErrorIds.OnnxModelInvalid, ErrorKind.InvalidData,
                $"'{path}' outputs {output[1]} x {output[2]} values per image, which {(declared is null ? "no detection layout" : $"the settings file's detectionOutput {declared}")} reads: " +
                "a detector's output is (4 + classes) x anchors (YoloV8) or anchors x (5 + classes) (YoloV5).", path);
    }

    /// <summary>
    /// The graph with fresh weights, for what builds an architecture anew (the sanity check's random source; shape
    /// probes): every weight of two or more dimensions drawn uniformly within +-1/sqrt(fan-in) from torch's generator
    /// (seeded by the caller), as torch initialises linear and convolution layers; vectors (biases, norm scales) are kept.
    /// </summary>
    private static OnnxNetwork Randomised(OnnxNetwork network)
    {
        using var noGrad = no_grad();
        var seen = new HashSet<IntPtr>();
        foreach (var (_, parameter) in network.Stages.Where(s => s.Module is OnnxSegment).SelectMany(s => s.Module.named_parameters()))
        {
            if (parameter.dim() < 2 || !seen.Add(parameter.Handle)) continue;
            double bound = 1 / Math.Sqrt(parameter.numel() / parameter.shape[0]);
            // The network was read from the file just now: its tensors are its own.
            parameter.uniform_(-bound, bound);
        }
        return network;
    }

    /// <summary>
    /// A stage or target is named by the deepest module (of more than one node) that outputs it, which reads as torchvision
    /// names blocks (<c>layer4.1</c> rather than <c>layer4</c> or <c>layer4.1.relu_1</c>); failing that by its only module; else by its
    /// operator (<c>layer4.1.Add</c>); else by its tensor.
    /// </summary>
    private static string PreferredName(string tensor, Dictionary<string, List<string>> namesOf, Func<string, int> nodeCount, Dictionary<string, string> operators)
    {
        if (!namesOf.TryGetValue(tensor, out var modules) || modules.Count == 0) return operators.TryGetValue(tensor, out var op) ? op : tensor;
        var composite = modules.Where(m => nodeCount(m) > 1).OrderByDescending(m => m.Count(ch => ch == '.')).ThenByDescending(m => m.Length).FirstOrDefault();
        return composite ?? modules.OrderBy(m => m.Length).First();
    }

    private static string Unique(string name, HashSet<string> taken)
    {
        string candidate = name;
        for (int k = 1; !taken.Add(candidate); k++) candidate = $"{name}#{k}";
        return candidate;
    }
}
