using System.Globalization;
using HeatmapTools.Engine.Attribution;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Models;

namespace HeatmapTools.Bench;

/// <summary>
/// Integrated Gradients (32 Gauss-Legendre points, 16 a pass) and Occlusion (32-pixel squares, stride 16: 169 passes, 16 at
/// once) on resnet50 with seeded weights, end to end from the prepared input: HeatmapTools against Captum on Debian's
/// PyTorch, side by side in one run, both on every core.
/// </summary>
internal static class AttributionBench
{
    public static void Run(string shared, bool quick)
    {
        string folder = Path.Combine(Path.GetTempPath(), $"heatmaptools-attribution-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        try
        {
            var model = ModelStore.CreateUncached(new WeightsRequest("resnet50", Random: true, Seed: 0));
            var inputs = new[] { "chelsea.png", "coffee.png" }.Select(name =>
            {
                using var bgr = ImageReader.ReadBgr(Path.Combine(shared, "images", name));
                var chw = Preprocessor.ToChw(bgr, PreprocessOptions.ImageNet());
                string file = Path.Combine(folder, Path.ChangeExtension(name, ".npy"));
                using (var stream = File.Create(file)) Npy.WriteFloat32(stream, new[] { 1, 3, 224, 224 }, chw);
                return (Chw: chw, File: file);
            }).ToList();
            int runs = quick ? 3 : 5;
            Console.WriteLine();
            Console.WriteLine($"Pixel attributions on resnet50 (seeded), images/s, median of {runs}, {Environment.ProcessorCount} cores each");
            Console.WriteLine($"{"method",-22} {"Captum",10} {"HeatmapTools",13} {"ours/Captum",12}");
            foreach (var (name, options) in new[]
            {
                ("IntegratedGradients", new AttributionOptions { Steps = 32, Integration = IntegrationMethod.GaussLegendre, Chunk = 16 }),
                ("Occlusion", new AttributionOptions { Window = 32, Stride = 16, Chunk = 16 }),
            })
            {
                var method = CamMethods.Get(name);
                var cam = new CamOptions { Attribution = options };
                double ours = Measure.MedianRate(inputs.Count, runs, () =>
                {
                    foreach (var (chw, _) in inputs)
                        CamEngine.Compute(model, new[] { new CamItem(chw, null) }, method, model.Layers(), 224, cam, CancellationToken.None);
                });
                double? captum = Python(name, runs, inputs.Select(i => i.File));
                Console.WriteLine($"{name,-22} {(captum is double c ? c.ToString("F2", CultureInfo.InvariantCulture) : "n/a"),10} {ours,13:F2} {(captum is double c2 ? $"{ours / c2:F2}x" : "n/a"),12}");
            }
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    private static double? Python(string method, int runs, IEnumerable<string> files)
    {
        if (Environment.GetEnvironmentVariable("CAPTUM") is not { } captum || !Directory.Exists(captum))
        {
            Console.WriteLine("Captum: not measured (set CAPTUM to a checkout of meta-pytorch/captum; needs Debian's python3-torch and python3-torchvision)");
            return null;
        }
        return ReferencePython.Rate("attribution_bench.py", new[] { method, runs.ToString(CultureInfo.InvariantCulture) }.Concat(files), captum);
    }
}
