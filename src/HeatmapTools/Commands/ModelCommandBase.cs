using System.Management.Automation;
using HeatmapTools.Engine;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;

namespace HeatmapTools.Commands;

/// <summary>Image input and the parameters that choose a model and its weights, shared by the cmdlets that run a network.</summary>
public abstract partial class ModelCommandBase : HeatmapCommandBase
{
    // By head size and the model's sidecar: piped items of two models with one head size may name their classes differently.
    private readonly Dictionary<(int, string?, bool, bool), ClassLabels> _labels = new();

    protected IEnumerable<string> InputFiles()
    {
        var files = ReadCount is not null && Path is not null ? InputFiles(Path, null) : InputFiles(Path, LiteralPath);
        return InShard(files, Shard, ShardCount, ShardRoot);
    }

    /// <summary>-Labels as a later command can use it: a file given relative to here becomes its full path.</summary>
    protected string[]? LabelsAsGiven => Labels is { Length: 1 } single && File.Exists(GetUnresolvedProviderPathFromPSPath(single[0]))
        ? new[] { GetUnresolvedProviderPathFromPSPath(single[0]) } : Labels;

    private int? _unseededRandom;

    protected WeightsRequest CurrentWeightsRequest()
    {
        bool random = Weights == WeightsSource.Random;
        // A random model without -Seed still gets one seed for the whole pipeline (and it is shown), so every batch
        // sees the same network and the objects passed on can rebuild it.
        if (random && Seed is null && _unseededRandom is null)
        {
            _unseededRandom = System.Random.Shared.Next();
            WriteVerbose($"-Weights Random without -Seed: using seed {_unseededRandom}.");
        }
        return new WeightsRequest(
            // An ONNX file is named by its full path, so objects passed on find it from any location.
            Engine.Onnx.OnnxModels.IsOnnxPath(Model) ? GetUnresolvedProviderPathFromPSPath(Model) : Model,
            WeightsPath is null ? null : GetUnresolvedProviderPathFromPSPath(WeightsPath),
            Random: random,
            Seed: random ? Seed ?? _unseededRandom : Seed,
            Offline: Offline.IsPresent,
            NumClasses: ClassCount,
            BaseDirectory: SessionState.Path.CurrentFileSystemLocation.ProviderPath);
    }

    /// <summary>-NumClasses, or the named architecture's own default (21 Pascal VOC categories for a segmenter, else 1,000).</summary>
    protected int ClassCount => MyInvocation.BoundParameters.ContainsKey(nameof(NumClasses)) ? NumClasses
        : Engine.Models.ModelCatalog.TryGet(Model, out var info) ? info.DefaultClasses : NumClasses;

    protected static object Key(WeightsRequest r) => (r.Model, r.WeightsPath, r.Random, r.Seed, r.NumClasses, r.Offline);

    /// <summary>
    /// The batch's model's preprocessing: what was given here, over its sidecar file, over its own input (an ONNX graph's
    /// size and channels; 299 for inception_v3), over ImageNet's normalisation.
    /// </summary>
    protected PreprocessOptions PreprocessFor(LayeredModel model) =>
        RunEngine(() => GivenPreprocessing().Over(SidecarOf(model)?.Preprocess).Resolve(model.Info));

    protected PreprocessRequest GivenPreprocessing() => new()
    {
        InputSize = InputSizeText,
        Mean = Mean,
        Std = Std,
        Normalization = Normalization,
        Channels = InputChannels,
        Resize = Resize,
        StainNormalization = StainNormalization,
        StainTarget = StainTarget is null ? null : GetUnresolvedProviderPathFromPSPath(StainTarget),
        StainMatrix = StainMatrix,
    };

    /// <summary>
    /// The detection settings for a detector; the settings given for another model stop the command (TargetNotApplicable),
    /// as they would change nothing.
    /// </summary>
    protected Engine.Detection.DetectionOptions DetectionFor(LayeredModel model)
    {
        var given = new (string Name, object? Value)[] { ("ScoreThreshold", ScoreThreshold), ("IouThreshold", IouThreshold), ("MaxDetections", MaxDetections) }
            .Where(p => p.Value is not null).Select(p => "-" + p.Name).ToList();
        if (!model.Info.IsDetection && given.Count > 0)
            ThrowTerminatingError(ToErrorRecord(new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"{string.Join(", ", given)} choose{(given.Count == 1 ? "s" : "")} a detector's detections; {model.Name} is not a detector.", given[0])));
        return GivenDetection();
    }

    /// <summary>The detection settings given; the model's own (torchvision's), else YOLO's (score 0.25, IoU 0.45, 100 boxes), fill the rest.</summary>
    private protected Engine.Detection.DetectionOptions GivenDetection() => new(ScoreThreshold, IouThreshold, MaxDetections);

    /// <summary>-HeadActivation, else the model's sidecar, else Auto (the model decides).</summary>
    protected HeatmapTools.HeadActivation HeadFor(LayeredModel model) =>
        HeadActivation ?? SidecarOf(model)?.HeadActivation ?? HeatmapTools.HeadActivation.Auto;

    /// <summary>The model's sidecar file (see ModelSidecar), or null.</summary>
    protected ModelSidecar? SidecarOf(LayeredModel model) => RunEngine(() => ModelSidecar.For(model.Info.SourceFile ?? model.WeightsFile));

    private readonly HashSet<LayeredModel> _announced = new();

    protected LayeredModel LoadModel(WeightsRequest request)
    {
        var model = RunEngine(() => ModelStore.Get(request, Cancellation));
        if (_announced.Add(model))
        {
            WriteVerbose($"{model.Name}: weights {model.WeightsDescription}; {model.NumClasses} classes; input {model.Info.InputChannels}x{model.Info.Height}x{model.Info.Width}; default layer {model.Info.DefaultLayer}.");
            if (SidecarOf(model) is { } sidecar) WriteVerbose($"{model.Name}: settings from '{sidecar.Path}'.");
        }
        return model;
    }

    /// <summary>The labels for a head size, read once per command rather than once per batch or record.</summary>
    private ModelSidecar? _sidecarLabels;

    /// <summary>The labels for the model (a -Labels list or file, else its sidecar's, else by head size), read once per command.</summary>
    protected ClassLabels LoadLabels(LayeredModel model)
    {
        _sidecarLabels = SidecarOf(model);
        // Pascal VOC's names for torchvision's segmenters; an ONNX segmenter's categories are its own (numbered, or -Labels).
        return LoadLabels(model.NumClasses, model.Info.IsSegmentation && model.Info.SourceFile is null, model.Info.DefaultLabels);
    }

    /// <param name="defaults">The architecture's own class names (COCO's for torchvision's detectors), used when they are as many as the classes.</param>
    protected ClassLabels LoadLabels(int numClasses, bool segmentation = false, IReadOnlyList<string>? defaults = null)
    {
        var key = (numClasses, _sidecarLabels?.Path, segmentation, defaults is null);
        if (_labels.TryGetValue(key, out var cached)) return cached;
        return _labels[key] = RunEngine(() =>
        {
            if (Labels is { Length: 1 } single && (File.Exists(GetUnresolvedProviderPathFromPSPath(single[0])) || LooksLikeFile(single[0])))
                return ClassLabels.FromFile(GetUnresolvedProviderPathFromPSPath(single[0]), numClasses);
            if (Labels is { Length: > 0 } names)
            {
                if (names.Length != numClasses)
                    throw new HeatmapToolsException(ErrorIds.LabelsInvalid, ErrorKind.InvalidArgument,
                        $"-Labels has {names.Length} names but the model has {numClasses} classes (use -NumClasses {names.Length} for a custom head).", names);
                return ClassLabels.FromStrings(names);
            }
            if (_sidecarLabels is { } sidecar)
            {
                if (sidecar.Labels is { } listed)
                    return listed.Length == numClasses ? ClassLabels.FromStrings(listed) : throw new HeatmapToolsException(ErrorIds.LabelsInvalid, ErrorKind.InvalidArgument,
                        $"'{sidecar.Path}' lists {listed.Length} labels but the model has {numClasses} classes.", sidecar.Path);
                if (sidecar.LabelsFile is { } file) return ClassLabels.FromFile(file, numClasses);
            }
            if (defaults is { } own && own.Count == numClasses) return ClassLabels.FromStrings(own);
            return ClassLabels.ForModel(numClasses, SessionState.Path.CurrentFileSystemLocation.ProviderPath, segmentation);
        });
    }

    /// <summary>
    /// One -Labels value naming a folder or a .json/.txt file is a file that is missing, not a one-class label list
    /// (FromFile then says it does not exist).
    /// </summary>
    private static bool LooksLikeFile(string value) =>
        value.Contains('/') || value.Contains('\\') || value.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || value.EndsWith(".txt", StringComparison.OrdinalIgnoreCase);
}
