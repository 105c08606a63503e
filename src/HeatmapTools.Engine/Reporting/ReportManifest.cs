using System.Globalization;
using System.Text;
using HeatmapTools.Engine.IO;

namespace HeatmapTools.Engine.Reporting;

/// <summary>
/// What a report wrote into its folder (each file's path, size and time), kept beside it, so a report never writes over
/// a file it did not write, and a rerun removes its own stale pages and copies, and only those, even with -Force.
/// </summary>
internal sealed class ReportManifest
{
    public const string FileName = ".heatmaptools-report";
    private readonly string _folder;
    private readonly Dictionary<string, (long Length, long Ticks)> _previous;
    private readonly HashSet<string> _written = new(StringComparer.Ordinal);

    private ReportManifest(string folder, Dictionary<string, (long, long)> previous) => (_folder, _previous) = (folder, previous);

    /// <summary>
    /// Reads the folder's manifest and refuses (ReportFolderNotOurs) when any file a report writes (index.html, its
    /// table pages, files/, thumbs/) is there and was not written by a report, or was changed since.
    /// </summary>
    public static ReportManifest Open(string folder)
    {
        var previous = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        string path = Path.Combine(folder, FileName);
        if (File.Exists(path))
        {
            foreach (var line in File.ReadLines(path))
            {
                var parts = line.Split('\t');
                if (parts.Length == 3 && long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var length)
                    && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var ticks))
                    previous[parts[2]] = (length, ticks);
            }
        }
        var manifest = new ReportManifest(folder, previous);
        foreach (var relative in ReportShapedFiles(folder))
            if (!manifest.Ours(relative))
                throw new HeatmapToolsException(ErrorIds.ReportFolderNotOurs, ErrorKind.ResourceExists,
                    $"'{Path.Combine(folder, relative)}' was not written by Export-HeatmapReport (or was changed since), and a report never writes over " +
                    "a file it did not write, -Force or not. Write the report into an empty folder or a new one.", Path.Combine(folder, relative));
        return manifest;
    }

    /// <summary>Whether the report at this folder wrote <paramref name="relative"/> and it is unchanged since.</summary>
    private bool Ours(string relative)
    {
        if (!_previous.TryGetValue(relative, out var known)) return false;
        var info = new FileInfo(Path.Combine(_folder, relative));
        return info.Exists && info.Length == known.Length && info.LastWriteTimeUtc.Ticks == known.Ticks;
    }

    /// <summary>The files in the folder a report could write: where a report's own names could collide with the user's.</summary>
    private static IEnumerable<string> ReportShapedFiles(string folder)
    {
        if (!Directory.Exists(folder)) yield break;
        foreach (var file in Directory.EnumerateFiles(folder, "*.html"))
            yield return Path.GetFileName(file);
        foreach (var sub in new[] { "files", "thumbs" })
        {
            string dir = Path.Combine(folder, sub);
            if (!Directory.Exists(dir)) continue;
            foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
                yield return Path.GetRelativePath(folder, file).Replace('\\', '/');
        }
    }

    /// <summary>Records a file this report wrote (relative to the folder, with '/').</summary>
    public void Wrote(string relative)
    {
        lock (_written) _written.Add(relative);
    }

    /// <summary>
    /// Writes the manifest of this report's files, then removes what the previous report wrote that this one did not
    /// (pages and copies of results no longer in it), if still unchanged.
    /// </summary>
    public void Finish()
    {
        var text = new StringBuilder();
        foreach (var relative in _written.Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(Path.Combine(_folder, relative));
            if (info.Exists) text.Append(info.Length.ToString(CultureInfo.InvariantCulture)).Append('\t').Append(info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture)).Append('\t').Append(relative).Append('\n');
        }
        AtomicFile.Write(Path.Combine(_folder, FileName), true, stream => stream.Write(Encoding.UTF8.GetBytes(text.ToString())));
        foreach (var stale in _previous.Keys.Where(k => !_written.Contains(k) && Ours(k)))
        {
            try { File.Delete(Path.Combine(_folder, stale)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }
}
