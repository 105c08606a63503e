using System.Collections;
using System.Globalization;
using System.Management.Automation;
using HeatmapTools.Engine;
using HeatmapTools.Engine.Patches;
using HeatmapTools.Engine.Prediction;
using HeatmapTools.Engine.Rendering;

namespace HeatmapTools.Commands;

/// <summary>
/// Rebuilds each patient's tissue from its patches and paints labels, probabilities and errors over it. The run itself
/// (inputs, patients, drawing, montage) is the engine's PatchGridRun; this binds, asks ShouldProcess and reports.
/// </summary>
[Cmdlet(VerbsCommon.New, "PatientPatchGrid", SupportsShouldProcess = true, DefaultParameterSetName = "Input")]
[OutputType(typeof(PatientGrid), typeof(PatientMontage))]
public sealed partial class NewPatientPatchGridCommand : HeatmapCommandBase
{
    private readonly PatchGridRun _run = new();
    private ILookup<string, PatchProblem> _problemsByPatient = Array.Empty<PatchProblem>().ToLookup(p => p.PatientId);
    private CultureInfo? _culture;
    private CultureInfo ParsedCulture => _culture ??= RunEngine(() => PatchTableReader.CultureFor(Culture));
    private PatchColumns? _columns;

    /// <summary>-ColumnMap turned into column names once, not once per row.</summary>
    private PatchColumns ColumnNames() => _columns ??= RunEngine(() =>
        PatchColumns.WithOverrides(ColumnMap?.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => e.Value?.ToString() ?? "")));

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        // A template that would make files collide fails before any input is read.
        RunEngine(() => { PatientFileNames.Validate(NameTemplate); return 0; });
        _ = ParsedCulture;
    }

    /// <summary>The positive class the prediction's model folder names in its settings file (ModelSidecar), if any.</summary>
    private string? SidecarPositiveClass(ClassPrediction prediction) => RunEngine(() =>
        Engine.Models.ModelSidecar.For(Engine.Onnx.OnnxModels.IsOnnxPath(prediction.Model) ? prediction.Model : prediction.WeightsFile)?.PositiveClass);

    protected override void ProcessRecord()
    {
        foreach (var path in ResolveFiles(Path, literal: false, folders: true).Concat(ResolveFiles(LiteralPath, literal: true, folders: true))) _run.AddPath(path);
        Path = null;
        LiteralPath = null;
        switch (InputObject?.BaseObject)
        {
            case null:
                break;
            case FileInfo file:
                // Get-ChildItem output already says it is a file: asking the disk again costs more than binding it.
                _run.AddFile(file.FullName);
                break;
            case DirectoryInfo folder:
                _run.AddPath(folder.FullName);
                break;
            case CamHeatmap heat:
                // A patch's map: painted at the patch's place in the patient's "cam" image (one that cannot be had fails alone).
                if (heat.TryGetMap(out var grid, out var unavailable)) _run.AddCamMap(heat.SourcePath, CamHeatmap.Flatten(grid), grid.GetLength(1), grid.GetLength(0), PatchSize, heat.MapMin, heat.MapMax);
                else WriteError(ToErrorRecord(unavailable!));
                break;
            case ClassPrediction prediction:
                // A classified patch: the heatmap shows the classifier's probability of the positive class.
                var classes = prediction.ClassNames.Length == prediction.Logits.Length ? prediction.ClassNames
                    : Enumerable.Range(0, prediction.Logits.Length).Select(i => $"class_{i}").ToArray();
                _run.AddPrediction(prediction.Path, RunEngine(() => ClassProbabilities.FromLogits(prediction.Logits, classes,
                    Enum.TryParse<HeadActivation>(prediction.HeadUsed, out var head) ? head : HeadActivation.Auto, item: prediction.Path)
                    .Positive(PositiveClass ?? SidecarPositiveClass(prediction), prediction.Path)));
                break;
            case string text:
                // Only wildcard patterns are expanded: globbing costs far more than taking a file name as it is.
                foreach (var path in ResolveFiles(new[] { text }, literal: false, folders: true)) _run.AddPath(path);
                break;
            default:
                // A table row (Import-Csv), a prediction's row, or a map result from another process: the engine tells them apart.
                string? Get(string name) => InputObject!.Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))?.Value switch
                {
                    IFormattable number => number.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
                    var value => value?.ToString(),
                };
                var record = new ObjectRecord(Get, () => CarriedMap(InputObject!), SessionState.Path.CurrentFileSystemLocation.ProviderPath);
                // Written now, while rows stream in; the patient's object counts it later.
                if (RunEngine(() => _run.AddObject(record, ColumnNames(), ParsedCulture, PositiveClass, PatchSize, Cancellation)) is { } problem)
                    WriteError(new ErrorRecord(new InvalidDataException(problem.Message), problem.ErrorId, ErrorCategory.InvalidData, InputObject));
                break;
        }
    }

    protected override void EndProcessing()
    {
        foreach (var csv in CsvPath ?? Array.Empty<string>()) _run.AddCsv(GetUnresolvedProviderPathFromPSPath(csv));
        var prepared = RunEngine(() => _run.Prepare(new PatchInputSettings(ColumnNames(), Delimiter, ParsedCulture, NamePattern, PatchSize, EnumMirror.To<GridOrigin>(Origin), PositiveClass)));
        foreach (var p in prepared.InputProblems) ReportProblem(p);
        _problemsByPatient = prepared.ProblemsByPatient;
        if (prepared.Patients.Count == 0)
        {
            WriteWarning("No patches were found: give patch files or folders (-Path, pipeline) or a table (-CsvPath, Import-Csv rows).");
            return;
        }
        // -Random picks -First patients, or enough to fill the montage, or shuffles them all.
        int? randomCount = !Random ? null : First ?? (Montage || MontageOnly ? Rows * Columns : int.MaxValue);
        var selection = new PatientSelection(PatchGridRun.ExpandPatientIds(PatientId, prepared.Patients.Keys), First, randomCount, Seed,
            Limit: MontageOnly ? Rows * Columns : null, Shard: ShardOf(Shard, Montage || MontageOnly || MontagePath is not null));
        var chosen = RunEngine(() => PatchGridJob.Select(prepared.Patients, selection));
        string outputDirectory = GetUnresolvedProviderPathFromPSPath(OutputPath);
        var approved = chosen.Where(p => ShouldProcess($"patient {p.PatientId} ({p.Patches.Count} patches)", $"Write patch grid images to {outputDirectory}")).ToList();
        if (approved.Count == 0) return;

        var defaults = new PatchGridOptions { OutputDirectory = "" };
        var options = new PatchGridOptions
        {
            PatchSize = PatchSize, Origin = EnumMirror.To<GridOrigin>(Origin), OutputDirectory = outputDirectory, NameTemplate = NameTemplate, Force = Force,
            PositiveColor = Colors is null ? defaults.PositiveColor : RunEngine(() => NamedColors.Parse(Colors[1])),
            NegativeColor = Colors is null ? defaults.NegativeColor : RunEngine(() => NamedColors.Parse(Colors[0])),
            Alpha = Alpha, Colormap = RunEngine(() => Colormaps.Canonical(Colormap)), Scale = EnumMirror.To<ProbabilityScale>(Scale),
            CohortRange = Scale == ProbabilityScaleKind.Cohort ? PatchGridJob.ProbabilityRange(prepared.Patients.Values) : null,
            Confusion = Confusion || (Kind?.Contains(PatientImageKind.Confusion) ?? false),
            Images = Kind is null ? PatientImages.All : Kind.Aggregate(PatientImages.None, (all, k) => all | EnumMirror.To<PatientImages>(k)),
            Threshold = Threshold, MaxSize = MaxSize, CellSize = CellSize, CamScale = EnumMirror.To<CamScale>(CamScale), SkipExisting = SkipExisting, WritePatients = !MontageOnly, Montage = Montage || MontageOnly,
            Rows = Rows, Columns = Columns, PanelSize = PanelSize,
            MontagePath = MontagePath is null ? null : GetUnresolvedProviderPathFromPSPath(MontagePath),
            ThrottleLimit = ThrottleLimit, ImageFormat = ImageFormat == PatchImageFormat.Jpg ? "jpg" : "png", Inputs = prepared.Inputs,
        };

        int count = 0;
        foreach (var evt in RunEngineEach(() => PatchGridRun.Draw(approved, options, reportNothingDrawable: Kind is not null && !MontageOnly, Cancellation)))
        {
            switch (evt)
            {
                case PatientDrawn drawn:
                    WriteProgress(new ProgressRecord(3, "New-PatientPatchGrid", $"patient {drawn.Result.PatientId} ({++count} of {approved.Count})")
                        { PercentComplete = count * 100 / approved.Count });
                    Report(drawn.Result);
                    break;
                case NothingDrawable:
                    WriteWarning($"No patient had the data for -Kind {string.Join(", ", Kind!)}, so nothing was written: probabilities (and the confusion map) need a probability column from -CsvPath or Import-Csv rows; the tissue needs patch images.");
                    break;
                case ConfusionUnavailable:
                    WriteWarning("No confusion map was drawn: it needs each patch's true class and a probability, and no patient had both. " +
                        "Give probabilities with -CsvPath (a probability column), Import-Csv rows, or Get-ClassPrediction results.");
                    break;
                case MontageFailed { Error: var error }:
                    WriteError(ToErrorRecord(error));
                    break;
                case MontageWritten { Montage: var m }:
                    WriteObject(new PatientMontage { Path = m.Path, PatientIds = m.PatientIds.ToArray(), Rows = m.Rows, Columns = m.Columns, Width = m.Width, Height = m.Height });
                    break;
            }
        }
        ReportSweptTemporaries();
        WriteProgress(new ProgressRecord(3, "New-PatientPatchGrid", "Done") { RecordType = ProgressRecordType.Completed });
        if (SkipExisting)
            WriteInformation($"New-PatientPatchGrid: {count - _skipped} patient(s) drawn, {_skipped} finished patient(s) skipped (listed with -Verbose).", new[] { "HeatmapTools", "Summary" });
    }

    private int _skipped;

    private void Report(PatientResult result)
    {
        if (result.Skipped)
        {
            _skipped++;
            WriteVerbose($"Skipped patient {result.PatientId}: its images exist ({string.Join(", ", result.Files)}).");
            return;
        }
        foreach (var error in result.Problems.Where(p => p.IsError)) ReportProblem(error);
        foreach (var group in result.Problems.Where(p => !p.IsError).GroupBy(p => p.ErrorId))
            WriteWarning($"[{group.Key}] patient {result.PatientId}: {group.Count()} problem(s). First: {group.First().Message}");
        // Bad table rows were reported as they were read; the patient they name counts them too.
        var problems = result.Problems.Concat(_problemsByPatient[result.PatientId]).ToList();
        WriteObject(PatientGrid.From(result, problems));
    }

    private void ReportProblem(PatchProblem p)
    {
        if (p.IsError) WriteError(new ErrorRecord(new InvalidDataException(p.Message), p.ErrorId, ErrorCategory.InvalidData, p.Source));
        else WriteWarning($"[{p.ErrorId}] {p.Message}");
    }
}
