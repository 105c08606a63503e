namespace HeatmapTools.Engine.Patches;

/// <summary>
/// One patch as the data describes it: patient, top-left coordinate as written (1-based in the IDC layout), and
/// optionally its label, a model's probability and the image file. <see cref="Source"/> says where it came from
/// (a file path, or "file.csv line 12"), so problems can name it.
/// </summary>
public sealed record PatchRecord(string PatientId, int X, int Y, int? Target, double? Probability, string? Path, string Source)
{
    /// <summary>The class the folder name claims (IDC: <c>&lt;patient&gt;/&lt;class&gt;/file.png</c>), if the folder is a digit.</summary>
    public int? FolderTarget { get; init; }

    /// <summary>This patch's class activation map, CamSize x CamSize in [0,1] (the patch size), when one was piped in.</summary>
    public float[]? CamMap { get; init; }
    public int CamSize { get; init; }
    /// <summary>What the map's 0 and 1 stood for before it was scaled alone, so a patient's maps can share one scale.</summary>
    public float CamRawMin { get; init; }
    public float CamRawMax { get; init; } = 1;
}

/// <summary>A data problem: never fatal, always counted and named.</summary>
public sealed record PatchProblem(string ErrorId, string PatientId, string Message, string Source, bool IsError);

public static class PatchErrorIds
{
    public const string Duplicate = ErrorIds.PatchDuplicate;
    public const string SizeUnexpected = ErrorIds.PatchSizeUnexpected;
    public const string OffGrid = ErrorIds.PatchOffGrid;
    public const string ClassConflict = ErrorIds.PatchClassConflict;
    public const string Unreadable = ErrorIds.PatchUnreadable;
    public const string NameUnparsed = ErrorIds.PatchNameUnparsed;
    public const string CsvRowInvalid = ErrorIds.CsvRowInvalid;
}
