using System.Management.Automation;
using HeatmapTools.Engine;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;

namespace HeatmapTools.Commands;

/// <summary>The parameters that choose images, a model, its weights and its preprocessing (binding only; Get-Help documents each).</summary>
public abstract partial class ModelCommandBase
{
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
    [ArgumentCompleter(typeof(ShardCompleter))]
    public string? Shard { get; set; }

    /// <summary>The number of tasks for -Shard Auto in a Kubernetes indexed Job (its completions), when HEATMAPTOOLS_SHARD_COUNT is not set.</summary>
    [Parameter]
    [ValidateRange(1, Engine.Scaling.Shard.MaxCount)]
    public int? ShardCount { get; set; }

    /// <summary>The shared folder as this node mounts it: images are keyed by their path below it, so nodes that mount it at different places agree.</summary>
    [Parameter]
    public string? ShardRoot { get; set; }

    /// <summary>
    /// Set for a line of Get-Content (it carries ReadCount): its PSPath names the list file, its text the image, so the
    /// text is what counts (Get-Content list.txt | Get-ClassPrediction).
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    public long? ReadCount { get; set; }

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

    [Parameter]
    public SwitchParameter Offline { get; set; }

    // Preprocessing binds from a ClassPrediction too, so a model's input travels with its results down the pipeline.
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public ResizeMode? Resize { get; set; }

    /// <summary>
    /// 224, 320,256 (width, height; typed unquoted it arrives as two values), '320,256' or Native; default: the
    /// model's own (an ONNX graph's declared input).
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? InputSize { get; set; }

    /// <summary>-InputSize as the engine parses it: its values joined by commas.</summary>
    protected string? InputSizeText => InputSize is null ? null : string.Join(",", InputSize.Select(v => v.Trim()));

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public float[]? Mean { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public float[]? Std { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public Normalization? Normalization { get; set; }

    // 1 or 3, checked with the model (a piped prediction's null must bind, which a validation attribute would refuse).
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? InputChannels { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public HeadActivation? HeadActivation { get; set; }

    // Stain normalisation binds from results and slide tiles too, so every command of a pipeline sees the same stain.
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public StainMethod? StainNormalization { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? StainTarget { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public double[]? StainMatrix { get; set; }

    [Parameter]
    [ValidateRange(1, 256)]
    public int BatchSize { get; set; } = 8;

    /// <summary>A detector's detections: a box counts when its class's score is above this (YOLO's 0.25).</summary>
    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double? ScoreThreshold { get; set; }

    /// <summary>A detector's non-maximum suppression: a box overlapping a better one of its class by more than this IoU is dropped (0.45).</summary>
    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double? IouThreshold { get; set; }

    /// <summary>A detector's detections per image at most, the best kept (100).</summary>
    [Parameter]
    [ValidateRange(1, 100000)]
    public int? MaxDetections { get; set; }
}
