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
    public string[] Files { get; init; } = Array.Empty<string>();
    /// <summary>Problems found for this patient, counted by ErrorId.</summary>
    public Hashtable Problems { get; init; } = new();
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
}

/// <summary>New-PatientPatchGrid's montage of several patients.</summary>
public sealed class PatientMontage
{
    public string Path { get; init; } = "";
    public string[] PatientIds { get; init; } = Array.Empty<string>();
    public int Rows { get; init; }
    public int Columns { get; init; }
    public int Width { get; init; }
    public int Height { get; init; }
}
