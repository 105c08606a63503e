using HeatmapTools.Engine.Rendering;
using OpenCvSharp;

namespace HeatmapTools.Engine.Patches;

public sealed record PatchGridOptions
{
    public int PatchSize { get; init; } = 50;
    public GridOrigin Origin { get; init; } = GridOrigin.OneBased;
    public required string OutputDirectory { get; init; }
    /// <summary>
    /// Each patient file's name under <see cref="OutputDirectory"/>, without extension: <c>{patient}</c> and
    /// <c>{kind}</c> (tissue, labels, probability, confusion) are filled in; may hold sub-folders.
    /// </summary>
    public string NameTemplate { get; init; } = PatientFileNames.DefaultTemplate;
    public bool Force { get; init; }
    /// <summary>Colours of the label overlay: the seed's red for class 1 and pink for class 0.</summary>
    public Rgb PositiveColor { get; init; } = new(255, 0, 0);
    public Rgb NegativeColor { get; init; } = new(255, 192, 203);
    public double Alpha { get; init; } = Rendering.OverlayDefaults.MapAlpha;
    public string Colormap { get; init; } = Rendering.OverlayDefaults.Colormap;
    public ProbabilityScale Scale { get; init; } = ProbabilityScale.Fixed;
    /// <summary>
    /// The probability range of every patient read, not only those drawn, for <see cref="ProbabilityScale.Cohort"/>: a
    /// patient then gets the same colours whichever others are selected with it. Null: the drawn patients' range.
    /// </summary>
    public (double Min, double Max)? CohortRange { get; init; }
    /// <summary>Colour each patch TP/FP/FN/TN at <see cref="Threshold"/> and count them.</summary>
    public bool Confusion { get; init; }
    /// <summary>Which kinds of image are written, in drawing order: all that apply unless narrowed (the confusion map needs <see cref="Confusion"/> too).</summary>
    public IReadOnlyList<ImageKinds.PatientImageKind> Images { get; init; } = ImageKinds.PatientImageKind.All;
    public double Threshold { get; init; } = 0.5;
    /// <summary>Longest side of a patient canvas in pixels; 0 means full resolution.</summary>
    public int MaxSize { get; init; }
    /// <summary>How the patient's CAM mosaic is coloured: on one scale across the patient (default), or each patch's map on its own.</summary>
    public CamScale CamScale { get; init; } = CamScale.Patient;
    /// <summary>Pixels per grid cell for patients without patch images (a CSV alone): one pixel per patch would be unreadable.</summary>
    public int CellSize { get; init; } = 10;
    /// <summary>Reruns pass over finished patient images quietly and write only the missing ones (-SkipExisting).</summary>
    public bool SkipExisting { get; init; }

    /// <summary>Full paths of the run's inputs (patches, CSV files): no output is ever written over one.</summary>
    public IReadOnlySet<string> Inputs { get; init; } = new HashSet<string>();

    public const string CanvasBudgetVariable = "HEATMAPTOOLS_CANVAS_MEGAPIXELS";

    /// <summary>
    /// The most pixels one patient's canvas may have (each image of it holds three bytes a pixel, and a worker keeps
    /// up to three at once): 250 megapixels by default, HEATMAPTOOLS_CANVAS_MEGAPIXELS to change it.
    /// </summary>
    public long CanvasPixelBudget { get; init; } = DefaultCanvasPixelBudget();

    private static long DefaultCanvasPixelBudget() =>
        Native.EnvironmentSettings.Number(CanvasBudgetVariable, 1, 250, "megapixels") * 1_000_000;
    public bool WritePatients { get; init; } = true;
    /// <summary>
    /// Draws every patient image but neither encodes nor writes it: the benchmark's measure of reconstruction and
    /// overlays on their own, apart from what the file format costs.
    /// </summary>
    internal bool DrawOnly { get; init; }
    public bool Montage { get; init; }
    public int Rows { get; init; } = 5;
    public int Columns { get; init; } = 3;
    public int PanelSize { get; init; } = 320;
    public string? MontagePath { get; init; }
    public int ThrottleLimit { get; init; } = Scaling.CpuAllocation.Current.Threads;

    /// <summary>The native memory budget every worker's canvases are reserved in (shared with CAM batches by default).</summary>
    public Native.MemoryBudget Budget { get; init; } = Native.MemoryBudget.Shared;
    /// <summary>File type of the patient images: "png" (lossless, default) or "jpg" (smaller files; about as fast to write as the PNG encoder).</summary>
    public string ImageFormat { get; init; } = "png";
}

/// <summary>
/// What was drawn for one patient. <c>Probabilities</c> is the range of this patient's probabilities;
/// <c>ColorScale</c> the range the colour bar spans (0..1, the patient's own, or the cohort's, per -Scale).
/// </summary>
public sealed record PatientResult(
    string PatientId, int PatchCount, int PositiveCount, double PositiveFraction, int Width, int Height,
    IReadOnlyList<string> Files, IReadOnlyList<PatchProblem> Problems, (double Min, double Max)? Probabilities,
    (double Min, double Max)? ColorScale, ConfusionCounts? Confusion)
{
    /// <summary>Every image of this patient existed and -SkipExisting passed over it: nothing was drawn.</summary>
    public bool Skipped { get; init; }

    internal Mat? Panel { get; init; }

    /// <summary>The size the patient's map is drawn at (after -MaxSize or patch resolution); 0 when nothing was drawn.</summary>
    public int ImageWidth { get; init; }
    public int ImageHeight { get; init; }
}

public sealed record ConfusionCounts(int TruePositive, int FalsePositive, int FalseNegative, int TrueNegative);
