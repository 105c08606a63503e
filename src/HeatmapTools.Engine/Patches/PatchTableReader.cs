using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace HeatmapTools.Engine.Patches;

/// <summary>Which column holds which field; names are matched case-insensitively.</summary>
public sealed record PatchColumns(string PatientId = "patient_id", string X = "x", string Y = "y", string Target = "target",
    string Probability = "probability", string Path = "path")
{
    public static PatchColumns WithOverrides(IReadOnlyDictionary<string, string>? map)
    {
        var c = new PatchColumns();
        if (map is null) return c;
        foreach (var (field, column) in map)
        {
            c = field.ToLowerInvariant() switch
            {
                "patient_id" or "patientid" or "patient" => c with { PatientId = column },
                "x" => c with { X = column },
                "y" => c with { Y = column },
                "target" or "label" or "class" => c with { Target = column },
                "probability" or "prob" or "score" => c with { Probability = column },
                "path" or "file" => c with { Path = column },
                _ => throw new HeatmapToolsException(ErrorIds.ColumnMapInvalid, ErrorKind.InvalidArgument,
                    $"-ColumnMap key '{field}' is not one of patient_id, x, y, target, probability, path.", field),
            };
        }
        return c;
    }
}

/// <summary>
/// Reads patch tables (CSV via CsvHelper, or rows already parsed, such as Import-Csv objects) into records;
/// a row with a missing or non-numeric field becomes a problem naming its line, and reading goes on.
/// </summary>
public static class PatchTableReader
{
    /// <summary>
    /// The culture numbers are read with: invariant when none is named. Only cultures the system defines are taken,
    /// since .NET would otherwise make up one for any well-formed name ("deutsch", "xx-YY") and read numbers with
    /// invariant rules without a word.
    /// </summary>
    public static CultureInfo CultureFor(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return CultureInfo.InvariantCulture;
        try
        {
            return CultureInfo.GetCultureInfo(name.Trim(), predefinedOnly: true);
        }
        catch (CultureNotFoundException)
        {
            throw new HeatmapToolsException(ErrorIds.CultureUnknown, ErrorKind.InvalidArgument,
                $"-Culture '{name}' is not a culture this system knows; give a name such as de-DE, fr-FR or en-US.", name);
        }
    }

    public static (List<PatchRecord> Records, List<PatchProblem> Problems) ReadCsv(string path, PatchColumns columns, string? delimiter, CultureInfo culture)
    {
        var table = Read(path, columns, delimiter, culture);
        if (table.Predictions.Count > 0)
            throw new HeatmapToolsException(ErrorIds.CsvRowInvalid, ErrorKind.InvalidData, $"CSV '{path}' is a table of predictions, not of patches.", path);
        return (table.Records, table.Problems);
    }

    /// <summary>
    /// Reads a patch table, or a table of predictions (Get-ClassPrediction's Export-Csv: a path and every class's
    /// probability per row, no patient column), whose rows are classified patch files.
    /// </summary>
    public static PatchTable Read(string path, PatchColumns columns, string? delimiter, CultureInfo culture)
    {
        var records = new List<PatchRecord>();
        var problems = new List<PatchProblem>();
        var predictions = new List<PredictionRow>();
        var config = new CsvConfiguration(culture)
        {
            HasHeaderRecord = true,
            DetectDelimiter = delimiter is null,
            Delimiter = delimiter ?? culture.TextInfo.ListSeparator,
            MissingFieldFound = null,
            BadDataFound = null,
            TrimOptions = TrimOptions.Trim,
        };
        IO.RegularFile.Ensure(path, ErrorIds.CsvRowInvalid, "CSV");
        using var reader = new StreamReader(path);
        using var csv = new CsvReader(reader, config);
        if (!csv.Read() || !csv.ReadHeader())
            throw new HeatmapToolsException(ErrorIds.CsvRowInvalid, ErrorKind.InvalidData, $"CSV '{path}' has no header row.", path);
        var header = csv.HeaderRecord!;
        int Column(string name) => Array.FindIndex(header, h => string.Equals(h, name, StringComparison.OrdinalIgnoreCase));
        problems.AddRange(Ambiguities(path, header, columns));
        int patient = Column(columns.PatientId), x = Column(columns.X), y = Column(columns.Y);
        int target = Column(columns.Target), probability = Column(columns.Probability), file = Column(columns.Path);
        string baseDir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        // Its top-1 "Probability" column is not P(positive): the per-class column is read instead.
        if (patient < 0 && file >= 0 && Column(PredictionTable.ProbabilitiesColumn) is int classes and >= 0)
        {
            while (csv.Read())
            {
                string source = $"{System.IO.Path.GetFileName(path)} line {csv.Parser.RawRow}";
                string Field(int i) => i < csv.Parser.Count ? csv.GetField(i) ?? "" : "";
                string patch = Field(file);
                if (string.IsNullOrWhiteSpace(patch))
                    problems.Add(new PatchProblem(ErrorIds.CsvRowInvalid, "", $"{source}: the path is empty; the row is skipped.", source, IsError: true));
                else
                    predictions.Add(new PredictionRow(System.IO.Path.GetFullPath(patch, baseDir), Field(classes), source));
            }
            return new PatchTable(records, problems, predictions);
        }
        var missing = new[] { (patient, columns.PatientId), (x, columns.X), (y, columns.Y) }.Where(c => c.Item1 < 0).Select(c => c.Item2).ToList();
        if (missing.Count > 0)
            throw new HeatmapToolsException(ErrorIds.CsvColumnMissing, ErrorKind.InvalidData,
                $"CSV '{path}' lacks the column(s) {string.Join(", ", missing)}; its columns are {string.Join(", ", header)}. Use -ColumnMap to name yours.", path);

        var decimalCommas = new List<PatchProblem>();
        while (csv.Read())
        {
            int line = csv.Parser.RawRow;
            string Field(int i) => i >= 0 && i < csv.Parser.Count ? csv.GetField(i) ?? "" : "";
            var row = new RowValues(Field(patient), Field(x), Field(y), target >= 0 ? Field(target) : null,
                probability >= 0 ? Field(probability) : null, file >= 0 ? Field(file) : null);
            var (record, problem) = Parse(row, $"{System.IO.Path.GetFileName(path)} line {line}", culture, baseDir);
            if (record is not null) records.Add(record);
            if (problem is not null && row.Probability is { } text && DecimalCommaHint(text, culture).Length > 0) decimalCommas.Add(problem);
            else if (problem is not null) problems.Add(problem);
        }
        // A table written with decimal commas fails on every row alike: one error that says why, not one per row.
        if (decimalCommas.Count > 0)
            problems.Add(new PatchProblem(ErrorIds.CsvCultureMismatch, "",
                $"CSV '{path}': {decimalCommas.Count} row(s) have probabilities written with decimal commas (first: {decimalCommas[0].Source}), which the " +
                $"{(culture.Equals(CultureInfo.InvariantCulture) ? "invariant culture" : $"culture {culture.Name}")} does not read; give -Culture with the culture that wrote the table " +
                "(for example -Culture de-DE). Those rows are skipped.", path, IsError: true));
        return new PatchTable(records, problems, predictions);
    }

    /// <summary>
    /// Warnings for a header whose columns could mean one field twice: two columns of one name (in any case), or a
    /// column of a field's own name left unread because -ColumnMap names another for it.
    /// </summary>
    private static IEnumerable<PatchProblem> Ambiguities(string path, string[] header, PatchColumns columns)
    {
        var defaults = new PatchColumns();
        foreach (var (field, used, own) in new[] { ("patient_id", columns.PatientId, defaults.PatientId), ("x", columns.X, defaults.X), ("y", columns.Y, defaults.Y),
            ("target", columns.Target, defaults.Target), ("probability", columns.Probability, defaults.Probability), ("path", columns.Path, defaults.Path) })
        {
            var same = header.Where(h => string.Equals(h, used, StringComparison.OrdinalIgnoreCase)).ToList();
            if (same.Count > 1)
                yield return new PatchProblem(ErrorIds.CsvColumnAmbiguous, "",
                    $"CSV '{path}' has {same.Count} columns named {string.Join(" and ", same.Select(c => $"'{c}'"))} for {field}; the first is read.", path, IsError: false);
            if (!string.Equals(used, own, StringComparison.OrdinalIgnoreCase) && header.Contains(own, StringComparer.OrdinalIgnoreCase) &&
                header.Contains(used, StringComparer.OrdinalIgnoreCase))
                yield return new PatchProblem(ErrorIds.CsvColumnAmbiguous, "",
                    $"CSV '{path}' has both '{own}' and '{used}' for {field}: -ColumnMap names '{used}', so '{own}' is not read.", path, IsError: false);
        }
    }

    /// <summary>A CSV read: patch rows, or prediction rows, and the problems of rows that were neither.</summary>
    public sealed record PatchTable(List<PatchRecord> Records, List<PatchProblem> Problems, List<PredictionRow> Predictions);

    /// <summary>Raw text of one row's fields.</summary>
    public sealed record RowValues(string Patient, string X, string Y, string? Target, string? Probability, string? Path);

    private static readonly NumberFormatInfo DecimalComma = new() { NumberDecimalSeparator = ",", NumberGroupSeparator = "." };

    /// <summary>"0,75" read with a decimal point: most likely a table written with decimal commas, so say how to read it.</summary>
    private static string DecimalCommaHint(string text, CultureInfo culture) =>
        culture.NumberFormat.NumberDecimalSeparator != "," && double.TryParse(text, NumberStyles.Float, DecimalComma, out _) && text.Contains(',')
            ? " (decimal commas? give -Culture, e.g. -Culture de-DE)" : "";

    public static (PatchRecord? Record, PatchProblem? Problem) Parse(RowValues row, string source, CultureInfo culture, string? baseDirectory)
    {
        var wrong = new List<string>();
        if (string.IsNullOrWhiteSpace(row.Patient)) wrong.Add("patient_id is empty");
        if (!int.TryParse(row.X, NumberStyles.Integer, culture, out int x)) wrong.Add($"x '{row.X}' is not a whole number");
        if (!int.TryParse(row.Y, NumberStyles.Integer, culture, out int y)) wrong.Add($"y '{row.Y}' is not a whole number");
        int? target = null;
        if (!string.IsNullOrWhiteSpace(row.Target))
        {
            // pandas writes an integer column that held a missing value as floats: "1.0" is class 1, "1.5" no class.
            if (int.TryParse(row.Target, NumberStyles.Integer, culture, out int t)) target = t;
            else if (double.TryParse(row.Target, NumberStyles.Float, culture, out double d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue) target = (int)d;
            else wrong.Add($"target '{row.Target}' is not a whole number");
        }
        double? probability = null;
        if (!string.IsNullOrWhiteSpace(row.Probability))
        {
            if (double.TryParse(row.Probability, NumberStyles.Float, culture, out double p) && p is >= 0 and <= 1) probability = p;
            else wrong.Add($"probability '{row.Probability}' is not a number in [0,1]{DecimalCommaHint(row.Probability, culture)}");
        }
        if (wrong.Count > 0)
            return (null, new PatchProblem(ErrorIds.CsvRowInvalid, row.Patient, $"{source}: {string.Join("; ", wrong)}; the row is skipped.", source, IsError: true));
        string? path = string.IsNullOrWhiteSpace(row.Path) ? null
            : System.IO.Path.IsPathRooted(row.Path) || baseDirectory is null ? row.Path : System.IO.Path.GetFullPath(System.IO.Path.Combine(baseDirectory, row.Path));
        return (new PatchRecord(row.Patient.Trim(), x, y, target, probability, path, source), null);
    }
}
