using System.Diagnostics;
using System.Globalization;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Native;
using HeatmapTools.Engine.Prediction;

namespace HeatmapTools.Bench;

/// <summary>
/// The allocator tuning's gain (Native/NativeHeap): glibc's settings are process-wide and fixed at the first
/// allocation, so each setting runs in a child process of its own, alternating, and the medians are compared.
/// </summary>
internal static class HeapBench
{
    private const int Rounds = 3;

    public static void Run(string shared)
    {
        Console.WriteLine();
        Console.WriteLine("Native heap (HEATMAPTOOLS_NATIVE_HEAP): SqueezeNet 1.1, batch 16, images/s, median of child processes alternating");
        var tuned = new List<(double Forward, double Maps)>();
        var plain = new List<(double Forward, double Maps)>();
        for (int round = 0; round < Rounds; round++)
        {
            plain.Add(Child(shared, "default"));
            tuned.Add(Child(shared, "reuse"));
        }
        double Median(IEnumerable<double> values) { var v = values.Order().ToArray(); return v[v.Length / 2]; }
        double fwdPlain = Median(plain.Select(p => p.Forward)), fwdTuned = Median(tuned.Select(p => p.Forward));
        double mapPlain = Median(plain.Select(p => p.Maps)), mapTuned = Median(tuned.Select(p => p.Maps));
        Console.WriteLine($"{"",-24} {"glibc default",14} {"ReuseLargeBlocks",17} {"gain",6}");
        Console.WriteLine($"{"forward-only",-24} {fwdPlain,14:F1} {fwdTuned,17:F1} {fwdTuned / fwdPlain,6:F2}x");
        Console.WriteLine($"{"GradCAM maps only",-24} {mapPlain,14:F1} {mapTuned,17:F1} {mapTuned / mapPlain,6:F2}x");
    }

    private static (double Forward, double Maps) Child(string shared, string heap)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Environment.ProcessPath!.EndsWith("dotnet", StringComparison.Ordinal)) start.ArgumentList.Add(typeof(HeapBench).Assembly.Location);
        foreach (var a in new[] { "heap-child", "--shared", shared }) start.ArgumentList.Add(a);
        start.Environment["HEATMAPTOOLS_NATIVE_HEAP"] = heap;
        using var child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        var last = output.Trim().Split('\n')[^1].Split(' ');
        return (double.Parse(last[0], CultureInfo.InvariantCulture), double.Parse(last[1], CultureInfo.InvariantCulture));
    }

    /// <summary>One setting's rates, printed as "forward maps" on the last line for the parent.</summary>
    public static void RunChild(string shared)
    {
        var model = ModelStore.Get(BenchData.SqueezeNet(shared));
        var photos = BenchData.Photos(shared);
        var files = Enumerable.Range(0, 16).Select(i => photos[i % photos.Length]).ToList();
        int size = model.Info.InputSize;
        var inputs = InputBatch.Prepare(files, PreprocessOptions.ImageNet(size: size), CancellationToken.None).Select(p => p.Chw!).ToList();
        double forward = Measure.MedianRate(16 * 4, 5, () => { for (int i = 0; i < 4; i++) Predictor.Logits(model, inputs, size); });
        var method = CamMethods.Get("GradCAM");
        double maps = Measure.MedianRate(16 * 2, 5, () =>
        {
            for (int i = 0; i < 2; i++)
                CamEngine.Compute(model, inputs.Select(c => new CamItem(c, null)).ToList(), method, model.Layers(), size, null, CancellationToken.None);
        });
        Console.WriteLine(FormattableString.Invariant($"{forward:F3} {maps:F3} {NativeHeap.Tuned}"));
    }
}
