using System.Collections;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using HeatmapTools.Engine;
using HeatmapTools.Engine.Patches;
using HeatmapTools.Engine.Rendering;

namespace HeatmapTools.Commands;

public enum PatchOrigin { OneBased, ZeroBased }

public enum ProbabilityScaleKind { Fixed, Patient, Cohort }

public enum PatchImageFormat { Png, Jpg }

public enum PatientImageKind { Tissue, Labels, Probability, Confusion }

/// <summary>Rebuilds each patient's tissue from its patches and paints labels, probabilities and errors over it.</summary>
[Cmdlet(VerbsCommon.New, "PatientPatchGrid", SupportsShouldProcess = true, DefaultParameterSetName = "Input")]
[OutputType(typeof(PatientGrid), typeof(PatientMontage))]
public sealed class NewPatientPatchGridCommand : HeatmapCommandBase
{
    private static readonly string[] ImageExtensions = { ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp" };
    private readonly List<string> _files = new();
    private readonly List<PatchRecord> _rows = new();
    private readonly List<string> _csvFiles = new();
    private readonly List<PatchProblem> _inputProblems = new();
    private readonly List<PatchProblem> _rowProblems = new();
    private ILookup<string, PatchProblem> _inputProblemsByPatient = Array.Empty<PatchProblem>().ToLookup(p => p.PatientId);
    private int _rowNumber;

    [Parameter(ValueFromPipeline = true, ParameterSetName = "Input")]
    public PSObject? InputObject { get; set; }

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
    public PatchOrigin Origin { get; set; } = PatchOrigin.OneBased;

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
    public string Colormap { get; set; } = "Jet";

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double Alpha { get; set; } = 0.4;

    [Parameter]
    public ProbabilityScaleKind Scale { get; set; } = ProbabilityScaleKind.Fixed;

    [Parameter]
    public SwitchParameter Confusion { get; set; }

    [Parameter]
    public PatientImageKind[]? Kind { get; set; }

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double Threshold { get; set; } = 0.5;

    [Parameter]
    [ValidateRange(0, 100000)]
    public int MaxSize { get; set; }

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
    public int ThrottleLimit { get; set; } = Environment.ProcessorCount;

    [Parameter]
    public PatchImageFormat ImageFormat { get; set; } = PatchImageFormat.Png;

    [Parameter]
    public SwitchParameter Force { get; set; }

    private CultureInfo? _culture;
    private CultureInfo ParsedCulture => _culture ??= RunEngine(() => PatchTableReader.CultureFor(Culture));

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        // A template that would make files collide fails before any input is read.
        RunEngine(() => { PatientFileNames.Validate(NameTemplate); return 0; });
        _ = ParsedCulture;
    }

    protected override void ProcessRecord()
    {
        foreach (var path in ResolveAny(Path, literal: false).Concat(ResolveAny(LiteralPath, literal: true))) AddPath(path);
        Path = null;
        LiteralPath = null;
        if (InputObject is null) return;
        switch (InputObject.BaseObject)
        {
            case FileInfo file:
                // Get-ChildItem output already says it is a file: asking the disk again costs more than the rest of
                // binding it, times a few hundred thousand patches.
                AddFile(file.FullName);
                break;
            case DirectoryInfo folder:
                AddPath(folder.FullName);
                break;
            case string text:
                // Globbing a path costs far more than checking it: a plain file name (what Get-Content of a list or
                // (Get-ChildItem).FullName gives) is taken literally; only wildcard patterns are expanded.
                bool pattern = WildcardPattern.ContainsWildcardCharacters(text);
                foreach (var path in ResolveAny(new[] { text }, literal: !pattern)) AddPath(path);
                break;
            default:
                AddRow(InputObject);
                break;
        }
    }

    protected override void EndProcessing()
    {
        var columns = ColumnNames();
        foreach (var csv in CsvPath ?? Array.Empty<string>())
        {
            string full = GetUnresolvedProviderPathFromPSPath(csv);
            if (!File.Exists(full))
            {
                WriteError(new ErrorRecord(new FileNotFoundException($"CSV '{full}' does not exist."), ErrorIds.FileNotFound, ErrorCategory.ObjectNotFound, full));
                continue;
            }
            _csvFiles.Add(System.IO.Path.GetFullPath(full));
            var (records, problems) = RunEngine(() => PatchTableReader.ReadCsv(full, columns, Delimiter, ParsedCulture));
            _rows.AddRange(records);
            _inputProblems.AddRange(problems);
        }

        var parser = RunEngine(() => new PatchNameParser(NamePattern));
        var (fileRecords, unparsed) = parser.ParseAll(_files);
        _inputProblems.AddRange(unparsed);
        ReportInputProblems();
        _inputProblemsByPatient = _inputProblems.Concat(_rowProblems).ToLookup(p => p.PatientId.Trim(), StringComparer.Ordinal);

        var patients = PatientGrouping.Group(fileRecords, _rows, PatchSize, Origin == PatchOrigin.OneBased ? GridOrigin.OneBased : GridOrigin.ZeroBased);
        if (patients.Count == 0)
        {
            WriteWarning("No patches were found: give patch files or folders (-Path, pipeline) or a table (-CsvPath, Import-Csv rows).");
            return;
        }
        // -Random picks -First patients, or enough to fill the montage, or shuffles them all.
        int? randomCount = !Random ? null : First ?? (Montage || MontageOnly ? Rows * Columns : int.MaxValue);
        var selection = new PatientSelection(ExpandPatientIds(patients.Keys), First, randomCount, Seed, Limit: MontageOnly ? Rows * Columns : null);
        var chosen = RunEngine(() => PatchGridJob.Select(patients, selection));
        string outputDirectory = GetUnresolvedProviderPathFromPSPath(OutputPath);
        var approved = chosen.Where(p => ShouldProcess($"patient {p.PatientId} ({p.Patches.Count} patches)", $"Write patch grid images to {outputDirectory}")).ToList();
        if (approved.Count == 0) return;

        var options = new PatchGridOptions
        {
            PatchSize = PatchSize,
            Origin = Origin == PatchOrigin.OneBased ? GridOrigin.OneBased : GridOrigin.ZeroBased,
            OutputDirectory = outputDirectory,
            NameTemplate = NameTemplate,
            Force = Force,
            PositiveColor = Colors is null ? new PatchGridOptions { OutputDirectory = "" }.PositiveColor : RunEngine(() => NamedColors.Parse(Colors[1])),
            NegativeColor = Colors is null ? new PatchGridOptions { OutputDirectory = "" }.NegativeColor : RunEngine(() => NamedColors.Parse(Colors[0])),
            Alpha = Alpha,
            Colormap = RunEngine(() => Colormaps.Canonical(Colormap)),
            Scale = Enum.Parse<ProbabilityScale>(Scale.ToString()),
            CohortRange = Scale == ProbabilityScaleKind.Cohort ? PatchGridJob.ProbabilityRange(patients.Values) : null,
            Confusion = Confusion || (Kind?.Contains(PatientImageKind.Confusion) ?? false),
            Images = Kind is null ? PatientImages.All : Kind.Aggregate(PatientImages.None, (all, k) => all | Enum.Parse<PatientImages>(k.ToString())),
            Threshold = Threshold,
            MaxSize = MaxSize,
            WritePatients = !MontageOnly,
            Montage = Montage || MontageOnly,
            Rows = Rows,
            Columns = Columns,
            PanelSize = PanelSize,
            MontagePath = MontagePath is null ? null : GetUnresolvedProviderPathFromPSPath(MontagePath),
            ThrottleLimit = ThrottleLimit,
            ImageFormat = ImageFormat == PatchImageFormat.Jpg ? "jpg" : "png",
            Inputs = _files.Select(System.IO.Path.GetFullPath).Concat(_csvFiles).Concat(_rows.Where(r => r.Path is not null).Select(r => System.IO.Path.GetFullPath(r.Path!)))
                .ToHashSet(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal),
        };

        var done = new List<PatientResult>();
        int count = 0;
        try
        {
            foreach (var result in RunEngine(() => PatchGridJob.Render(approved, options, Cancellation)))
            {
                done.Add(result);
                count++;
                WriteProgress(new ProgressRecord(3, "New-PatientPatchGrid", $"patient {result.PatientId} ({count} of {approved.Count})")
                    { PercentComplete = count * 100 / approved.Count });
                Report(result);
            }
            // -Kind Probability over data without probabilities draws nothing at all: say why rather than finish silently.
            if (Kind is not null && !MontageOnly && done.Count > 0 && done.All(r => r.Files.Count == 0 && !r.Problems.Any(p => p.ErrorId == ErrorIds.OutputExists)))
                WriteWarning($"No patient had the data for -Kind {string.Join(", ", Kind)}, so nothing was written: probabilities (and the confusion map) need a probability column from -CsvPath or Import-Csv rows; the tissue needs patch images.");
            if (options.Montage)
            {
                var montage = RunEngine(() => PatchGridJob.WriteMontage(done, approved, options));
                WriteObject(new PatientMontage
                {
                    Path = montage.Path, PatientIds = montage.PatientIds.ToArray(), Rows = montage.Rows, Columns = montage.Columns,
                    Width = montage.Width, Height = montage.Height,
                });
            }
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
        finally
        {
            PatchGridJob.ReleasePanels(done);
        }
        WriteProgress(new ProgressRecord(3, "New-PatientPatchGrid", "Done") { RecordType = ProgressRecordType.Completed });
    }

    private void Report(PatientResult result)
    {
        foreach (var error in result.Problems.Where(p => p.IsError))
            WriteError(new ErrorRecord(new InvalidDataException(error.Message), error.ErrorId, ErrorCategory.InvalidData, error.Source));
        foreach (var group in result.Problems.Where(p => !p.IsError).GroupBy(p => p.ErrorId))
            WriteWarning($"[{group.Key}] patient {result.PatientId}: {group.Count()} problem(s). First: {group.First().Message}");
        // Bad table rows were reported as they were read; the patient they name counts them too.
        var problems = result.Problems.Concat(_inputProblemsByPatient[result.PatientId]).ToList();
        var counts = new Hashtable();
        foreach (var group in problems.GroupBy(p => p.ErrorId)) counts[group.Key] = group.Count();
        WriteObject(new PatientGrid
        {
            PatientId = result.PatientId,
            PatchCount = result.PatchCount,
            PositiveCount = result.PositiveCount,
            PositiveFraction = result.PositiveFraction,
            Width = result.Width,
            Height = result.Height,
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
        });
    }

    /// <summary>
    /// -PatientId with wildcards ("102*") becomes the matching ids in natural order; plain ids pass as given, so one
    /// that is absent is still reported by name. A pattern matching nothing stays as typed and is reported the same way.
    /// </summary>
    private string[]? ExpandPatientIds(IEnumerable<string> present)
    {
        if (PatientId is null) return null;
        var ids = present.Order(NaturalComparer.Instance).ToList();
        return PatientId.SelectMany(id =>
        {
            if (!WildcardPattern.ContainsWildcardCharacters(id)) return new[] { id };
            var pattern = WildcardPattern.Get(id, WildcardOptions.IgnoreCase);
            var matches = ids.Where(pattern.IsMatch).ToArray();
            return matches.Length > 0 ? matches : new[] { id };
        }).Distinct(StringComparer.Ordinal).ToArray();
    }

    private PatchColumns? _columns;

    /// <summary>-ColumnMap turned into column names once, not once per row.</summary>
    private PatchColumns ColumnNames() => _columns ??= RunEngine(() =>
        PatchColumns.WithOverrides(ColumnMap?.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => e.Value?.ToString() ?? "")));

    private void ReportInputProblems()
    {
        foreach (var p in _inputProblems)
        {
            if (p.IsError) WriteError(new ErrorRecord(new InvalidDataException(p.Message), p.ErrorId, ErrorCategory.InvalidData, p.Source));
            else WriteWarning($"[{p.ErrorId}] {p.Message}");
        }
    }

    private void AddPath(string path)
    {
        if (Directory.Exists(path))
        {
            _files.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                .Where(f => ImageExtensions.Contains(System.IO.Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal));
        }
        else if (File.Exists(path))
        {
            AddFile(path);
        }
    }

    private void AddFile(string path)
    {
        if (System.IO.Path.GetExtension(path.AsSpan()).Equals(".csv", StringComparison.OrdinalIgnoreCase)) CsvPath = (CsvPath ?? Array.Empty<string>()).Append(path).ToArray();
        else _files.Add(path);
    }

    private IEnumerable<string> ResolveAny(string[]? paths, bool literal)
    {
        foreach (var path in paths ?? Array.Empty<string>())
        {
            if (literal)
            {
                // An absolute file system path needs no provider (and asking one costs tens of microseconds a file).
                string resolved = System.IO.Path.IsPathFullyQualified(path) ? path : GetUnresolvedProviderPathFromPSPath(path);
                if (File.Exists(resolved) || Directory.Exists(resolved)) yield return resolved;
                else WriteError(new ErrorRecord(new FileNotFoundException($"'{resolved}' does not exist."), ErrorIds.FileNotFound, ErrorCategory.ObjectNotFound, resolved));
                continue;
            }
            Collection<string>? matches = null;
            try
            {
                matches = GetResolvedProviderPathFromPSPath(path, out _);
            }
            catch (ItemNotFoundException)
            {
                WriteError(new ErrorRecord(new FileNotFoundException($"'{path}' does not exist."), ErrorIds.FileNotFound, ErrorCategory.ObjectNotFound, path));
            }
            foreach (var match in matches ?? new Collection<string>()) yield return match;
        }
    }

    /// <summary>A row object (Import-Csv output, or any object with the mapped properties).</summary>
    private void AddRow(PSObject row)
    {
        _rowNumber++;
        var columns = ColumnNames();
        string? Get(string name) => row.Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))?.Value?.ToString();
        var values = new PatchTableReader.RowValues(Get(columns.PatientId) ?? "", Get(columns.X) ?? "", Get(columns.Y) ?? "",
            Get(columns.Target), Get(columns.Probability), Get(columns.Path));
        var (record, problem) = PatchTableReader.Parse(values, $"input object {_rowNumber}", ParsedCulture, SessionState.Path.CurrentFileSystemLocation.ProviderPath);
        if (record is not null) _rows.Add(record);
        if (problem is null) return;
        // Written now, while the rows stream in; counted in the patient's object later.
        WriteError(new ErrorRecord(new InvalidDataException(problem.Message), problem.ErrorId, ErrorCategory.InvalidData, row));
        _rowProblems.Add(problem);
    }
}
