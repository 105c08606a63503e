using System.Globalization;
using System.Text.RegularExpressions;

namespace HeatmapTools.Engine.Patches;

/// <summary>How inputs become records: the table columns, the CSV dialect and the patch file naming.</summary>
public sealed record PatchInputSettings(PatchColumns Columns, string? Delimiter, CultureInfo Culture, string? NamePattern, int PatchSize, GridOrigin Origin,
    Prediction.PositiveClass? PositiveClass = null);

/// <summary>Patients gathered from every input, with the problems found on the way (reported once, counted per patient).</summary>
public sealed class PreparedPatients
{
    public required Dictionary<string, PatientPatches> Patients { get; init; }
    /// <summary>Problems found while reading inputs (CSV rows, file names) that were not reported as they were found.</summary>
    public required IReadOnlyList<PatchProblem> InputProblems { get; init; }
    /// <summary>Every input problem, reported or not, by the patient it names: each patient's result counts them.</summary>
    public required ILookup<string, PatchProblem> ProblemsByPatient { get; init; }
    /// <summary>Full paths of every input: no output may be written over one.</summary>
    public required IReadOnlySet<string> Inputs { get; init; }
}

/// <summary>A piped object seen through its properties (by name, any case), with the map it may carry and the folder relative paths start from.</summary>
public sealed record ObjectRecord(Func<string, string?> Property, Func<float[]?> CarriedMap, string BaseDirectory);

/// <summary>
/// What New-PatientPatchGrid takes in, as it arrives (patch files, folders, CSV files, table rows, predictions and maps
/// of patches), turned into patients once the input ends. Drawing them is <see cref="PatchGridJob"/>'s.
/// </summary>
public sealed class PatchIntake
{
    private static readonly string[] ImageExtensions = { ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp" };
    private readonly List<string> _files = new();
    private readonly List<string> _csvFiles = new();
    private readonly List<PatchRecord> _rows = new();
    private readonly List<PatchProblem> _rowProblems = new();
    private readonly Dictionary<string, double> _predicted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (float[] Map, int Size, float RawMin, float RawMax)> _cams = new(StringComparer.Ordinal);
    private readonly HashSet<string> _fileSet = new(StringComparer.Ordinal);

    /// <summary>
    /// A patch's class activation map (a New-CamHeatmap result of a patch file), kept at the patch size: a thousand
    /// patches of a patient hold a few megabytes, not a thousand network-sized maps.
    /// </summary>
    public void AddCamMap(string path, float[] map, int width, int height, int patchSize, float rawMin = 0, float rawMax = 1)
    {
        using var full = OpenCvSharp.Mat.FromPixelData(height, width, OpenCvSharp.MatType.CV_32FC1, map);
        using var small = new OpenCvSharp.Mat();
        OpenCvSharp.Cv2.Resize(full, small, new OpenCvSharp.Size(patchSize, patchSize), 0, 0, OpenCvSharp.InterpolationFlags.Area);
        small.GetArray(out float[] values);
        _cams[Path.GetFullPath(path)] = (values, patchSize, rawMin, rawMax);
        AddFile(path);
    }
    private int _rowNumber;

    /// <summary>
    /// A classified patch file (a Get-ClassPrediction result): patient, position and true class come from its name as
    /// for any patch file, the probability from the classifier.
    /// </summary>
    public void AddPrediction(string path, double positiveProbability)
    {
        _predicted[Path.GetFullPath(path)] = positiveProbability;
        AddFile(path);
    }

    /// <summary>
    /// A row of a table of predictions (Import-Csv of Get-ClassPrediction's Export-Csv, or a result from another
    /// process): the same as the prediction itself. A row whose probabilities cannot be read is its own problem; a
    /// positive class the head lacks stops the run, as it would for the live objects.
    /// </summary>
    public PatchProblem? AddPredictionRow(PredictionRow row, Prediction.PositiveClass positiveClass)
    {
        var problem = TryAddPrediction(row, positiveClass);
        if (problem is not null) _rowProblems.Add(problem);
        return problem;
    }

    private PatchProblem? TryAddPrediction(PredictionRow row, Prediction.PositiveClass positiveClass)
    {
        try
        {
            AddPrediction(row.Path, Prediction.ClassProbabilities.Parse(row.Probabilities, row.Source).Positive(positiveClass, row.Source));
            return null;
        }
        catch (HeatmapToolsException ex) when (ex.ErrorId == ErrorIds.CsvRowInvalid)
        {
            return new PatchProblem(ex.ErrorId, "", ex.Message + " The row is skipped.", row.Source, IsError: true);
        }
    }

    /// <summary>A file (a patch image, or a CSV table by its extension) or a folder searched for images.</summary>
    public void AddPath(string path)
    {
        if (Directory.Exists(path))
        {
            var found = new List<string>();
            Walk(path, Canonical(path), new HashSet<string>(StringComparer.Ordinal), found);
            foreach (var file in found.Order(StringComparer.Ordinal)) AddFile(file);
        }
        else if (File.Exists(path))
            AddFile(path);
    }

    /// <summary>
    /// The images below a folder, each folder walked once by where it really is: a link back to a folder above (a loop)
    /// or to one already walked adds nothing, where following it would add the same patches again dozens of levels deep.
    /// </summary>
    private static void Walk(string folder, string canonical, HashSet<string> walked, List<string> found)
    {
        if (!walked.Add(canonical)) return;
        try
        {
            found.AddRange(Directory.EnumerateFiles(folder).Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())));
            foreach (var sub in Directory.EnumerateDirectories(folder))
                Walk(sub, new DirectoryInfo(sub).LinkTarget is null ? Path.Combine(canonical, Path.GetFileName(sub)) : Canonical(sub), walked, found);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or DirectoryNotFoundException)
        {
            // A folder that cannot be listed holds no patches we can read; its siblings are still walked.
        }
    }

    private static string Canonical(string folder)
    {
        var info = new DirectoryInfo(Path.GetFullPath(folder));
        return (info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) ?? info).FullName.TrimEnd(Path.DirectorySeparatorChar);
    }

    /// <summary>A path already known to be a file (Get-ChildItem output): no second look at the disk. A file given twice (as a file and before that as a result about it) is one patch.</summary>
    public void AddFile(string path)
    {
        if (!_fileSet.Add(Path.GetFullPath(path))) return;
        if (Path.GetExtension(path.AsSpan()).Equals(".csv", StringComparison.OrdinalIgnoreCase)) _csvFiles.Add(path);
        else _files.Add(path);
    }

    public void AddCsv(string path) => _csvFiles.Add(path);

    /// <summary>A patch piped in both as a file and as a result about it (prediction, map) is one patch, not a duplicate.</summary>


    /// <summary>
    /// A piped object that is neither a file nor a result of this session, seen through its properties: a prediction's
    /// row (its CSV through Import-Csv, or a prediction from another process), or a patch table row. (A map result from
    /// another process is made a map on the CAM side first: <see cref="Cam.CamRecipe"/>.) Returns its problem, to report
    /// at once, or null.
    /// </summary>
    public PatchProblem? AddObject(ObjectRecord item, PatchColumns columns, CultureInfo culture, Prediction.PositiveClass positiveClass)
    {
        if (item.Property(columns.PatientId) is null && item.Property(PredictionTable.ProbabilitiesColumn) is { } probabilities
            && item.Property(columns.Path) is { } patch)
            return AddPredictionRow(new PredictionRow(Path.GetFullPath(patch, item.BaseDirectory), probabilities, patch), positiveClass);
        var values = new PatchTableReader.RowValues(item.Property(columns.PatientId) ?? "", item.Property(columns.X) ?? "", item.Property(columns.Y) ?? "",
            item.Property(columns.Target), item.Property(columns.Probability), item.Property(columns.Path));
        return AddRow(values, culture, item.BaseDirectory);
    }

    /// <summary>A table row (Import-Csv output); returns its problem, to report at once, or null.</summary>
    public PatchProblem? AddRow(PatchTableReader.RowValues values, CultureInfo culture, string baseDirectory)
    {
        _rowNumber++;
        var (record, problem) = PatchTableReader.Parse(values, $"input object {_rowNumber}", culture, baseDirectory);
        if (record is not null) _rows.Add(record);
        if (problem is not null) _rowProblems.Add(problem);
        return problem;
    }

    /// <summary>Reads the tables, parses the file names and groups everything by patient.</summary>
    public PreparedPatients Prepare(PatchInputSettings settings)
    {
        var problems = new List<PatchProblem>();
        var rows = new List<PatchRecord>(_rows);
        foreach (var csv in _csvFiles)
        {
            if (!File.Exists(csv))
            {
                problems.Add(new PatchProblem(ErrorIds.FileNotFound, "", $"CSV '{csv}' does not exist.", csv, true));
                continue;
            }
            var table = PatchTableReader.Read(csv, settings.Columns, settings.Delimiter, settings.Culture);
            rows.AddRange(table.Records);
            problems.AddRange(table.Problems);
            foreach (var prediction in table.Predictions)
                if (TryAddPrediction(prediction, settings.PositiveClass ?? Prediction.PositiveClass.Unspecified) is { } problem) problems.Add(problem);
        }
        var (fileRecords, unparsed) = new PatchNameParser(settings.NamePattern).ParseAll(_files);
        if (_predicted.Count > 0)
            fileRecords = fileRecords.Select(r => r.Path is not null && _predicted.TryGetValue(Path.GetFullPath(r.Path), out var p) ? r with { Probability = p } : r).ToList();
        if (_cams.Count > 0)
            fileRecords = fileRecords.Select(r => r.Path is not null && _cams.TryGetValue(Path.GetFullPath(r.Path), out var c) ? r with { CamMap = c.Map, CamSize = c.Size, CamRawMin = c.RawMin, CamRawMax = c.RawMax } : r).ToList();
        problems.AddRange(unparsed);
        var comparer = OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        return new PreparedPatients
        {
            Patients = PatientGrouping.Group(fileRecords, rows, settings.PatchSize, settings.Origin),
            InputProblems = problems,
            ProblemsByPatient = problems.Concat(_rowProblems).ToLookup(p => p.PatientId.Trim(), StringComparer.Ordinal),
            Inputs = _files.Select(Path.GetFullPath).Concat(_csvFiles.Select(Path.GetFullPath))
                .Concat(rows.Where(r => r.Path is not null).Select(r => Path.GetFullPath(r.Path!))).ToHashSet(comparer),
        };
    }

    /// <summary>
    /// Patient ids with wildcards ("102*", "10?5", "10[0-2]*") become the matching ids in natural order; plain ids pass
    /// as given, so an absent one is still reported by name; a pattern matching nothing stays as typed, likewise.
    /// </summary>
    public static string[]? ExpandPatientIds(IReadOnlyList<string>? wanted, IEnumerable<string> present)
    {
        if (wanted is null) return null;
        var ids = present.Order(NaturalComparer.Instance).ToList();
        return wanted.SelectMany(id =>
        {
            if (id.IndexOfAny(new[] { '*', '?', '[' }) < 0) return new[] { id };
            var pattern = new Regex("^" + Regex.Escape(id).Replace(@"\*", ".*").Replace(@"\?", ".").Replace(@"\[", "[") + "$",
                RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            var matches = ids.Where(i => pattern.IsMatch(i)).ToArray();
            return matches.Length > 0 ? matches : new[] { id };
        }).Distinct(StringComparer.Ordinal).ToArray();
    }
}
