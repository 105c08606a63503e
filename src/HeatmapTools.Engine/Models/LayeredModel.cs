using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Models;

/// <summary>One step of a network's forward pass, named as torchvision names the module.</summary>
public sealed record Stage(string Name, nn.Module<Tensor, Tensor> Module);

/// <summary>
/// A target layer: a stage's output, or a submodule inside a stage (<c>features.7.1.norm1</c>), whose output is
/// captured with a forward hook while its stage runs.
/// </summary>
public sealed record LayerTarget(int Stage, string Name, nn.Module<Tensor, Tensor>? Inner)
{
    public bool IsStage => Inner is null;
}

/// <summary>
/// A classifier seen as a chain of stages (Sequential containers opened up: <c>features.0</c> ... <c>layer4.2</c> ...
/// <c>fc</c>; inline steps such as pooling named as their families define them). Running the chain from any stage
/// lets a CAM method compute the part below its target layer once, without gradients, and then run (and
/// differentiate) only the part above it. Any submodule can be a target: its stage runs with a hook on it.
/// </summary>
public sealed class LayeredModel : IDisposable
{
    private readonly Dictionary<string, int> _index = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, LayerTarget> _nested = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _aliases;
    private readonly ClassHead? _head;

    public LayeredModel(string name, nn.Module<Tensor, Tensor> network, int numClasses, ArchitectureInfo info, string weightsDescription,
        string? weightsFile = null, bool officialWeights = false)
    {
        WeightsFile = weightsFile;
        Name = name;
        Network = network;
        NumClasses = numClasses;
        Info = info;
        WeightsDescription = weightsDescription;
        var stages = (info.Stages?.Invoke(network) ?? Flatten(network)).ToList();
        if (officialWeights && info.OfficialInputTransform is { } transform)
            stages.Insert(0, new Stage("transform_input", new FunctionStage("TransformInput", transform)));
        Stages = stages;
        for (int i = 0; i < Stages.Count; i++) _index[Stages[i].Name] = i;
        for (int i = 0; i < Stages.Count; i++)
            foreach (var (path, module) in NestedOf(i))
                _nested.TryAdd(path, new LayerTarget(i, path, module));
        // Every module a run may hook: nested targets (and the layer catalogue's descriptions), and ReLUs (guided backprop).
        Taps = new ModuleTaps(_nested.Values.Select(t => t.Inner!)
            .Concat(network.named_modules().Select(m => m.module).OfType<ReLU>()));
        _aliases = new Dictionary<string, string>(info.LayerAliases, StringComparer.OrdinalIgnoreCase);
        // A segmenter's last projection gives a map per category, not one score per class: it has no class head.
        _head = info.IsSegmentation || info.IsDetection ? null : ClassHead.Find(Stages);
        // A container's name (layer4, features) means its last stage, as a torchvision target layer would.
        foreach (var group in Stages.Where(s => s.Name.Contains('.')).GroupBy(s => s.Name[..s.Name.LastIndexOf('.')]))
            if (!_index.ContainsKey(group.Key) && info.NestedTargets is null) _aliases.TryAdd(group.Key, group.Last().Name);
    }

    public string Name { get; }
    public nn.Module<Tensor, Tensor> Network { get; }
    public int NumClasses { get; }
    public ArchitectureInfo Info { get; }
    public string WeightsDescription { get; }
    /// <summary>The file the weights were loaded from, wherever it was found; null for a random model.</summary>
    public string? WeightsFile { get; }
    public IReadOnlyList<Stage> Stages { get; }

    /// <summary>Hooks on the model's modules for the current thread only (the model is shared between runspaces).</summary>
    public ModuleTaps Taps { get; }
    public IReadOnlyDictionary<string, string> Aliases => _aliases;

    /// <summary>Every name a target can be given: stages, submodules inside them, and aliases.</summary>
    public IEnumerable<string> LayerNames => Stages.Select(s => s.Name).Concat(_nested.Keys).Concat(_aliases.Keys);

    /// <summary>Resolves a torchvision module path (nested or not) or a Keras name to a target.</summary>
    public LayerTarget ResolveTarget(string layer)
    {
        if (_index.TryGetValue(layer, out int i)) return new LayerTarget(i, Stages[i].Name, null);
        if (_nested.TryGetValue(layer, out var nested)) return nested;
        if (_aliases.TryGetValue(layer, out var target))
        {
            if (_index.TryGetValue(target, out i)) return new LayerTarget(i, Stages[i].Name, null);
            if (_nested.TryGetValue(target, out nested)) return nested;
        }
        var suggestions = ModelCatalog.Closest(layer, LayerNames, 5);
        // Close names when there are some; otherwise the stages, which is what a first look needs.
        string hint = suggestions.Count > 0 ? $" Did you mean {string.Join(", ", suggestions.Select(s => $"'{s}'"))}?"
            : $" Its stages: {string.Join(", ", Stages.Select(s => s.Name).Take(60))}{(Stages.Count > 60 ? ", ..." : "")}.";
        throw new HeatmapToolsException(ErrorIds.UnknownLayer, ErrorKind.InvalidArgument,
            $"Model '{Name}' has no layer '{layer}'.{hint} Run Get-CamLayer -Model {Name} to see its layers with their shapes " +
            "(any submodule path torchvision prints, such as features.7.1.norm1, can be a target).", layer);
    }

    /// <summary>
    /// Checks, when the model is loaded, that its default layer is one of its layers; one named by the model's settings
    /// file is that file's error (ModelSidecarInvalid), since no -Layer was typed.
    /// </summary>
    internal void CheckDefaultLayer()
    {
        try
        {
            ResolveTarget(Info.DefaultLayer);
        }
        catch (HeatmapToolsException e) when (e.ErrorId == ErrorIds.UnknownLayer && Info.DefaultLayerFrom is { } file)
        {
            throw new HeatmapToolsException(ErrorIds.ModelSidecarInvalid, ErrorKind.InvalidData,
                $"The model's settings file '{file}' cannot be used: its 'defaultLayer' is '{Info.DefaultLayer}'. {e.Message}", file, e);
        }
    }

    /// <summary>Stage index of a layer that must be a whole stage (methods that rerun the network from it).</summary>
    public int ResolveLayer(string layer) => StageOf(ResolveTarget(layer));

    /// <summary>Stage index of a resolved target that must be a whole stage; one inside a stage is refused (LayerNotAStage).</summary>
    public int StageOf(LayerTarget target)
    {
        if (target.IsStage) return target.Stage;
        throw new HeatmapToolsException(ErrorIds.LayerNotAStage, ErrorKind.InvalidArgument,
            $"'{target.Name}' of {Name} sits inside the stage '{Stages[target.Stage].Name}'; this needs a stage output. " +
            $"Use '{Stages[target.Stage].Name}' (Get-CamLayer -Model {Name} lists the stages).", target.Name);
    }

    public string CanonicalLayerName(string layer) => ResolveTarget(layer).Name;

    /// <summary>Target layers of this network by name (none: its default layer), resolved once for every pass that uses them.</summary>
    public Cam.MapLayers Layers(params string[] names) => Cam.LayerSelection.Parse(names).Resolve(this);

    /// <summary>The targets inside stage <paramref name="stage"/>: its submodules by path, or what the architecture names (ONNX taps).</summary>
    public IEnumerable<(string Name, nn.Module<Tensor, Tensor> Module)> NestedOf(int stage)
    {
        var s = Stages[stage];
        if (Info.NestedTargets is { } custom) return custom(s);
        if (s.Module is FunctionStage) return Array.Empty<(string, nn.Module<Tensor, Tensor>)>();
        return s.Module.named_modules().Where(m => m.name.Length > 0 && m.module is nn.Module<Tensor, Tensor>)
            .Select(m => ($"{s.Name}.{m.name}", (nn.Module<Tensor, Tensor>)m.module));
    }

    /// <summary>
    /// An activation of <paramref name="target"/> as B x K x h x w: ViT tokens lose the class token and fold into their
    /// grid, Swin's channels-last maps turn channels-first (pytorch-grad-cam's reshape transforms).
    /// </summary>
    public Tensor ToMaps(LayerTarget target, Tensor x)
    {
        if (Network is Detectors.IMapView view && view.Maps(target.Name, x) is { } maps) return maps;
        var layout = Info.TargetLayouts is { } layouts ? layouts.GetValueOrDefault(target.Name, ActivationLayout.ChannelsFirst) : Info.Layout;
        switch (layout)
        {
            case ActivationLayout.ClassTokenSequence when x.dim() == 3:
                long tokens = x.shape[1] - 1;
                // The patch grid has the input's proportions: h x w patches with h * w = tokens.
                long rows = (long)Math.Round(Math.Sqrt(tokens * (double)Info.Height / Info.Width)), cols = rows > 0 ? tokens / rows : 0;
                if (rows * cols != tokens || rows == 0)
                    throw new HeatmapToolsException(ErrorIds.LayerNotSpatial, ErrorKind.InvalidArgument,
                        $"'{target.Name}' of {Name} outputs {x.shape[1]} tokens, not a class token and a patch grid of the input's proportions.", target.Name);
                return x[.., 1..].reshape(x.shape[0], rows, cols, x.shape[2]).permute(0, 3, 1, 2);
            case ActivationLayout.ChannelsLast when x.dim() == 4 && (Info.TargetLayouts is not null || target.Inner is not Conv2d):
                return x.permute(0, 3, 1, 2);
        }
        if (x.dim() != 4)
            throw new HeatmapToolsException(ErrorIds.LayerNotSpatial, ErrorKind.InvalidArgument,
                $"'{target.Name}' of {Name} outputs a {x.dim()}-dimensional tensor [{string.Join("x", x.shape.Skip(1))}], not maps; " +
                $"choose a layer with spatial output such as {Info.DefaultLayer}.", target.Name);
        return x;
    }

    private static long _inputPasses;

    /// <summary>Batches that entered a network at its input since the process started (Get-HeatmapToolsInfo's ForwardPasses):
    /// what a run costs in passes, which tests read.</summary>
    public static long InputPasses => Interlocked.Read(ref _inputPasses);

    internal static void CountInputPass() => Interlocked.Increment(ref _inputPasses);

    /// <summary>Runs stages [from, to] inclusive on x. The caller owns the result; intermediates die with the caller's scope.</summary>
    public Tensor Run(Tensor x, int from, int to)
    {
        if (from == 0) CountInputPass();
        // The weights are channels-last (see ChannelsLast); images entering the first stage follow suit.
        if (from == 0 && Info.ChannelsLast) x = ChannelsLast.Of(x);
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

    /// <summary>The network's output (B x classes) for inputs entering at stage <paramref name="from"/>.</summary>
    public Tensor Output(Tensor x, int from) => ToLogits(Run(x, from, Stages.Count - 1));

    /// <summary>
    /// What the head takes, averaged over space (B x channels), for inputs entering at stage <paramref name="from"/>: the
    /// embedding a feature extractor without its classifier gives (ResNet's 2,048 pooled features).
    /// </summary>
    public Tensor PooledFeatures(Tensor x, int from)
    {
        if (_head is null || from > _head.Index)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidOperation,
                $"{Name} has no single classifier layer to take the features before, so it has no pooled features to compare.", Name);
        return Pool(Run(x, from, _head.Index - 1));
    }

    /// <summary>Features averaged over their spatial axes (a B x C x 1 x 1 pooling output becomes B x C).</summary>
    public static Tensor Pool(Tensor features) => features.dim() > 2 ? features.mean(new long[] { 2, 3 }) : features;

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
