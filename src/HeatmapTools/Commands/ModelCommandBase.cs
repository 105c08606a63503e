using System.Management.Automation;
using HeatmapTools.Engine;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;

namespace HeatmapTools.Commands;

public enum WeightsSource { Pretrained, Random }

public enum ResizeKind { Stretch, CenterCrop, Letterbox }

public enum NormalizationKind { ImageNet, Caffe, None }

public enum HeadActivationKind { Auto, Softmax, Sigmoid, None }

/// <summary>Image input and the parameters that choose a model and its weights, shared by the cmdlets that run a network.</summary>
public abstract class ModelCommandBase : HeatmapCommandBase
{
    // By head size and the model's sidecar: piped items of two models with one head size may name their classes differently.
    private readonly Dictionary<(int, string?), ClassLabels> _labels = new();

    // One parameter set on purpose: strings bind to -Path by value, while FileInfo and ClassPrediction objects bind to
    // -LiteralPath through their PSPath property; with two sets PowerShell would settle on one before seeing the input.
    // Import-Csv rows and Select-Object output with a Path column bind here by name; a FullName column binds -LiteralPath.
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    public string[]? Path { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP", "FullName", "SourcePath")]
    public string[]? LiteralPath { get; set; }

    /// <summary>This node's share of the images, k/N: an image belongs to one shard by its full path (or its path below -ShardRoot).</summary>
    [Parameter]
    public string? Shard { get; set; }

    /// <summary>The shared folder as this node mounts it: images are keyed by their path below it, so nodes that mount it at different places agree.</summary>
    [Parameter]
    public string? ShardRoot { get; set; }

    /// <summary>
    /// Set for a line of Get-Content (it carries ReadCount): its PSPath names the list file, its text the image, so the
    /// text is what counts (Get-Content list.txt | Get-ClassPrediction).
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    public long? ReadCount { get; set; }

    protected IEnumerable<string> InputFiles()
    {
        var files = ReadCount is not null && Path is not null ? InputFiles(Path, null) : InputFiles(Path, LiteralPath);
        if (ShardOf(Shard) is not { } shard) return files;
        string? root = ShardRoot is null ? null : GetUnresolvedProviderPathFromPSPath(ShardRoot);
        return files.Where(f =>
        {
            if (Engine.Scaling.Shard.ImageKey(f, root) is { } key) return shard.Contains(key);
            WriteError(new ErrorRecord(new PSArgumentException($"'{f}' is not below -ShardRoot '{root}', so it belongs to no shard; it is left out."),
                ErrorIds.ShardRootOutside, ErrorCategory.InvalidArgument, f));
            return false;
        });
    }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ModelNameCompleter))]
    public string Model { get; set; } = ModelCatalog.DefaultModel;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? WeightsPath { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public WeightsSource Weights { get; set; } = WeightsSource.Pretrained;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? Seed { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 100000)]
    public int NumClasses { get; set; } = 1000;

    // Bound from a ClassPrediction too, so the names Get-ClassPrediction used follow the images into New-CamHeatmap.
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? Labels { get; set; }

    /// <summary>-Labels as a later command can use it: a file given relative to here becomes its full path.</summary>
    protected string[]? LabelsAsGiven => Labels is { Length: 1 } single && File.Exists(GetUnresolvedProviderPathFromPSPath(single[0]))
        ? new[] { GetUnresolvedProviderPathFromPSPath(single[0]) } : Labels;

    [Parameter]
    public SwitchParameter Offline { get; set; }

    // Preprocessing binds from a ClassPrediction too, so a model's input travels with its results down the pipeline.
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public ResizeKind? Resize { get; set; }

    /// <summary>"224", "320,256" (width, height) or "Native"; default: the model's own (an ONNX graph's declared input).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? InputSize { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public float[]? Mean { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public float[]? Std { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public NormalizationKind? Normalization { get; set; }

    // 1 or 3, checked with the model (a piped prediction's null must bind, which a validation attribute would refuse).
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? InputChannels { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public HeadActivationKind? HeadActivation { get; set; }

    [Parameter]
    [ValidateRange(1, 256)]
    public int BatchSize { get; set; } = 8;

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
            NumClasses: NumClasses,
            BaseDirectory: SessionState.Path.CurrentFileSystemLocation.ProviderPath);
    }

    protected static string Key(WeightsRequest r) => $"{r.Model}|{r.WeightsPath}|{r.Random}|{r.Seed}|{r.NumClasses}|{r.Offline}";

    /// <summary>
    /// The batch's model's preprocessing: what was given here, over its sidecar file, over its own input (an ONNX graph's
    /// size and channels; 299 for inception_v3), over ImageNet's normalisation.
    /// </summary>
    protected PreprocessOptions PreprocessFor(LayeredModel model) =>
        RunEngine(() => GivenPreprocessing().Over(SidecarOf(model)?.Preprocess).Resolve(model.Info));

    protected PreprocessRequest GivenPreprocessing() => new()
    {
        InputSize = InputSize,
        Mean = Mean,
        Std = Std,
        Normalization = Normalization is { } n ? EnumMirror.To<Engine.Imaging.Normalization>(n) : null,
        Channels = InputChannels,
        Resize = Resize is { } r ? EnumMirror.To<ResizeMode>(r) : null,
    };

    /// <summary>-HeadActivation, else the model's sidecar, else Auto (the model decides).</summary>
    protected Engine.Prediction.HeadActivation HeadFor(LayeredModel model) =>
        HeadActivation is { } h ? EnumMirror.To<Engine.Prediction.HeadActivation>(h)
            : SidecarOf(model)?.HeadActivation ?? Engine.Prediction.HeadActivation.Auto;

    /// <summary>The model's sidecar file (see ModelSidecar), or null.</summary>
    protected ModelSidecar? SidecarOf(LayeredModel model) => RunEngine(() => ModelSidecar.For(model.Info.SourceFile ?? model.WeightsFile));

    private readonly HashSet<LayeredModel> _announced = new();

    protected LayeredModel LoadModel(WeightsRequest request)
    {
        var progress = new DownloadProgressReporter(this);
        var model = RunEngine(() => ModelStore.Get(request, progress, Cancellation));
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
        return LoadLabels(model.NumClasses);
    }

    protected ClassLabels LoadLabels(int numClasses)
    {
        var key = (numClasses, _sidecarLabels?.Path);
        if (_labels.TryGetValue(key, out var cached)) return cached;
        return _labels[key] = RunEngine(() =>
        {
            if (Labels is { Length: 1 } single && (File.Exists(GetUnresolvedProviderPathFromPSPath(single[0])) || LooksLikeFile(single[0])))
                return ClassLabels.FromFile(GetUnresolvedProviderPathFromPSPath(single[0]), numClasses);
            if (Labels is { Length: > 0 } names)
            {
                if (names.Length != numClasses)
                    throw new HeatmapToolsException(ErrorIds.LabelsInvalid, "InvalidArgument",
                        $"-Labels has {names.Length} names but the model has {numClasses} classes (use -NumClasses {names.Length} for a custom head).", names);
                return ClassLabels.FromStrings(names);
            }
            if (_sidecarLabels is { } sidecar)
            {
                if (sidecar.Labels is { } listed)
                    return listed.Length == numClasses ? ClassLabels.FromStrings(listed) : throw new HeatmapToolsException(ErrorIds.LabelsInvalid, "InvalidArgument",
                        $"'{sidecar.Path}' lists {listed.Length} labels but the model has {numClasses} classes.", sidecar.Path);
                if (sidecar.LabelsFile is { } file) return ClassLabels.FromFile(file, numClasses);
            }
            return ClassLabels.ForModel(numClasses, SessionState.Path.CurrentFileSystemLocation.ProviderPath);
        });
    }

    /// <summary>
    /// One -Labels value naming a folder or a .json/.txt file is a file that is missing, not a one-class label list
    /// (FromFile then says it does not exist).
    /// </summary>
    private static bool LooksLikeFile(string value) =>
        value.Contains('/') || value.Contains('\\') || value.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || value.EndsWith(".txt", StringComparison.OrdinalIgnoreCase);

    /// <summary>Shows a checkpoint download as a progress bar.</summary>
    private sealed class DownloadProgressReporter(PSCmdlet cmdlet) : IProgress<DownloadProgress>
    {
        private DateTime _last = DateTime.MinValue;

        public void Report(DownloadProgress value)
        {
            // Progress arrives on the pipeline thread (the download is synchronous); throttle to a few updates a second.
            if ((DateTime.UtcNow - _last).TotalMilliseconds < 250 && value.BytesReceived != value.TotalBytes) return;
            _last = DateTime.UtcNow;
            var record = new ProgressRecord(7, $"Downloading {value.FileName}", $"{value.BytesReceived / 1048576.0:F1} MB");
            if (value.TotalBytes is long total && total > 0)
                record.PercentComplete = (int)Math.Min(100, value.BytesReceived * 100 / total);
            cmdlet.WriteProgress(record);
        }
    }
}
