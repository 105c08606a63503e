using System.Collections;
using System.Management.Automation;
using HeatmapTools.Engine.Patches;

namespace HeatmapTools.Commands;

/// <summary>New-PatientPatchGrid's parameters (binding only; Get-Help documents each).</summary>
public sealed partial class NewPatientPatchGridCommand
{
    [Parameter(ValueFromPipeline = true, ParameterSetName = "Input")]
    public PSObject? InputObject { get; set; }

    /// <summary>For Get-ClassPrediction results (piped, or their CSV): the positive class, by index or label (a two-class head: 1).</summary>
    [Parameter]
    public string? PositiveClass { get; set; }

    /// <summary>The Map property of a deserialised CamHeatmap: a list of numbers, or null when it came without one.</summary>
    private static float[]? CarriedMap(PSObject item) => PipedProperties.Numbers(item, "Map");

    [Parameter(Position = 0, ParameterSetName = "Input")]
    [SupportsWildcards]
    public string[]? Path { get; set; }

    [Parameter(ParameterSetName = "Input")]
    [Alias("LP")]
    public string[]? LiteralPath { get; set; }

    [Parameter]
    public string[]? CsvPath { get; set; }

    [Parameter]
    public string? NamePattern { get; set; }

    [Parameter]
    public Hashtable? ColumnMap { get; set; }

    [Parameter]
    public string? Delimiter { get; set; }

    [Parameter]
    public string Culture { get; set; } = "";

    [Parameter]
    public GridOrigin Origin { get; set; } = GridOrigin.OneBased;

    [Parameter]
    [ValidateRange(1, 4096)]
    public int PatchSize { get; set; } = 50;

    [Parameter]
    public string OutputPath { get; set; } = "patient-grids";

    [Parameter]
    [ValidateCount(2, 2)]
    public string[]? Colors { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(ColormapCompleter))]
    public string Colormap { get; set; } = Engine.Rendering.OverlayDefaults.Colormap;

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double Alpha { get; set; } = Engine.Rendering.OverlayDefaults.MapAlpha;

    [Parameter]
    public ProbabilityScale Scale { get; set; } = ProbabilityScale.Fixed;

    [Parameter]
    public SwitchParameter Confusion { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(PatientImageKindCompleter))]
    public string[]? Kind { get; set; }

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double Threshold { get; set; } = 0.5;

    [Parameter]
    [ValidateRange(0, 100000)]
    public int MaxSize { get; set; }

    [Parameter]
    [ValidateRange(1, 1000)]
    public int CellSize { get; set; } = 10;

    [Parameter]
    public CamScale CamScale { get; set; } = CamScale.Patient;

    [Parameter]
    public SwitchParameter SkipExisting { get; set; }

    [Parameter]
    public SwitchParameter Montage { get; set; }

    [Parameter]
    public SwitchParameter MontageOnly { get; set; }

    [Parameter]
    [ValidateRange(1, 100)]
    public int Rows { get; set; } = 5;

    [Parameter]
    [ValidateRange(1, 100)]
    public int Columns { get; set; } = 3;

    [Parameter]
    [ValidateRange(64, 4096)]
    public int PanelSize { get; set; } = 320;

    [Parameter]
    public string? MontagePath { get; set; }

    /// <summary>This node's share of the selected patients, k/N (by patient id); patient files only, no montage.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ShardCompleter))]
    public string? Shard { get; set; }

    /// <summary>The number of tasks for -Shard Auto in a Kubernetes indexed Job (its completions), when HEATMAPTOOLS_SHARD_COUNT is not set.</summary>
    [Parameter]
    [ValidateRange(1, Engine.Scaling.Shard.MaxCount)]
    public int? ShardCount { get; set; }

    [Parameter]
    public string NameTemplate { get; set; } = PatientFileNames.DefaultTemplate;

    [Parameter]
    [SupportsWildcards]
    public string[]? PatientId { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? First { get; set; }

    [Parameter]
    public SwitchParameter Random { get; set; }

    [Parameter]
    public int? Seed { get; set; }

    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = Engine.Scaling.CpuAllocation.Current.Threads;

    [Parameter]
    public PatchImageFormat ImageFormat { get; set; } = PatchImageFormat.Png;

    [Parameter]
    public SwitchParameter Force { get; set; }
}
