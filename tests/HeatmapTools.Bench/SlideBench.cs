using System.Diagnostics;
using System.Globalization;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;
using HeatmapTools.Engine.Slides;
using HeatmapTools.TestData;

namespace HeatmapTools.Bench;

/// <summary>
/// Whole-slide images: Get-SlideTile | Get-ClassPrediction's engine calls on a synthetic slide beside a PyTorch loop with
/// openslide-python reading the same tiles with the same weights (slide_bench.py); 50-pixel patches classified at their
/// own size and at 224; and, with --large, tiling and painting a 100,000 x 80,000 slide with the process's peak memory.
/// </summary>
internal static class SlideBench
{
    public static void Run(string shared, bool quick, bool large)
    {
        string root = Directory.CreateTempSubdirectory("hmt-bench-slide").FullName;
        try
        {
            Tiles(shared, root, quick);
            Patches(shared, root, quick);
            if (large) LargeInChild();
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Tiles(string shared, string root, bool quick)
    {
        string slidePath = Path.Combine(root, "slide.tiff");
        SyntheticSlide.Write(slidePath, SyntheticSlide.For(16000, 12000), 0.5, upscale: 8);
        var tiles = SlideTiling.Tiles(slidePath, new TileGridOptions { TileSize = 224 }, null, false, SilentListener.Instance, CancellationToken.None)
            .Take(quick ? 256 : 1024).ToList();
        var model = ModelStore.Get(BenchData.SqueezeNet(shared));
        var labels = ClassLabels.Numbered(1000);
        var preprocess = PreprocessOptions.ImageNet(size: 224);
        var paths = tiles.Select(t => t.Path).ToArray();
        int runs = quick ? 3 : 5;
        double ours = Measure.MedianRate(paths.Length, runs, () =>
        {
            foreach (var batch in paths.Chunk(32))
                if (Predictor.PredictBatch(model, labels, batch, preprocess, 1, CancellationToken.None).FirstOrDefault(r => r.Error is not null) is { } bad) throw bad.Error!;
        });
        string list = Path.Combine(root, "tiles.json");
        File.WriteAllText(list, System.Text.Json.JsonSerializer.Serialize(tiles.Select(t => new[] { t.Info.X, t.Info.Y, t.Info.Size })));
        double? python = Python(slidePath, list, Path.Combine(shared, "models", "squeezenet1_1.pth"), runs);
        Console.WriteLine();
        Console.WriteLine($"Get-SlideTile | Get-ClassPrediction, 224-pixel tiles of a 16,000 x 12,000 synthetic slide, squeezenet1_1, batch 32, tiles/s (median of {runs})");
        Console.WriteLine($"{"HeatmapTools",-40} {ours,8:F1}");
        Console.WriteLine(python is double p ? $"{"PyTorch 1.13 + openslide-python loop",-40} {p,8:F1}    HeatmapTools/PyTorch {ours / p:F2}x"
            : "PyTorch + openslide-python loop: not measured (needs /usr/bin/python3 with torch, torchvision and openslide)");
    }

    private static double? Python(string slide, string list, string weights, int runs)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "slide_bench.py");
        if (!File.Exists("/usr/bin/python3") || !File.Exists(script)) return null;
        var start = new ProcessStartInfo("/usr/bin/python3", $"\"{script}\" \"{slide}\" \"{list}\" \"{weights}\" {runs}") { RedirectStandardOutput = true, RedirectStandardError = true };
        // Debian's OpenBLAS tuned for this CPU, as the developers' guide says to time Debian's torch.
        start.Environment.Remove("OPENBLAS_CORETYPE");
        start.Environment.Remove("OPENBLAS_L2_SIZE");
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 && double.TryParse(output.Trim().Split('\n').Last(), NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) ? rate : null;
    }

    private static void Patches(string shared, string root, bool quick)
    {
        var layout = SyntheticIdc.Layout(quick ? 2 : 4, 500, seed: 3);
        SyntheticIdc.Write(Path.Combine(root, "idc"), layout, Environment.ProcessorCount);
        var files = Directory.GetFiles(Path.Combine(root, "idc"), "*.png", SearchOption.AllDirectories);
        var model = ModelStore.Get(BenchData.SqueezeNet(shared));
        var labels = ClassLabels.Numbered(1000);
        int runs = quick ? 3 : 5;
        double Rate(PreprocessOptions preprocess) => Measure.MedianRate(files.Length, runs, () =>
        {
            foreach (var batch in files.Chunk(64)) Predictor.PredictBatch(model, labels, batch, preprocess, 1, CancellationToken.None);
        });
        double native = Rate(PreprocessOptions.ImageNet() with { Native = true }), upscaled = Rate(PreprocessOptions.ImageNet(size: 224));
        const int Kaggle = 277_524;
        Console.WriteLine();
        Console.WriteLine($"50-pixel IDC patches, squeezenet1_1, batch 64, patches/s (median of {runs}) and the time 277,524 patches (Kaggle IDC) would take");
        Console.WriteLine($"{"at their own size (-InputSize Native)",-40} {native,8:F0}    {TimeSpan.FromSeconds(Kaggle / native):hh\\:mm\\:ss}");
        Console.WriteLine($"{"upscaled to 224",-40} {upscaled,8:F0}    {TimeSpan.FromSeconds(Kaggle / upscaled):hh\\:mm\\:ss}    native/224 {native / upscaled:F1}x");
    }

    /// <summary>The large slide in a process of its own, so its peak memory is the slide's alone (torch's runtime and the tiling included).</summary>
    private static void LargeInChild()
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Environment.ProcessPath!.EndsWith("dotnet", StringComparison.Ordinal)) start.ArgumentList.Add(typeof(SlideBench).Assembly.Location);
        start.ArgumentList.Add("slides-large-child");
        using var child = Process.Start(start)!;
        Console.Write(child.StandardOutput.ReadToEnd());
        child.WaitForExit();
    }

    public static void RunLargeChild()
    {
        string root = Directory.CreateTempSubdirectory("hmt-bench-large").FullName;
        try
        {
            Large(root);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Large(string root)
    {
        string slidePath = Path.Combine(root, "large.tiff");
        var clock = Stopwatch.StartNew();
        SyntheticSlide.Write(slidePath, SyntheticSlide.For(100_000, 80_000), 0.25, upscale: 50);
        double written = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var tiles = SlideTiling.Tiles(slidePath, new TileGridOptions { TileSize = 256 }, null, false, SilentListener.Instance, CancellationToken.None)
            .Select(t => new TileProbability(t.Info.X, t.Info.Y, t.Info.Extent, 0.5)).ToList();
        double tiled = clock.Elapsed.TotalSeconds;
        // Probabilities that vary tile to tile, as a model's do, so the OME-TIFF's windows are not all one value.
        tiles = tiles.Select(t => t with { Probability = (t.X / 256 * 7 + t.Y / 256 * 3) % 11 / 10.0 }).ToList();
        double tilingPeak = Measure.PeakWorkingSetMb();
        bool separate = Measure.ResetPeak();
        clock.Restart();
        SlideHeatmap.Write(SlideCache.Get(slidePath), tiles, Path.Combine(root, "large_heatmap.png"), new SlideHeatmapOptions(), CancellationToken.None);
        double painted = clock.Elapsed.TotalSeconds, paintPeak = Measure.PeakWorkingSetMb();
        Measure.ResetPeak();
        clock.Restart();
        var ome = OmeTiffHeatmap.Write(SlideGeometry.Of(SlideCache.Get(slidePath)), tiles, Path.Combine(root, "large_heatmap.ome.tif"), new OmeTiffOptions(),
            false, new HashSet<string>(), CancellationToken.None);
        double omeSeconds = clock.Elapsed.TotalSeconds, omePeak = Measure.PeakWorkingSetMb();
        Console.WriteLine();
        Console.WriteLine("A 100,000 x 80,000 synthetic slide (vips, deflate, 256-pixel tiles)");
        Console.WriteLine($"written by vips in {written:F0} s; {tiles.Count:N0} tiles of 256 on tissue found in {tiled:F1} s; heatmap of them painted in {painted:F1} s");
        Console.WriteLine($"OME-TIFF of them at level 0 (uint8, {ome.Levels} levels, 512-pixel deflate tiles) written in {omeSeconds:F1} s, {new FileInfo(ome.Path).Length / 1048576.0:F1} MB");
        if (separate)
            Console.WriteLine($"peak working set: tiling {tilingPeak:F0} MB, thumbnail heatmap {paintPeak:F0} MB, OME-TIFF {omePeak:F0} MB (level 0 of the slide would be {100_000L * 80_000 * 3 / 1e9:F0} GB, of the OME-TIFF {100_000L * 80_000 / 1e9:F0} GB)");
        else
            Console.WriteLine($"peak working set of the process that tiled, painted and wrote the OME-TIFF: {Measure.PeakWorkingSetMb():F0} MB (the slide's level 0 would be {100_000L * 80_000 * 3 / 1e9:F0} GB)");
    }
}
