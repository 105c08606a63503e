using System.Globalization;
using System.Text;
using HeatmapTools.Engine.IO;
using OpenCvSharp;

namespace HeatmapTools.Engine.Reporting;

/// <summary>
/// Deep Zoom images (DZI) as OpenSeadragon reads them: <c>name.dzi</c> (the size, tile size, overlap and format) beside
/// <c>name_files/L/C_R.ext</c>, level L being the image halved (rounding up) max - L times, down to one pixel. Each tile is
/// rendered from a window of its level on demand, so memory stays one tile whatever the image's size.
/// </summary>
public static class DeepZoom
{
    public const int TileSize = 254;
    public const int Overlap = 1;

    /// <summary>The finest level's number: the image's longer side halved that many times is one pixel.</summary>
    public static int MaxLevel(long width, long height) => (int)Math.Ceiling(Math.Log2(Math.Max(1, Math.Max(width, height))));

    /// <summary>A level's size, as OpenSeadragon computes it.</summary>
    public static (long Width, long Height) LevelSize(long width, long height, int level)
    {
        int shift = MaxLevel(width, height) - level;
        double factor = Math.Pow(2, shift);
        return ((long)Math.Ceiling(width / factor), (long)Math.Ceiling(height / factor));
    }

    /// <summary>The pixels of tile (column, row) of a level: its own square and the overlap with its neighbours.</summary>
    public static Rect TileWindow(long levelWidth, long levelHeight, long column, long row)
    {
        long x0 = column * TileSize - (column > 0 ? Overlap : 0), y0 = row * TileSize - (row > 0 ? Overlap : 0);
        long x1 = Math.Min(levelWidth, (column + 1) * TileSize + Overlap), y1 = Math.Min(levelHeight, (row + 1) * TileSize + Overlap);
        return new Rect((int)x0, (int)y0, (int)(x1 - x0), (int)(y1 - y0));
    }

    /// <summary>
    /// Writes <paramref name="name"/>.dzi and its tiles into <paramref name="folder"/>. <paramref name="render"/> gets a
    /// level's size, the window of it a tile covers and returns that window's pixels (BGR, or BGRA for PNG). Each file
    /// written is reported, relative to <paramref name="folder"/>, through <paramref name="wrote"/>.
    /// </summary>
    public static void Write(string folder, string name, long width, long height, string format,
        Func<long, long, Rect, Mat> render, Action<string> wrote, CancellationToken cancellation)
    {
        int max = MaxLevel(width, height);
        // Progress by tiles: the full-size level holds about three quarters of them.
        long total = Enumerable.Range(0, max + 1).Sum(l => { var (w, h) = LevelSize(width, height, l); return ((w + TileSize - 1) / TileSize) * ((h + TileSize - 1) / TileSize); });
        long done = 0;
        var listener = Running.RunScope.Current;
        for (int level = max; level >= 0; level--)
        {
            var (lw, lh) = LevelSize(width, height, level);
            listener.Progress($"Deep-zoom tiles of {name} (level {level} of {max})", (double)done / total);
            string dir = Path.Combine(folder, $"{name}_files", level.ToString(CultureInfo.InvariantCulture));
            AtomicFile.CreateFolder(dir);
            for (long row = 0; row * TileSize < lh; row++)
            {
                for (long column = 0; column * TileSize < lw; column++)
                {
                    cancellation.ThrowIfCancellationRequested();
                    var window = TileWindow(lw, lh, column, row);
                    using var tile = render(lw, lh, window);
                    if (tile.Width != window.Width || tile.Height != window.Height)
                        throw new InvalidOperationException($"A deep-zoom tile of {window.Width} x {window.Height} was rendered as {tile.Width} x {tile.Height}.");
                    string file = $"{column}_{row}.{format}";
                    var parameters = format == "jpeg" ? new[] { new ImageEncodingParam(ImwriteFlags.JpegQuality, 85) } : Array.Empty<ImageEncodingParam>();
                    Cv2.ImEncode("." + format, tile, out var bytes, parameters);
                    AtomicFile.WriteBytes(Path.Combine(dir, file), true, bytes);
                    wrote($"{name}_files/{level}/{file}");
                    done++;
                }
            }
        }
        listener.Progress($"Deep-zoom tiles of {name} (level 0 of {max})", 1.0);
        string dzi = $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Image xmlns=\"http://schemas.microsoft.com/deepzoom/2008\" Format=\"{format}\" " +
                     $"Overlap=\"{Overlap}\" TileSize=\"{TileSize}\"><Size Width=\"{width}\" Height=\"{height}\"/></Image>\n";
        AtomicFile.WriteBytes(Path.Combine(folder, $"{name}.dzi"), true, Encoding.UTF8.GetBytes(dzi));
        wrote($"{name}.dzi");
    }
}
