using System.Diagnostics;
using System.Globalization;
using HeatmapTools.Engine.Stain;
using OpenCvSharp;

namespace HeatmapTools.Bench;

/// <summary>Macenko normalisation of 224-pixel tiles, fitted once: HeatmapTools against TIAToolbox's own code on this machine, one thread each.</summary>
internal static class StainBench
{
    public static void Run(bool quick)
    {
        HeatmapTools.Engine.Native.Runtime.EnsureImaging();
        string data = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../HeatmapTools.Engine.Tests/TestData/stain"));
        string folder = Path.Combine(Path.GetTempPath(), $"heatmaptools-stain-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        try
        {
            // 32 different 224-pixel tiles: crops at eight offsets of site B and C, each also mirrored.
            var tiles = new List<StainImage>();
            foreach (string site in new[] { "site_B.png", "site_C.png" })
            {
                using var image = Cv2.ImRead(Path.Combine(data, site));
                foreach (int offset in new[] { 0, 4, 8, 12, 16, 20, 24, 32 })
                    foreach (bool flip in new[] { false, true })
                    {
                        using var crop = new Mat(image, new Rect(offset, 32 - offset, 224, 224));
                        using var tile = flip ? crop.Flip(FlipMode.Y) : crop.Clone();
                        string file = Path.Combine(folder, $"{tiles.Count:D2}.png");
                        Cv2.ImWrite(file, tile);
                        tiles.Add(StainImage.FromBgr(tile, file));
                    }
            }
            string target = Path.Combine(data, "site_A.png");
            using var targetImage = Cv2.ImRead(target);
            var normalizer = StainNormalizer.Fitted(StainMethod.Macenko, StainImage.FromBgr(targetImage, target));
            int runs = quick ? 3 : 7;
            double ours = Measure.MedianRate(tiles.Count, runs, () => { foreach (var tile in tiles) normalizer.Transform(tile); });
            double? tia = Python(target, folder, runs);
            Console.WriteLine();
            Console.WriteLine($"Macenko stain normalisation, 224-pixel tiles, fitted once, one thread, tiles/s (median of {runs}); torchstain's README: 0.018 s per tile (55.6 tiles/s, its machine)");
            Console.WriteLine($"{"HeatmapTools",-40} {ours,8:F1}    {1000 / ours,6:F2} ms/tile");
            Console.WriteLine(tia is double t ? $"{"TIAToolbox (its own code, numpy)",-40} {t,8:F1}    {1000 / t,6:F2} ms/tile    HeatmapTools/TIAToolbox {ours / t:F2}x"
                : "TIAToolbox: not measured (set TIATOOLBOX to a checkout of TissueImageAnalytics/tiatoolbox; needs Debian's python3-sklearn, python3-skimage, python3-opencv)");
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    private static double? Python(string target, string folder, int runs)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "stain_bench.py");
        string? tia = Environment.GetEnvironmentVariable("TIATOOLBOX");
        if (!File.Exists("/usr/bin/python3") || !File.Exists(script) || tia is null || !Directory.Exists(tia)) return null;
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { script, tia, target, folder, runs.ToString(CultureInfo.InvariantCulture) }) start.ArgumentList.Add(a);
        // numpy on one thread, as the tiles are normalised here.
        start.Environment["OPENBLAS_NUM_THREADS"] = "1";
        start.Environment["OMP_NUM_THREADS"] = "1";
        start.Environment.Remove("OPENBLAS_CORETYPE");
        start.Environment.Remove("OPENBLAS_L2_SIZE");
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) Console.WriteLine($"TIAToolbox run failed: {error.Trim().Split('\n').LastOrDefault()}");
        return process.ExitCode == 0 && double.TryParse(output.Trim().Split('\n').Last(), NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) ? rate : null;
    }
}
