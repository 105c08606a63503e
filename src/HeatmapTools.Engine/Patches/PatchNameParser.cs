using System.Globalization;
using System.Text.RegularExpressions;

namespace HeatmapTools.Engine.Patches;

/// <summary>
/// Reads patient, x, y and class from a patch file name. The default pattern is the Kaggle IDC layout
/// (<c>10253_idx5_x1001_y1051_class0.png</c>); any regex with the named groups patient, x, y and optionally target
/// (or class) and probability works for other datasets.
/// </summary>
public sealed class PatchNameParser
{
    public const string IdcPattern = @"^(?<patient>.+?)_idx\d+_x(?<x>\d+)_y(?<y>\d+)_class(?<target>\d+)\.[A-Za-z0-9]+$";

    private readonly Regex _regex;
    // Group numbers looked up once: finding a group by name on every match cost more than the match itself.
    private readonly int _patient, _x, _y, _target, _class, _probability;

    /// <summary>How long a user's -NamePattern may take on one name: a catastrophic pattern fails fast instead of running for minutes.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    public PatchNameParser(string? pattern = null)
    {
        try
        {
            // The built-in pattern is linear; only a user's pattern needs the timeout.
            _regex = new Regex(pattern ?? IdcPattern, RegexOptions.CultureInvariant | RegexOptions.IgnoreCase | RegexOptions.Compiled,
                pattern is null ? Regex.InfiniteMatchTimeout : MatchTimeout);
        }
        catch (ArgumentException ex)
        {
            throw new HeatmapToolsException(ErrorIds.NamePatternInvalid, ErrorKind.InvalidArgument, $"-NamePattern is not a valid regular expression: {ex.Message}", pattern, ex);
        }
        var names = _regex.GetGroupNames();
        foreach (var needed in new[] { "patient", "x", "y" })
            if (!names.Contains(needed))
                throw new HeatmapToolsException(ErrorIds.NamePatternInvalid, ErrorKind.InvalidArgument,
                    $"-NamePattern must have the named groups (?<patient>...), (?<x>...) and (?<y>...); '{needed}' is missing.", pattern);
        (_patient, _x, _y) = (_regex.GroupNumberFromName("patient"), _regex.GroupNumberFromName("x"), _regex.GroupNumberFromName("y"));
        (_target, _class, _probability) = (_regex.GroupNumberFromName("target"), _regex.GroupNumberFromName("class"), _regex.GroupNumberFromName("probability"));
    }

    /// <summary>Parses a path; null when the name does not match.</summary>
    public PatchRecord? Parse(string path)
    {
        Match match;
        try
        {
            match = _regex.Match(System.IO.Path.GetFileName(path));
        }
        catch (RegexMatchTimeoutException ex)
        {
            throw new HeatmapToolsException(ErrorIds.NamePatternTimeout, ErrorKind.LimitsExceeded,
                $"-NamePattern took over {MatchTimeout.TotalSeconds:0} s on '{System.IO.Path.GetFileName(path)}' (catastrophic backtracking, as in (a+)+): " +
                "write it without nested repetition, e.g. ^(?<patient>[^_]+)_x(?<x>\\d+)_y(?<y>\\d+)", _regex.ToString(), ex);
        }
        if (!match.Success) return null;
        if (!int.TryParse(match.Groups[_x].ValueSpan, NumberStyles.Integer, CultureInfo.InvariantCulture, out int x) ||
            !int.TryParse(match.Groups[_y].ValueSpan, NumberStyles.Integer, CultureInfo.InvariantCulture, out int y))
            return null;
        int? target = Group(match, _target) ?? Group(match, _class);
        double? probability = _probability >= 0 && match.Groups[_probability] is { Success: true } p &&
            double.TryParse(p.ValueSpan, NumberStyles.Float, CultureInfo.InvariantCulture, out var pv) ? pv : null;
        var folder = System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(path.AsSpan()));
        int? folderTarget = int.TryParse(folder, NumberStyles.None, CultureInfo.InvariantCulture, out var ft) ? ft : null;
        return new PatchRecord(match.Groups[_patient].Value, x, y, target, probability, path, path) { FolderTarget = folderTarget };
    }

    /// <summary>Parses many paths; names that do not match become problems (the first few named, the rest counted).</summary>
    public (List<PatchRecord> Records, List<PatchProblem> Problems) ParseAll(IReadOnlyCollection<string> paths, int named = 5)
    {
        // A dataset is a few hundred thousand names: parse them on all cores, then collect in input order.
        var list = paths as IList<string> ?? paths.ToList();
        var parsed = new PatchRecord?[list.Count];
        try
        {
            Parallel.For(0, list.Count, i => parsed[i] = Parse(list[i]));
        }
        catch (AggregateException ex) when (ex.InnerExceptions.FirstOrDefault(e => e is HeatmapToolsException) is HeatmapToolsException first)
        {
            throw first;
        }
        var records = new List<PatchRecord>(list.Count);
        var problems = new List<PatchProblem>();
        int unparsed = 0;
        for (int i = 0; i < list.Count; i++)
        {
            string path = list[i];
            if (parsed[i] is { } record) records.Add(record);
            else if (unparsed++ < named)
                problems.Add(new PatchProblem(ErrorIds.PatchNameUnparsed, "", $"'{path}' does not match the patch name pattern; it is skipped.", path, false));
        }
        if (unparsed > named)
            problems.Add(new PatchProblem(ErrorIds.PatchNameUnparsed, "", $"{unparsed - named} more file name(s) do not match the patch name pattern.", "", false));
        return (records, problems);
    }

    private static int? Group(Match match, int number) =>
        number >= 0 && match.Groups[number] is { Success: true } g && int.TryParse(g.ValueSpan, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
}
