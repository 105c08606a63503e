namespace HeatmapTools.Engine;

/// <summary>
/// A failure the user can act on. <see cref="ErrorId"/> is stable across releases so scripts and tests can match on
/// it; <see cref="Category"/> maps onto PowerShell's ErrorCategory names without the engine knowing PowerShell.
/// </summary>
public class HeatmapToolsException : Exception
{
    public HeatmapToolsException(string errorId, string category, string message, object? target = null, Exception? inner = null)
        : base(WithoutNativeBacktrace(message), inner)
    {
        ErrorId = errorId;
        Category = category;
        Target = target;
    }

    /// <summary>
    /// libtorch's messages end in a C++ backtrace ("Exception raised from ... frame #0: ..."), dozens of lines no user
    /// can act on: the message keeps what comes before it.
    /// </summary>
    internal static string WithoutNativeBacktrace(string message)
    {
        int cut = message.IndexOf("Exception raised from ", StringComparison.Ordinal);
        int frames = message.IndexOf("frame #0:", StringComparison.Ordinal);
        if (frames >= 0 && (cut < 0 || frames < cut)) cut = frames;
        return cut < 0 ? message : message[..cut].TrimEnd(' ', '\n', '\r', ':', '(');
    }

    public string ErrorId { get; }
    public string Category { get; }
    public object? Target { get; }
}

/// <summary>Stable error identifiers; about_HeatmapTools lists each with what it means (a Pester test keeps the two in step).</summary>
public static class ErrorIds
{
    public const string ImageUnreadable = "ImageUnreadable";
    public const string FileNotFound = "FileNotFound";
    public const string UnknownModel = "UnknownModel";
    public const string WeightsNotFound = "WeightsNotFound";
    public const string WeightsMismatch = "WeightsMismatch";
    public const string WeightsUnreadable = "WeightsUnreadable";
    public const string DownloadFailed = "DownloadFailed";
    public const string ChecksumMismatch = "ChecksumMismatch";
    public const string LabelsInvalid = "LabelsInvalid";
    public const string UnknownLayer = "UnknownLayer";
    public const string UnknownClass = "UnknownClass";
    public const string MethodNotApplicable = "MethodNotApplicable";
    public const string UnknownMethod = "UnknownMethod";
    public const string MethodNotSupported = "MethodNotSupported";
    public const string LayerNotAStage = "LayerNotAStage";
    public const string LayerNotSpatial = "LayerNotSpatial";
    public const string OutputExists = "OutputExists";
    public const string OutputNameRepeated = "OutputNameRepeated";
    public const string ShardRootOutside = "ShardRootOutside";
    public const string WeightsInvalid = "WeightsInvalid";
    public const string CsvColumnMissing = "CsvColumnMissing";
    public const string CsvColumnAmbiguous = "CsvColumnAmbiguous";
    public const string CsvCultureMismatch = "CsvCultureMismatch";
    public const string ScoreNotFinite = "ScoreNotFinite";
    public const string OnnxOperatorUnsupported = "OnnxOperatorUnsupported";
    public const string OnnxModelInvalid = "OnnxModelInvalid";
    public const string PreprocessInvalid = "PreprocessInvalid";
    public const string ModelSidecarInvalid = "ModelSidecarInvalid";
    public const string HeadNotProbability = "HeadNotProbability";
    public const string OutputIsInput = "OutputIsInput";
    public const string InputIsOverlay = "InputIsOverlay";
    public const string OutputTemplateInvalid = "OutputTemplateInvalid";
    public const string PatchTargetInvalid = "PatchTargetInvalid";
    public const string CacheUnusable = "CacheUnusable";
    public const string PatchNameUnparsed = "PatchNameUnparsed";
    public const string PatchDuplicate = "PatchDuplicate";
    public const string PatchSizeUnexpected = "PatchSizeUnexpected";
    public const string PatchOffGrid = "PatchOffGrid";
    public const string PatchCoordinateOutOfRange = "PatchCoordinateOutOfRange";
    public const string CanvasTooLarge = "CanvasTooLarge";
    public const string PatientFailed = "PatientFailed";
    public const string PatchClassConflict = "PatchClassConflict";
    public const string PatchUnreadable = "PatchUnreadable";
    public const string CsvRowInvalid = "CsvRowInvalid";
    public const string PatientNotFound = "PatientNotFound";
    public const string OutputWriteFailed = "OutputWriteFailed";
    public const string UnknownColormap = "UnknownColormap";
    public const string ColorUnknown = "ColorUnknown";
    public const string ColumnMapInvalid = "ColumnMapInvalid";
    public const string CultureUnknown = "CultureUnknown";
    public const string NamePatternInvalid = "NamePatternInvalid";
    public const string NamePatternTimeout = "NamePatternTimeout";
    public const string NameTemplateInvalid = "NameTemplateInvalid";
    public const string ImageFormatUnknown = "ImageFormatUnknown";
    public const string NoInput = "NoInput";
    public const string ShardInvalid = "ShardInvalid";
    public const string ShardConflict = "ShardConflict";
    public const string PositiveClassRequired = "PositiveClassRequired";
    public const string MapSourceChanged = "MapSourceChanged";
}
