using System.Collections;

namespace HeatmapTools;

/// <summary>New-PatientPatchGrid's result for one patient.</summary>
public sealed class PatientGrid
{
    public string PatientId { get; init; } = "";
    public int PatchCount { get; init; }
    public int PositiveCount { get; init; }
    public double PositiveFraction { get; init; }
    /// <summary>Size of the rebuilt tissue in pixels at full resolution.</summary>
    public int Width { get; init; }
    public int Height { get; init; }
    /// <summary>Size of the map in the files written: smaller than Width x Height with -MaxSize, one pixel per patch without images.</summary>
    public int ImageWidth { get; init; }
    public int ImageHeight { get; init; }
    public TextList Files { get; init; } = TextList.Empty;
    /// <summary>Problems found for this patient, counted by ErrorId.</summary>
    [System.Management.Automation.Hidden]
    public Hashtable Problems { get; init; } = new();
    /// <summary>The problems as one line, for Export-Csv: "DuplicatePatch=2; PatchUnreadable=1".</summary>
    public string ProblemSummary => string.Join("; ", Problems.Keys.Cast<object>().Select(k => k.ToString()!).Order(StringComparer.Ordinal).Select(k => $"{k}={Problems[k]}"));
    public int ProblemCount { get; init; }
    /// <summary>Lowest and highest probability among this patient's patches.</summary>
    public double? ProbabilityMin { get; init; }
    public double? ProbabilityMax { get; init; }
    /// <summary>The range the probability image's colour bar spans (set by -Scale).</summary>
    public double? ScaleMin { get; init; }
    public double? ScaleMax { get; init; }
    public int? TruePositive { get; init; }
    public int? FalsePositive { get; init; }
    public int? FalseNegative { get; init; }
    public int? TrueNegative { get; init; }

    // The table's column headers as properties (Select-Object Patches, Size), hidden so Export-Csv and ConvertTo-Json
    // keep one column per fact.
    [System.Management.Automation.Hidden, Newtonsoft.Json.JsonIgnore] public int Patches => PatchCount;
    [System.Management.Automation.Hidden, Newtonsoft.Json.JsonIgnore] public double Positive => PositiveFraction;
    /// <summary>The size of the map as written (ImageWidth x ImageHeight); the probability and confusion images add a colour bar or legend beside it.</summary>
    [System.Management.Automation.Hidden, Newtonsoft.Json.JsonIgnore] public string Size => $"{ImageWidth} x {ImageHeight}";

    internal static PatientGrid From(Engine.Patches.PatientResult result, IReadOnlyList<Engine.Patches.PatchProblem> problems)
    {
        var counts = new Hashtable();
        foreach (var group in problems.GroupBy(p => p.ErrorId)) counts[group.Key] = group.Count();
        return new PatientGrid
        {
            PatientId = result.PatientId,
            PatchCount = result.PatchCount,
            PositiveCount = result.PositiveCount,
            PositiveFraction = result.PositiveFraction,
            Width = result.Width,
            Height = result.Height,
            ImageWidth = result.ImageWidth,
            ImageHeight = result.ImageHeight,
            Files = result.Files.ToArray(),
            Problems = counts,
            ProblemCount = problems.Count,
            ProbabilityMin = result.Probabilities?.Min,
            ProbabilityMax = result.Probabilities?.Max,
            ScaleMin = result.ColorScale?.Min,
            ScaleMax = result.ColorScale?.Max,
            TruePositive = result.Confusion?.TruePositive,
            FalsePositive = result.Confusion?.FalsePositive,
            FalseNegative = result.Confusion?.FalseNegative,
            TrueNegative = result.Confusion?.TrueNegative,
        };
    }
}

/// <summary>New-PatientPatchGrid's montage of several patients.</summary>
public sealed class PatientMontage
{
    public string Path { get; init; } = "";
    public TextList PatientIds { get; init; } = TextList.Empty;
    public int Rows { get; init; }
    public int Columns { get; init; }
    public int Width { get; init; }
    public int Height { get; init; }
    [System.Management.Automation.Hidden, Newtonsoft.Json.JsonIgnore] public TextList Patients => PatientIds;
    [System.Management.Automation.Hidden, Newtonsoft.Json.JsonIgnore] public string Grid => $"{Rows} x {Columns}";
    [System.Management.Automation.Hidden, Newtonsoft.Json.JsonIgnore] public string Size => $"{Width} x {Height}";
}
