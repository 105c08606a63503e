using System.Reflection;
using HeatmapTools.Engine.Models;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam;

/// <summary>What a CAM method is given for one batch at one target layer.</summary>
public sealed class CamContext
{
    public required LayeredModel Model { get; init; }
    /// <summary>The network input, B x 3 x H x W.</summary>
    public required Tensor Input { get; init; }
    /// <summary>The target layer and its activations as maps, B x K x h x w (transformer tokens already folded).</summary>
    public required LayerTarget Layer { get; init; }
    public required Tensor Activations { get; init; }
    /// <summary>d score / d activations, laid out like them; null for methods that do not use gradients.</summary>
    public Tensor? Gradients { get; init; }
    /// <summary>All classes' logits of the batch, B x classes.</summary>
    public required Tensor Logits { get; init; }
    /// <summary>What each image's map explains.</summary>
    public required IReadOnlyList<Targets.CamTarget> Targets { get; init; }
    /// <summary>The class each map is filed under (Targets[i].ClassIndex), for methods that weigh a class's head (CAM).</summary>
    public required long[] Classes { get; init; }
    public required CamOptions Options { get; init; }
    public CancellationToken Cancellation { get; init; }
    /// <summary>Where a slow method tells how far it is (Score-CAM takes seconds per image).</summary>
    public IRunListener Listener { get; init; } = SilentListener.Instance;
}

/// <summary>
/// One class activation map method (as pytorch-grad-cam has one class per method). A method says what it needs and
/// turns a layer's activations (and gradients) into one map per image; <see cref="CamMethods"/> finds every
/// implementation, so adding a method is adding a file.
/// </summary>
public abstract class CamMethod
{
    /// <summary>The name -Method takes, pytorch-grad-cam's class name.</summary>
    public abstract string Name { get; }

    /// <summary>The paper the method comes from.</summary>
    public abstract string Paper { get; }

    /// <summary>True when the map needs d score / d activations (one backward pass).</summary>
    public virtual bool UsesGradients => false;

    /// <summary>True for pixel attributions (Integrated Gradients, ...): taken at the network input, they read no layer.</summary>
    public virtual bool IsAttribution => false;

    /// <summary>The layer results name: the one asked for, or the network input for an attribution.</summary>
    public string LayerName(string layer) => IsAttribution ? "input" : layer;

    /// <summary>True when the result also carries guided backpropagation's input gradients (Guided Grad-CAM).</summary>
    public virtual bool UsesGuidedBackprop => false;

    /// <summary>B x h x w maps, any scale: the post-processing (ReLU, min-max, resize) is shared by every method.</summary>
    public abstract Tensor Map(CamContext context);

    public override string ToString() => Name;

    /// <summary>
    /// The stage index for methods that change a stage's output channels and rerun (or read) the layers above it: a
    /// submodule inside a stage, or transformer tokens, would need the network run again from inside a block.
    /// </summary>
    protected int RequireStage(CamContext context)
    {
        var model = context.Model;
        if (model.Info.Layout != ActivationLayout.ChannelsFirst)
            throw new HeatmapToolsException(ErrorIds.MethodNotSupported, ErrorKind.InvalidOperation,
                $"{Name} changes channels of a convolutional stage's output and reruns the layers above it; {model.Name} keeps " +
                $"transformer tokens ({model.Info.Layout}) between its blocks, which this does not support. Use a gradient method " +
                "(GradCAM, GradCAMPlusPlus, LayerCAM, ...), EigenCAM or ScoreCAM.", Name);
        int stage = model.StageOf(context.Layer);
        if (model.Info.TappedStage is { } tapped && stage >= model.ResolveLayer(tapped))
            throw new HeatmapToolsException(ErrorIds.MethodNotSupported, ErrorKind.InvalidOperation,
                $"{Name} reruns the layers above '{context.Layer.Name}' alone; {model.Name}'s head also reads '{tapped}', below it, from the full pass. " +
                $"Choose a layer below '{tapped}', or a gradient method (GradCAM, GradCAMPlusPlus, LayerCAM, ...), EigenCAM or ScoreCAM.", Name);
        return stage;
    }

    /// <summary>
    /// The map from per-channel contributions (B x K x h x w): their sum, or with <see cref="CamOptions.EigenSmooth"/> their
    /// first principal component (pytorch-grad-cam's eigen_smooth), which drops what the channels do not share.
    /// </summary>
    protected static Tensor Combine(Tensor contributions, CamOptions options) =>
        options.EigenSmooth ? Projection.FirstComponent(contributions, options.FlipEigenSign) : contributions.sum(1);

    public static implicit operator string(CamMethod method) => method.Name;
}

/// <summary>Gradient methods: the map is a weighting of the activations computed from the gradients.</summary>
public abstract class GradientCamMethod : CamMethod
{
    protected static readonly long[] Spatial = { 2, 3 };

    public sealed override bool UsesGradients => true;

    public sealed override Tensor Map(CamContext context) => Weigh(context.Activations, context.Gradients!, context.Options);

    /// <summary>Activations A and gradients G, both B x K x h x w, to a B x h x w map.</summary>
    protected abstract Tensor Weigh(Tensor a, Tensor g, CamOptions options);

    protected static Tensor WeightedSum(Tensor a, Tensor weights, CamOptions options) => Combine(weights.unsqueeze(-1).unsqueeze(-1) * a, options);
}

/// <summary>Every CAM method in this assembly, by name.</summary>
public static class CamMethods
{
    private static readonly Lazy<IReadOnlyDictionary<string, CamMethod>> All = new(() =>
        typeof(CamMethod).Assembly.GetTypes()
            .Where(t => t.IsClass && !t.IsAbstract && typeof(CamMethod).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (CamMethod)Activator.CreateInstance(t)!)
            .ToDictionary(m => m.Name, StringComparer.OrdinalIgnoreCase));

    /// <summary>Method names in a stable order: the default (GradCAM) first, then alphabetical.</summary>
    public static IReadOnlyList<string> Names =>
        All.Value.Keys.OrderBy(n => n == Default.Name ? 0 : 1).ThenBy(n => n, StringComparer.Ordinal).ToList();

    public static CamMethod Default => All.Value["GradCAM"];

    public static IEnumerable<CamMethod> Every => Names.Select(n => All.Value[n]);

    public static CamMethod Get(string name)
    {
        if (All.Value.TryGetValue(name, out var method)) return method;
        var closest = ModelCatalog.Closest(name, All.Value.Keys, 3);
        string hint = closest.Count > 0 ? $" Did you mean {string.Join(" or ", closest.Select(c => $"'{c}'"))}?" : "";
        throw new HeatmapToolsException(ErrorIds.UnknownMethod, ErrorKind.InvalidArgument,
            $"Unknown CAM method '{name}'.{hint} Methods: {string.Join(", ", Names)}.", name);
    }
}
