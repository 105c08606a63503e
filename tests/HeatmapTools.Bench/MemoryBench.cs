using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;

namespace HeatmapTools.Bench;

/// <summary>Streams many images through Grad-CAM in batches and prints the working set at five points on the way.</summary>
internal static class MemoryBench
{
    public static void Run(string shared, int total, string modelName = "squeezenet1_1")
    {
        var photos = BenchData.Photos(shared);
        var output = Directory.CreateTempSubdirectory("hmt-bench-mem").FullName;
        var model = ModelStore.Get(modelName == "squeezenet1_1" ? BenchData.SqueezeNet(shared) : new WeightsRequest(modelName, Random: true, Seed: 1));
        var options = new CamJobOptions
        {
            Methods = new[] { CamMethods.Get("GradCAM") }, Preprocess = PreprocessOptions.ImageNet(size: model.Info.InputSize), OutputPath = output + "/{name}_{class}_", Force = true,
        };
        Console.WriteLine();
        Console.WriteLine($"Memory over {total} images (GradCAM, {modelName}, batch 8, overlays written, result maps dropped as a pipeline would)");
        int done = 0;
        // Working set at several points, so a plateau can be told from a slow climb.
        var checkpoints = new[] { 100, total / 4, total / 2, 3 * total / 4, total }.Distinct().Order().ToArray();
        int next = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (done < total)
        {
            var batch = Enumerable.Range(done, Math.Min(8, total - done))
                .Select(i => new CamJobItem(photos[i % photos.Length], null)).ToList();
            // Each item gets its own output name so every overlay is really written.
            var results = CamJob.Run(model, ClassLabels.Numbered(1000), batch, options with { OutputPath = $"{output}/{done}_{{name}}.png" }, SilentListener.Instance, CancellationToken.None);
            if (results.Any(r => r.Error is not null)) throw results.First(r => r.Error is not null).Error!;
            done += batch.Count;
            while (next < checkpoints.Length && done >= checkpoints[next])
            {
                Console.WriteLine($"after {checkpoints[next],5} images: working set {Measure.WorkingSetMb(),7:F0} MB, peak {Measure.PeakWorkingSetMb(),7:F0} MB");
                next++;
            }
        }
        Console.WriteLine($"({done / clock.Elapsed.TotalSeconds:F1} images/s)");
        Directory.Delete(output, recursive: true);
    }
}
