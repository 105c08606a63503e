using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Models;

/// <summary>One step of a network's forward pass, named as torchvision names the module.</summary>
public sealed record Stage(string Name, nn.Module<Tensor, Tensor> Module);

/// <summary>
/// A classifier seen as a flat chain of stages (Sequential containers opened up: <c>features.0</c> ...
/// <c>layer4.2</c> ... <c>fc</c>). Running the chain from any stage lets a CAM method compute the part below its
/// target layer once, without gradients, and then run (and differentiate) only the part above it.
/// </summary>
public sealed class LayeredModel : IDisposable
{
    private readonly Dictionary<string, int> _index = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _aliases;
    private readonly ClassHead? _head;

    public LayeredModel(string name, nn.Module<Tensor, Tensor> network, int numClasses, ArchitectureInfo info, string weightsDescription,
        string? weightsFile = null)
    {
        WeightsFile = weightsFile;
        Name = name;
        Network = network;
        NumClasses = numClasses;
        Info = info;
        WeightsDescription = weightsDescription;
        Stages = Flatten(network).ToList();
        for (int i = 0; i < Stages.Count; i++) _index[Stages[i].Name] = i;
        _aliases = new Dictionary<string, string>(info.LayerAliases, StringComparer.OrdinalIgnoreCase);
        // A container's name (layer4, features) means its last stage, as a torchvision target layer would.
        _head = ClassHead.Find(Stages);
        foreach (var group in Stages.Where(s => s.Name.Contains('.')).GroupBy(s => s.Name[..s.Name.LastIndexOf('.')]))
            _aliases.TryAdd(group.Key, group.Last().Name);
    }

    public string Name { get; }
    public nn.Module<Tensor, Tensor> Network { get; }
    public int NumClasses { get; }
    public ArchitectureInfo Info { get; }
    public string WeightsDescription { get; }
    /// <summary>The file the weights were loaded from, wherever it was found; null for a random model.</summary>
    public string? WeightsFile { get; }
    public IReadOnlyList<Stage> Stages { get; }
    public IReadOnlyDictionary<string, string> Aliases => _aliases;

    /// <summary>Resolves a torchvision or Keras layer name to its stage index.</summary>
    public int ResolveLayer(string layer)
    {
        if (_index.TryGetValue(layer, out int i)) return i;
        if (_aliases.TryGetValue(layer, out var target) && _index.TryGetValue(target, out i)) return i;
        var known = string.Join(", ", Stages.Select(s => s.Name).Concat(_aliases.Keys).Distinct().Take(80));
        throw new HeatmapToolsException(ErrorIds.UnknownLayer, "InvalidArgument",
            $"Model '{Name}' has no layer '{layer}'. Layers: {known}. Run Get-CamLayer -Model {Name} to see them with their shapes.", layer);
    }

    public string CanonicalLayerName(string layer) => Stages[ResolveLayer(layer)].Name;

    /// <summary>Runs stages [from, to] inclusive on x. The caller owns the result; intermediates die with the caller's scope.</summary>
    public Tensor Run(Tensor x, int from, int to)
    {
        // The weights are channels-last (see ChannelsLast); images entering the first stage follow suit.
        if (from == 0) x = ChannelsLast.Of(x);
        for (int i = from; i <= to; i++)
        {
            var module = Stages[i].Module;
            if (module is Linear && x.dim() > 2) x = x.flatten(1);
            x = module.call(x);
        }
        return x;
    }

    public Tensor Logits(Tensor input) => ToLogits(Run(input, 0, Stages.Count - 1));

    /// <summary>Runs everything above stage <paramref name="layer"/> on its activations and returns logits.</summary>
    public Tensor LogitsFrom(Tensor activations, int layer) => ToLogits(Run(activations, layer + 1, Stages.Count - 1));

    /// <summary>
    /// Stage index of the class projection when one class's score can be computed on its own (see ClassHead);
    /// null when the head mixes classes after projecting.
    /// </summary>
    public int? HeadIndex => _head?.Index;

    /// <summary>
    /// The logit of class <paramref name="target"/> for every sample, running stages from <paramref name="from"/> on
    /// (0: x is an image batch; otherwise x is the output of stage from - 1). Equal to indexing the full logits.
    /// </summary>
    public Tensor ClassLogit(Tensor x, int from, long target)
    {
        if (_head is null || from > _head.Index) return ToLogits(Run(x, from, Stages.Count - 1))[.., target];
        var features = Run(x, from, _head.Index - 1);
        return ClassScores(features, Enumerable.Repeat(target, (int)features.shape[0]).ToArray());
    }

    /// <summary>Each sample's logit for its own target class, from the head's input (the output of stage HeadIndex - 1).</summary>
    public Tensor ClassScores(Tensor features, long[] targets)
    {
        var head = _head ?? throw new InvalidOperationException($"Model '{Name}' has no single-class head.");
        return ToLogits(Run(head.ProjectEach(features, targets), head.Index + 1, Stages.Count - 1))[.., 0];
    }

    private static Tensor ToLogits(Tensor x) => x.dim() > 2 ? x.flatten(1) : x;

    private static IEnumerable<Stage> Flatten(nn.Module network)
    {
        foreach (var (name, child) in network.named_children())
        {
            if (child is Sequential sequential)
            {
                foreach (var (childName, grandChild) in sequential.named_children())
                    yield return new Stage($"{name}.{childName}", (nn.Module<Tensor, Tensor>)grandChild);
            }
            else if (child is Flatten)
            {
                // Flattening happens where a Linear needs it; a standalone stage would only add a name.
            }
            else
            {
                yield return new Stage(name, (nn.Module<Tensor, Tensor>)child);
            }
        }
    }

    public void Dispose() => Network.Dispose();
}
