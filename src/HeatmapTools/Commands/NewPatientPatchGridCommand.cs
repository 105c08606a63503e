using System.Collections;
using System.Globalization;
using System.Management.Automation;
using HeatmapTools.Engine;
using HeatmapTools.Engine.Patches;
using HeatmapTools.Engine.Patches.ImageKinds;
using HeatmapTools.Engine.Prediction;
using HeatmapTools.Engine.Rendering;

namespace HeatmapTools.Commands;

/// <summary>
/// Rebuilds each patient's tissue from its patches and paints labels, probabilities and errors over it. The run itself
/// (inputs and patients: PatchIntake; drawing and montage: PatchGridJob) is the engine's; this binds, asks ShouldProcess and reports.
/// </summary>
[Cmdlet(VerbsCommon.New, "PatientPatchGrid", SupportsShouldProcess = true, DefaultParameterSetName = "Input")]
[OutputType(typeof(PatientGrid), typeof(PatientMontage))]
public sealed partial class NewPatientPatchGridCommand : HeatmapCommandBase
{
    private readonly PatchIntake _intake = new();
    private ILookup<string, PatchProblem> _problemsByPatient = Array.Empty<PatchProblem>().ToLookup(p => p.PatientId);
    private CultureInfo? _culture;
    private CultureInfo ParsedCulture => _culture ??= RunEngine(() => PatchTableReader.CultureFor(Culture));
    private PatchColumns? _columns;

    /// <summary>-PositiveClass, parsed once.</summary>
    private Engine.Prediction.PositiveClass Positive { get; set; } = Engine.Prediction.PositiveClass.Unspecified;

    /// <summary>-ColumnMap turned into column names once, not once per row.</summary>
    private PatchColumns ColumnNames() => _columns ??= RunEngine(() =>
        PatchColumns.WithOverrides(ColumnMap?.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => e.Value?.ToString() ?? "")));

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        // A template that would make files collide fails before any input is read.
        RunEngine(() => { PatientFileNames.Validate(NameTemplate); return 0; });
        _ = ParsedCulture;
        Positive = Engine.Prediction.PositiveClass.Parse(PositiveClass);
    }

    protected override void EndProcessing()
    {
        foreach (var csv in CsvPath ?? Array.Empty<string>()) _intake.AddCsv(GetUnresolvedProviderPathFromPSPath(csv));
        var prepared = RunEngine(() => _intake.Prepare(new PatchInputSettings(ColumnNames(), Delimiter, ParsedCulture, NamePattern, PatchSize, Origin, Positive)));
        foreach (var p in prepared.InputProblems) ReportProblem(p);
        _problemsByPatient = prepared.ProblemsByPatient;
        if (prepared.Patients.Count == 0)
        {
            WriteWarning("No patches were found: give patch files or folders (-Path, pipeline) or a table (-CsvPath, Import-Csv rows).");
            return;
        }
        // -Random picks -First patients, or enough to fill the montage, or shuffles them all.
        int? randomCount = !Random ? null : First ?? (Montage || MontageOnly ? Rows * Columns : int.MaxValue);
        var selection = new PatientSelection(PatchIntake.ExpandPatientIds(PatientId, prepared.Patients.Keys), First, randomCount, Seed,
            Limit: MontageOnly ? Rows * Columns : null, Shard: ShardOf(Shard, ShardCount, Montage || MontageOnly || MontagePath is not null));
        var chosen = RunEngine(() => PatchGridJob.Select(prepared.Patients, selection));
        string outputDirectory = GetUnresolvedProviderPathFromPSPath(OutputPath);
        var approved = chosen.Where(p => ShouldProcess($"patient {p.PatientId} ({p.Patches.Count} patches)", $"Write patch grid images to {outputDirectory}")).ToList();
        if (approved.Count == 0) return;

        var defaults = new PatchGridOptions { OutputDirectory = "" };
        var kinds = Kind is null ? PatientImageKind.All : RunEngine(() => PatientImageKind.Parse(Kind));
        var options = new PatchGridOptions
        {
            PatchSize = PatchSize, Origin = Origin, OutputDirectory = outputDirectory, NameTemplate = NameTemplate, Force = Force,
            PositiveColor = Colors is null ? defaults.PositiveColor : RunEngine(() => NamedColors.Parse(Colors[1])),
            NegativeColor = Colors is null ? defaults.NegativeColor : RunEngine(() => NamedColors.Parse(Colors[0])),
            Alpha = Alpha, Colormap = RunEngine(() => Colormaps.Canonical(Colormap)), Scale = Scale,
            CohortRange = Scale == ProbabilityScale.Cohort ? PatchGridJob.ProbabilityRange(prepared.Patients.Values) : null,
            Confusion = Confusion || (Kind is not null && kinds.OfType<ConfusionImage>().Any()),
            Images = kinds,
            Threshold = Threshold, MaxSize = MaxSize, CellSize = CellSize, CamScale = CamScale, SkipExisting = SkipExisting, WritePatients = !MontageOnly, Montage = Montage || MontageOnly,
            Rows = Rows, Columns = Columns, PanelSize = PanelSize,
            MontagePath = MontagePath is null ? null : GetUnresolvedProviderPathFromPSPath(MontagePath),
            ThrottleLimit = ThrottleLimit, ImageFormat = ImageFormat == PatchImageFormat.Jpg ? "jpg" : "png", Inputs = prepared.Inputs,
        };

        int count = 0;
        foreach (var drawn in RunEngineEach(() => PatchGridJob.Draw(approved, options, kindsNamed: Kind is not null && !MontageOnly, Listener, Cancellation)))
        {
            if (drawn is PatientDrawn { Item: var item })
            {
                Listener.Progress($"patient {item.Path} ({++count} of {approved.Count})", (double)count / approved.Count);
                Report(item);
            }
            else if (drawn is MontageWritten { Montage: var m })
                WriteObject(new PatientMontage { Path = m.Path, PatientIds = m.PatientIds.ToArray(), Rows = m.Rows, Columns = m.Columns, Width = m.Width, Height = m.Height });
        }
        Listener.Drain();
        WriteProgress(new ProgressRecord(ProgressId, "New-PatientPatchGrid", "Done") { RecordType = ProgressRecordType.Completed });
        if (SkipExisting)
            WriteInformation($"New-PatientPatchGrid: {count - _skipped} patient(s) drawn, {_skipped} finished patient(s) skipped (listed with -Verbose).", new[] { "HeatmapTools", "Summary" });
    }

    private int _skipped;

    private protected override int ProgressId => 3;

    private void Report(ItemResult<PatientResult> item)
    {
        if (item.Error is { } failed) WriteError(ToErrorRecord(failed));
        if (item.Value is not { } result) return;
        if (result.Skipped)
        {
            _skipped++;
            WriteVerbose($"Skipped patient {result.PatientId}: its images exist ({string.Join(", ", result.Files)}).");
            return;
        }
        foreach (var problem in result.Problems.Where(p => p.IsError)) ReportProblem(problem);
        foreach (var group in result.Problems.Where(p => !p.IsError).GroupBy(p => p.ErrorId))
            WriteWarning($"[{group.Key}] patient {result.PatientId}: {group.Count()} problem(s). First: {group.First().Message}");
        // Bad table rows were reported as they were read; the patient they name counts them too.
        var problems = result.Problems.Concat(_problemsByPatient[result.PatientId]).ToList();
        if (item.Error is { } error) problems.Add(new PatchProblem(error.ErrorId, result.PatientId, error.Message, result.PatientId, IsError: true));
        WriteObject(PatientGrid.From(result, problems));
        ResultWritten();
    }

    private void ReportProblem(PatchProblem p)
    {
        if (p.IsError) WriteError(new ErrorRecord(new InvalidDataException(p.Message), p.ErrorId, ErrorCategory.InvalidData, p.Source));
        else WriteWarning($"[{p.ErrorId}] {p.Message}");
    }
}
