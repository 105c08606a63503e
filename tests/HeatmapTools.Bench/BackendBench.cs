using System.Diagnostics;
using System.Globalization;
using HeatmapTools.Engine.Arithmetic;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;

namespace HeatmapTools.Bench;

/// <summary>
/// Grad-CAM end to end (files in, overlays on disk) under the libtorch configuration the arithmetic check chose here,
/// beside every other configuration that was right here and beside pytorch-grad-cam on Debian's PyTorch 1.13
/// (gradcam_bench.py), on the same photos, in one run. Each configuration runs in a process of its own: oneDNN's
/// switches are process-wide.
/// </summary>
internal static class BackendBench
{
    private static readonly string[] Models = ["resnet50", "densenet121", "vgg16", "vit_b_16"];

    public static void Run(string shared, bool quick)
    {
        Engine.Native.Runtime.EnsureInitialised();
        var verdict = ArithmeticCheck.Applied!;
        Console.WriteLine();
        Console.WriteLine($"Arithmetic check on {verdict.Cpu}: {verdict.Chosen} ({verdict.Source}; {verdict.Reason})");
        foreach (var c in verdict.Candidates)
            Console.WriteLine(c.Failure is { } failure ? $"  {c.Backend,-17} failed  {failure}"
                : $"  {c.Backend,-17} {(c.Right ? "right" : "wrong"),-6} error {c.Error,9:G2}  suite {c.Milliseconds,7:F0} ms");
        var others = verdict.Candidates.Where(c => c.Right && c.Backend != verdict.Chosen).Select(c => c.Backend).ToList();

        int images = quick ? 6 : 12, runs = quick ? 3 : 5;
        var folder = Directory.CreateTempSubdirectory("hmt-bench-backends").FullName;
        var files = BenchData.DistinctCopies(shared, Path.Combine(folder, "in"), images);
        Console.WriteLine();
        Console.WriteLine($"Grad-CAM end to end, images/s (median of {runs} runs of {images} photos; seeded weights; ours at batch 8, New-CamHeatmap's default)");
        Console.WriteLine($"{"model",-12} {"pytorch-grad-cam",17} {verdict.Chosen + " (chosen)",22} {"ours/pgc",9}" + string.Concat(others.Select(o => $" {o,17}")));
        foreach (var model in Models)
        {
            double? pgc = Python(model, files, Path.Combine(folder, "pgc-" + model), runs);
            double? chosen = Child(model, verdict.Chosen, files, runs);
            var alternatives = others.Select(o => Child(model, o, files, runs)).ToList();
            string Cell(double? v, int width) => v is double x ? x.ToString("F2", CultureInfo.InvariantCulture).PadLeft(width) : "n/a".PadLeft(width);
            Console.WriteLine($"{model,-12} {Cell(pgc, 17)} {Cell(chosen, 22)} {(pgc is double p && chosen is double o2 ? $"{o2 / p:F2}x" : "n/a"),9}" +
                string.Concat(alternatives.Select(a => " " + Cell(a, 17))));
        }
        if (!PgcAvailable) Console.WriteLine("pytorch-grad-cam: not measured (set PYTHONPATH to checkouts of pytorch-grad-cam 1.5.5 and ttach; needs Debian's python3-torch, python3-torchvision, python3-opencv)");
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>The child: one model's Grad-CAM end to end under the configuration this process was started with.</summary>
    public static void RunChild(string model, string listFile, int runs)
    {
        var files = File.ReadAllLines(listFile);
        var output = Directory.CreateTempSubdirectory("hmt-bench-backend-child").FullName;
        var network = ModelStore.Get(new WeightsRequest(model, Random: true, Seed: 1));
        var labels = ClassLabels.Numbered(1000);
        int pass = 0;
        double rate = Measure.MedianRate(files.Length, runs, () =>
        {
            var options = new CamJobOptions
            {
                Methods = [CamMethods.Get("GradCAM")], Preprocess = PreprocessOptions.ImageNet(size: network.Info.InputSize),
                OutputPath = Path.Combine(output, $"pass{pass++}") + "/",
            };
            foreach (var chunk in files.Chunk(8))
            {
                var results = CamJob.Run(network, labels, chunk.Select(f => new CamJobItem(f, null)).ToList(), options, SilentListener.Instance, CancellationToken.None);
                if (results.Any(r => r.Error is not null)) throw results.First(r => r.Error is not null).Error!;
            }
        });
        Console.WriteLine($"backend {ArithmeticCheck.Applied!.Chosen}");
        Console.WriteLine(rate.ToString("R", CultureInfo.InvariantCulture));
        Directory.Delete(output, recursive: true);
    }

    private static double? Child(string model, string backend, string[] files, int runs)
    {
        string list = Path.GetTempFileName();
        File.WriteAllLines(list, files);
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Environment.ProcessPath!.EndsWith("dotnet", StringComparison.Ordinal)) start.ArgumentList.Add(typeof(BackendBench).Assembly.Location);
        foreach (var a in new[] { "backend-child", "--model", model, "--list", list, "--runs", runs.ToString(CultureInfo.InvariantCulture) }) start.ArgumentList.Add(a);
        start.Environment[ArithmeticCheck.BackendVariable] = backend;
        using var child = Process.Start(start)!;
        var lines = child.StandardOutput.ReadToEnd().Trim().Split('\n');
        child.WaitForExit();
        File.Delete(list);
        // The child says which configuration it ran under, so a forced one that did not take is not reported as it.
        if (child.ExitCode != 0 || !lines.Contains($"backend {backend}")) return null;
        return double.TryParse(lines.Last(), NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) ? rate : null;
    }

    private static bool PgcAvailable = true;

    private static double? Python(string model, string[] files, string output, int runs)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "gradcam_bench.py");
        if (!File.Exists("/usr/bin/python3") || !File.Exists(script)) { PgcAvailable = false; return null; }
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { script, model, output, runs.ToString(CultureInfo.InvariantCulture) }.Concat(files)) start.ArgumentList.Add(a);
        // Debian's OpenBLAS tuned for this CPU, as the developers' guide says to time Debian's torch.
        start.Environment.Remove("OPENBLAS_CORETYPE");
        start.Environment.Remove("OPENBLAS_L2_SIZE");
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            PgcAvailable = false;
            Console.Error.WriteLine($"gradcam_bench.py {model} failed: {stderr.Result.Trim().Split('\n').LastOrDefault()}");
            return null;
        }
        return double.TryParse(stdout.Trim().Split('\n').Last(), NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) ? rate : null;
    }
}
