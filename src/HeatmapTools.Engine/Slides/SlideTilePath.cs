using System.Globalization;
using System.Text.RegularExpressions;

namespace HeatmapTools.Engine.Slides;

/// <summary>
/// A tile of a slide named as a file that is never written: <c>&lt;slide&gt;.tiles/&lt;slide name&gt;_L&lt;level&gt;_x&lt;X&gt;_y&lt;Y&gt;_s&lt;size&gt;.png</c>
/// (X and Y in level-0 pixels, size at the level read). Every cmdlet that reads images reads such a path as the region
/// of the slide, so tiles flow through Get-ClassPrediction and New-CamHeatmap like files, and results carry where on
/// the slide they came from.
/// </summary>
public static partial class SlideTilePath
{
    private const string Folder = ".tiles";

    [GeneratedRegex(@"_L(?<level>\d{1,2})_x(?<x>\d{1,12})_y(?<y>\d{1,12})_s(?<size>\d{1,6})\.png$", RegexOptions.CultureInvariant)]
    private static partial Regex Name();

    public static string Format(string slide, int level, long x, long y, int size) =>
        Path.Combine(slide + Folder, string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileNameWithoutExtension(slide)}_L{level}_x{x}_y{y}_s{size}.png"));

    /// <summary>The slide and region a tile path names; false for any other path (a real file, or a folder that is not a slide's).</summary>
    public static bool TryParse(string path, out (string Slide, int Level, long X, long Y, int Size) tile)
    {
        tile = default;
        string? folder = Path.GetDirectoryName(path);
        if (folder is null || !folder.EndsWith(Folder, StringComparison.Ordinal)) return false;
        var match = Name().Match(Path.GetFileName(path));
        if (!match.Success) return false;
        string slide = folder[..^Folder.Length];
        if (!File.Exists(slide) || File.Exists(path)) return false;
        tile = (slide, int.Parse(match.Groups["level"].Value, CultureInfo.InvariantCulture), long.Parse(match.Groups["x"].Value, CultureInfo.InvariantCulture),
            long.Parse(match.Groups["y"].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups["size"].Value, CultureInfo.InvariantCulture));
        return true;
    }

    public static bool IsTile(string path) => TryParse(path, out _);
}
