using System.Diagnostics;
using System.Text.Json;
using OpenCvSharp;

namespace HeatmapTools.TestData;

/// <summary>
/// A synthetic whole-slide image: near-white glass, an elliptical section of pink tissue, and a purple tumour rectangle
/// inside it, written as a tiled pyramidal TIFF by Debian's vips (libvips-tools) so OpenSlide reads it as a generic
/// TIFF slide, with the tumour as a QuPath GeoJSON annotation beside it.
/// </summary>
public static class SyntheticSlide
{
    public sealed record Layout(int Width, int Height, int TissueX, int TissueY, int TissueRx, int TissueRy, int TumourX, int TumourY, int TumourWidth, int TumourHeight);

    public static readonly Scalar Glass = new(238, 240, 242), Tissue = new(205, 150, 225), Tumour = new(170, 70, 120);

    public static Layout For(int width, int height) => new(width, height, width / 2, height / 2, width * 3 / 8, height * 3 / 8,
        width / 2, height / 3, width / 5, height / 4);

    /// <summary>
    /// Writes the slide. With <paramref name="upscale"/> above 1 the picture is drawn that many times smaller and vips
    /// enlarges it (nearest neighbour) while writing, so a 100,000 x 80,000 slide never exists in memory here.
    /// </summary>
    public static void Write(string path, Layout l, double mpp, int upscale = 1)
    {
        string png = path + ".tmp.png";
        int k = Math.Max(1, upscale);
        using (var image = new Mat(l.Height / k, l.Width / k, MatType.CV_8UC3, Glass))
        {
            Cv2.Ellipse(image, new Point(l.TissueX / k, l.TissueY / k), new Size(l.TissueRx / k, l.TissueRy / k), 0, 0, 360, Tissue, -1);
            Cv2.Rectangle(image, new Rect(l.TumourX / k, l.TumourY / k, l.TumourWidth / k, l.TumourHeight / k), Tumour, -1);
            Cv2.ImWrite(png, image);
        }
        try
        {
            // vips takes the resolution in pixels per millimetre.
            string perMm = (1000 / mpp).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
            string options = $"tile,pyramid,tile-width=256,tile-height=256,compression=deflate,xres={perMm},yres={perMm}";
            // vips copy takes the TIFF options in the file name, whichever way the picture is made.
            Run("vips", k == 1 ? $"copy \"{png}\" \"{path}[{options}]\"" : $"resize \"{png}\" \"{path}[{options}]\" {k} --kernel nearest");
        }
        finally
        {
            File.Delete(png);
        }
        File.WriteAllText(Path.ChangeExtension(path, ".geojson"), GeoJson(l));
    }

    private static string GeoJson(Layout l)
    {
        int x0 = l.TumourX, y0 = l.TumourY, x1 = l.TumourX + l.TumourWidth, y1 = l.TumourY + l.TumourHeight;
        var feature = new
        {
            type = "Feature",
            geometry = new { type = "Polygon", coordinates = new[] { new[] { new[] { x0, y0 }, new[] { x1, y0 }, new[] { x1, y1 }, new[] { x0, y1 }, new[] { x0, y0 } } } },
            properties = new { objectType = "annotation", classification = new { name = "Tumor", color = new[] { 200, 0, 0 } } },
        };
        return JsonSerializer.Serialize(new { type = "FeatureCollection", features = new[] { feature } });
    }

    private static void Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true, UseShellExecute = false })
            ?? throw new InvalidOperationException($"{file} did not start.");
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {arguments} failed: {error}");
    }
}
