using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;

namespace HeatmapTools.Bench;

/// <summary>
/// End-to-end CAM throughput (image files in, overlays on disk, through the same engine call New-CamHeatmap makes)
/// beside the forward-only throughput of the same model and batch size on already-preprocessed input.
/// </summary>
internal static class CamBench
{
    public static void Run(string shared, bool quick)
    {
        var photos = BenchData.Photos(shared);
        var output = Directory.CreateTempSubdirectory("hmt-bench-cam").FullName;
        // A real batch is many different files, each giving its own overlay: the three photos are copied under distinct
        // names, and every timed pass writes into a folder of its own. (Replacing existing files instead costs about 3 ms
        // more per file on ext4, which flushes a file renamed over another; that is the file system, not the engine.)
        var distinct = BenchData.DistinctCopies(shared, Path.Combine(output, "in"), 48);
        int pass = 0;
        var labels = ClassLabels.Numbered(1000);
        Console.WriteLine();
        Console.WriteLine("CAM throughput, images/s (median of repeats; weights: squeezenet1_1 real, others seeded random, which does not change the work)");
        Console.WriteLine("end-to-end: files in, overlays on disk; maps only: the same maps from already-preprocessed tensors; forward-only: logits alone");
        Console.WriteLine($"{"method",-9} {"model",-14} {"batch",5} {"end-to-end",11} {"maps only",10} {"forward-only",13} {"e2e/fwd",8} {"maps/fwd",9}");

        var cases = new List<(CamMethod Method, string Model, int Batch, int Images, int Repeats)>
        {
            (CamMethods.Get("GradCAM"), "squeezenet1_1", 1, 24, 5), (CamMethods.Get("GradCAM"), "squeezenet1_1", 8, 48, 5),
            (CamMethods.Get("GradCAM"), "resnet50", 1, 8, 3), (CamMethods.Get("GradCAM"), "resnet50", 8, 16, 3),
            (CamMethods.Get("GradCAM"), "vgg16", 1, 4, 3), (CamMethods.Get("GradCAM"), "vgg16", 8, 8, 3),
            (CamMethods.Get("ScoreCAM"), "squeezenet1_1", 1, 2, 3),
            // Other families at batch 8 (issue 11): the maps-only rate against each model's own forward-only rate.
            (CamMethods.Get("GradCAM"), "densenet121", 8, 16, 3), (CamMethods.Get("GradCAM"), "efficientnet_b0", 8, 16, 3),
            (CamMethods.Get("GradCAM"), "convnext_tiny", 8, 16, 3), (CamMethods.Get("GradCAM"), "vit_b_16", 8, 16, 3),
        };
        if (quick) cases = cases.Select(c => c with { Images = Math.Max(c.Batch, c.Images / 2), Repeats = Math.Min(c.Repeats, 3) }).ToList();

        foreach (var (method, modelName, batch, images, repeats) in cases)
        {
            var request = modelName == "squeezenet1_1" ? BenchData.SqueezeNet(shared) : new WeightsRequest(modelName, Random: true, Seed: 1);
            var model = ModelStore.Get(request);
            var files = distinct.Take(images).ToList();
            int size = model.Info.InputSize;
            var preprocess = PreprocessOptions.ImageNet(size: size);

            double endToEnd = Measure.MedianRate(images, repeats, () =>
            {
                var options = new CamJobOptions { Methods = new[] { method }, Preprocess = preprocess, OutputPath = Path.Combine(output, $"pass{pass++}") + "/" };
                foreach (var chunk in files.Chunk(batch))
                {
                    var results = CamJob.Run(model, labels, chunk.Select(f => new CamJobItem(f, null)).ToList(), options, SilentListener.Instance, CancellationToken.None);
                    if (results.Any(r => r.Error is not null)) throw results.First(r => r.Error is not null).Error!;
                }
            });

            var inputs = InputBatch.Prepare(files, preprocess, CancellationToken.None).Select(p => p.Chw!).ToList();
            double forward = Measure.MedianRate(images, repeats, () =>
            {
                foreach (var chunk in inputs.Chunk(batch)) Predictor.Logits(model, chunk, size);
            });
            double mapsOnly = Measure.MedianRate(images, repeats, () =>
            {
                foreach (var chunk in inputs.Chunk(batch))
                    CamEngine.Compute(model, chunk.Select(c => new CamItem(c, null)).ToList(), method, model.Layers(), size, null, CancellationToken.None);
            });
            string format = method.Name == "ScoreCAM" ? "F3" : "F2";
            Console.WriteLine($"{method,-9} {modelName,-14} {batch,5} {endToEnd.ToString(format),11} {mapsOnly.ToString(format),10} {forward,13:F2} {endToEnd / forward,8:P0} {mapsOnly / forward,9:P0}" +
                (method.Name == "ScoreCAM" ? $"   ({1 / endToEnd:F2} s per image)" : ""));
            if (modelName != "squeezenet1_1") ModelStore.Clear();
        }
        Directory.Delete(output, recursive: true);
    }
}
