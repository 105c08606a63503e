using System.Globalization;
using HeatmapTools.Engine.Explanation;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Models;

namespace HeatmapTools.Bench;

/// <summary>
/// Pixel Flipping (96 steps of 1568 features, black baseline) on resnet50 with seeded weights, of a fixed explanation
/// (each pixel's summed magnitude over channels): HeatmapTools against Quantus 0.6.0 on Debian's PyTorch (both images
/// in one Quantus call, as Quantus batches them), side by side in one run.
/// </summary>
internal static class ExplanationBench
{
    public static void Run(string shared, bool quick)
    {
        string folder = Path.Combine(Path.GetTempPath(), $"heatmaptools-explanation-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        try
        {
            var model = ModelStore.CreateUncached(new WeightsRequest("resnet50", Random: true, Seed: 0));
            var samples = new[] { "chelsea.png", "coffee.png" }.Select(name =>
            {
                using var bgr = ImageReader.ReadBgr(Path.Combine(shared, "images", name));
                var chw = Preprocessor.ToChw(bgr, PreprocessOptions.ImageNet());
                string file = Path.Combine(folder, Path.ChangeExtension(name, ".npy"));
                using (var stream = File.Create(file)) Npy.WriteFloat32(stream, new[] { 1, 3, 224, 224 }, chw);
                var explanation = new float[224 * 224];
                for (int c = 0; c < 3; c++)
                    for (int i = 0; i < explanation.Length; i++) explanation[i] += Math.Abs(chw[c * explanation.Length + i]);
                var logits = Engine.Prediction.Predictor.Logits(model, new[] { chw }, 224)[0];
                int target = Array.IndexOf(logits, logits.Max());
                return (Sample: new ExplanationSample { Explanation = explanation, Height = 224, Width = 224, Input = chw, ClassIndex = target, Logits = model.Logits }, File: file);
            }).ToList();
            int runs = quick ? 3 : 5;
            var options = new ExplanationOptions { FeaturesInStep = 1568, Baseline = PerturbBaselineKind.Black, Chunk = 16 };
            var metric = new PixelFlipping();
            double ours = Measure.MedianRate(samples.Count, runs, () =>
            {
                foreach (var (sample, _) in samples) metric.Evaluate(sample, options, CancellationToken.None);
            });
            // The forward passes alone, the same images both sides: Pixel Flipping is those passes and little else, so
            // their ratio bounds what any Pixel Flipping can gain over Quantus's on this CPU.
            int steps = 3 * 224 * 224 / options.FeaturesInStep!.Value;
            var copies = samples.SelectMany(s => Enumerable.Repeat(s.Sample.Input, steps)).ToList();
            double oursForward = Measure.MedianRate(samples.Count, runs, () =>
            {
                foreach (var chunk in copies.Chunk(options.Chunk)) Engine.Prediction.Predictor.Logits(model, chunk, 224);
            });
            double? quantus = null, torchForward = null, torchChunked = null;
            if (Environment.GetEnvironmentVariable("QUANTUS") is { } tree && Directory.Exists(tree) && Environment.GetEnvironmentVariable("CAPTUM") is { } captum)
            {
                var files = samples.Select(s => s.File).ToList();
                string path = $"{tree}:{captum}", repeat = runs.ToString(CultureInfo.InvariantCulture);
                quantus = ReferencePython.Rate("explanation_bench.py", new[] { repeat }.Concat(files), path);
                torchForward = ReferencePython.Rate("explanation_bench.py", new[] { repeat, $"forward={samples.Count}" }.Concat(files), path);
                torchChunked = ReferencePython.Rate("explanation_bench.py", new[] { repeat, $"forward={options.Chunk}" }.Concat(files), path);
            }
            else Console.WriteLine("Quantus: not measured (set QUANTUS to a Quantus 0.6.0 tree and CAPTUM to a Captum checkout)");
            Console.WriteLine();
            Console.WriteLine($"Quantus metrics on resnet50 (seeded), explanations/s, median of {runs}, {Environment.ProcessorCount} cores each");
            Console.WriteLine($"{"metric",-34} {"Quantus",10} {"HeatmapTools",13} {"ours/Quantus",13}");
            Console.WriteLine($"{"PixelFlipping",-34} {(quantus is double q ? q.ToString("F3", CultureInfo.InvariantCulture) : "n/a"),10} {ours,13:F3} {(quantus is double q2 ? $"{ours / q2:F2}x" : "n/a"),13}");
            // Quantus's own batching (a step of each image at once), then torch in our chunks: the same 192 passes.
            Console.WriteLine($"{$"forward only, {steps} copies an image",-34} {Rate(torchForward),10} {oursForward,13:F3} {(torchForward is double f ? $"{oursForward / f:F2}x" : "n/a"),13}");
            Console.WriteLine($"{$"  torch in chunks of {options.Chunk}",-34} {Rate(torchChunked),10} {oursForward,13:F3} {(torchChunked is double c ? $"{oursForward / c:F2}x" : "n/a"),13}");
            static string Rate(double? r) => r is double v ? v.ToString("F3", CultureInfo.InvariantCulture) : "n/a";
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }
}
