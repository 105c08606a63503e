using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Models;

/// <summary>How a layer's output is laid out, so a CAM method can see it as B x K x h x w.</summary>
public enum ActivationLayout
{
    /// <summary>Convolutional maps, B x K x h x w.</summary>
    ChannelsFirst,
    /// <summary>ViT tokens, B x (1 + h*w) x K: the class token first, then the patch grid row by row.</summary>
    ClassTokenSequence,
    /// <summary>Swin blocks, B x h x w x K.</summary>
    ChannelsLast,
}

/// <summary>What a network's output is: one score per class (B x classes), or one map per category (B x categories x H x W).</summary>
public enum ModelTask
{
    Classification,
    Segmentation,
    Detection,
}

/// <summary>What the module knows about one architecture: how to build it and where its official weights live.</summary>
public sealed record ArchitectureInfo(
    string Name,
    Func<int, nn.Module<Tensor, Tensor>> Create,
    string DefaultLayer,
    string? OfficialFileName,
    IReadOnlyDictionary<string, string> LayerAliases)
{
    /// <summary>torchvision publishes each checkpoint with the first hex digits of its SHA-256 in the file name.</summary>
    public string? OfficialHashPrefix => OfficialFileName is null ? null : Path.GetFileNameWithoutExtension(OfficialFileName).Split('-').Last();

    /// <summary>The family the architecture belongs to (densenet, vit, ...), for listings.</summary>
    public string Family { get; init; } = "";

    /// <summary>Side of the square network input; the resize stretches images to it.</summary>
    public int InputSize { get; init; } = 224;

    /// <summary>
    /// The forward pass as a chain of stages, when it is not simply the network's children with Sequential
    /// containers opened (torchvision writes pooling, flattening and token handling inline in forward).
    /// </summary>
    public Func<nn.Module, IReadOnlyList<Stage>>? Stages { get; init; }

    /// <summary>How activations inside the network are laid out (transformers keep tokens, not maps).</summary>
    public ActivationLayout Layout { get; init; } = ActivationLayout.ChannelsFirst;

    /// <summary>State-dict key prefixes a checkpoint may hold that the module does not build (auxiliary training heads).</summary>
    public IReadOnlyList<string> IgnoredKeyPrefixes { get; init; } = Array.Empty<string>();

    /// <summary>
    /// A first step torchvision applies only with its own published weights (GoogLeNet and Inception v3 were trained
    /// on inputs scaled to [-1, 1]: transform_input); null when there is none.
    /// </summary>
    public Func<Tensor, Tensor>? OfficialInputTransform { get; init; }

    /// <summary>The settings file that named <see cref="DefaultLayer"/>, if one did: a layer it names wrongly is that file's error.</summary>
    public string? DefaultLayerFrom { get; init; }

    /// <summary>Input height and width when not square (ONNX graphs declare theirs); 0 means <see cref="InputSize"/>.</summary>
    public int InputHeight { get; init; }
    public int InputWidth { get; init; }
    public int Height => InputHeight > 0 ? InputHeight : InputSize;
    public int Width => InputWidth > 0 ? InputWidth : InputSize;

    /// <summary>Image channels the network takes: 3 (RGB) or 1 (grey).</summary>
    public int InputChannels { get; init; } = 3;

    /// <summary>The network's own input: channels, height, width.</summary>
    public Imaging.InputShape Shape => new(InputChannels, Height, Width);

    /// <summary>
    /// The targets inside a stage, by name, when they are not its submodules (an ONNX segment's taps); null: every
    /// submodule, named by its path below the stage.
    /// </summary>
    public Func<Stage, IEnumerable<(string Name, nn.Module<Tensor, Tensor> Module)>>? NestedTargets { get; init; }

    /// <summary>Targets whose activations are laid out otherwise than <see cref="Layout"/> says (an ONNX graph mixes them).</summary>
    public IReadOnlyDictionary<string, ActivationLayout>? TargetLayouts { get; init; }

    /// <summary>The network ends in a softmax (as Keras classifiers do): its outputs are probabilities already, not logits.</summary>
    public bool OutputIsProbability { get; init; }

    /// <summary>The file the architecture was read from (an ONNX graph); null for built-in families.</summary>
    public string? SourceFile { get; init; }

    /// <summary>What the architecture is, for -Verbose and listings.</summary>
    public string Description { get; init; } = "";

    /// <summary>Classes the architecture outputs when it fixes them itself (an ONNX graph); 0 when -NumClasses decides.</summary>
    public int FixedClasses { get; init; }

    /// <summary>Classes when -NumClasses is not given: ImageNet's 1,000, Pascal VOC's 21 for torchvision's segmenters.</summary>
    public int DefaultClasses { get; init; } = 1000;

    /// <summary>Classification, segmentation or detection: a segmenter's targets are categories over regions, a detector's boxes, not class scores.</summary>
    public ModelTask Task { get; init; } = ModelTask.Classification;

    public bool IsSegmentation => Task == ModelTask.Segmentation;

    /// <summary>A detector's output layout (boxes and class scores per anchor); null for other tasks.</summary>
    public Detection.DetectionOutput? Detection { get; init; }

    public bool IsDetection => Task == ModelTask.Detection;
    /// <summary>The class names the architecture's outputs have by default (COCO's for torchvision's detectors); null: ImageNet's or numbered.</summary>
    public IReadOnlyList<string>? DefaultLabels { get; init; }
    /// <summary>
    /// Whether weights and images are kept channels-last (see ChannelsLast). Not for torchvision's detectors: with oneDNN
    /// off (as on the Zen 5 CPU the arithmetic check turns it off on) MobileNetV3's depthwise convolutions run about three
    /// times slower channels-last (the 320 FPN backbone: 350 ms a photo against 120 ms), and the detector's speed is theirs.
    /// </summary>
    public bool ChannelsLast { get; init; } = true;
    /// <summary>A detector's own score threshold, NMS IoU and box count (torchvision's constructors set theirs); null: YOLO's.</summary>
    public Detection.DetectionOptions? DetectionDefaults { get; init; }
    /// <summary>Preprocessing the network expects when nothing else is said (torchvision's detectors: each photo whole, [0, 1]; they resize and normalise inside).</summary>
    public Imaging.PreprocessRequest? DefaultPreprocess { get; init; }

    /// <summary>
    /// A stage whose output a later stage reads besides its own input (LRASPP's head takes the backbone's low-level
    /// features): the stages above it cannot be rerun alone from their input (Ablation-CAM). Null when there is none.
    /// </summary>
    public string? TappedStage { get; init; }
}

/// <summary>A source of architectures: each model family is one class implementing it, found by reflection.</summary>
public interface IModelFamily
{
    IEnumerable<ArchitectureInfo> Architectures();
}

/// <summary>The architectures the module can build, by torchvision name, collected from every <see cref="IModelFamily"/>.</summary>
public static class ModelCatalog
{
    public const string DefaultModel = "vgg16";
    public const string DownloadBaseEnvironmentVariable = "HEATMAPTOOLS_DOWNLOAD_BASE";
    public const string OfficialDownloadBase = "https://download.pytorch.org/models/";

    internal static readonly IReadOnlyDictionary<string, string> NoAliases = new Dictionary<string, string>();

    private static readonly Lazy<Dictionary<string, ArchitectureInfo>> Known = new(() =>
        typeof(IModelFamily).Assembly.GetTypes()
            .Where(t => t.IsClass && !t.IsAbstract && typeof(IModelFamily).IsAssignableFrom(t))
            .SelectMany(t => ((IModelFamily)Activator.CreateInstance(t, nonPublic: true)!).Architectures())
            .ToDictionary(a => a.Name, StringComparer.OrdinalIgnoreCase));

    public static IReadOnlyCollection<string> Names => Known.Value.Keys.Order(StringComparer.Ordinal).ToList();

    public static IEnumerable<ArchitectureInfo> All => Known.Value.Values.OrderBy(a => a.Name, StringComparer.Ordinal);

    public static bool TryGet(string name, out ArchitectureInfo info) => Known.Value.TryGetValue(name, out info!);

    public static ArchitectureInfo Get(string name, string? baseDirectory = null)
    {
        if (Known.Value.TryGetValue(name, out var info)) return info;
        if (Onnx.OnnxModels.TryLocate(name, baseDirectory, out var onnx)) return Onnx.OnnxModels.Info(onnx);
        string file = baseDirectory is null ? name : Path.Combine(baseDirectory, name);
        if (File.Exists(file))
            throw new HeatmapToolsException(ErrorIds.UnknownModel, ErrorKind.InvalidArgument, $"-Model '{name}' is a file, not a model: {WeightsFormat.WhatFileIs(file)}", name);
        var closest = Closest(name, Names, 3);
        string hint = closest.Count > 0 ? $" Did you mean {string.Join(" or ", closest.Select(c => $"'{c}'"))}?" : "";
        throw new HeatmapToolsException(ErrorIds.UnknownModel, ErrorKind.InvalidArgument,
            $"Unknown model '{name}'.{hint} Known models: {string.Join(", ", Names)}.", name);
    }

    /// <summary>The names nearest to <paramref name="wanted"/>: those containing it first, then by edit distance.</summary>
    internal static IReadOnlyList<string> Closest(string wanted, IEnumerable<string> names, int count)
    {
        string w = wanted.ToLowerInvariant();
        return names.Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(n => (Name: n, Score: n.Contains(w, StringComparison.OrdinalIgnoreCase) ? 0 : ClassLabels.EditDistance(w, n.ToLowerInvariant())))
            .Where(t => t.Score <= Math.Max(2, w.Length / 2))
            .OrderBy(t => t.Score).ThenBy(t => t.Name.Length).Take(count).Select(t => t.Name).ToList();
    }

    /// <summary>The inverse of torchvision's ImageNet normalisation followed by scaling to [-1, 1] (transform_input).</summary>
    internal static Tensor TransformInput(Tensor x)
    {
        var mean = new[] { 0.485, 0.456, 0.406 };
        var std = new[] { 0.229, 0.224, 0.225 };
        var channels = Enumerable.Range(0, 3)
            .Select(c => x.narrow(1, c, 1) * (std[c] / 0.5) + (mean[c] - 0.5) / 0.5).ToArray();
        return cat(channels, 1);
    }
}
