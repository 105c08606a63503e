using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Cam.Targets;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Trust;

namespace HeatmapTools.Bench;

/// <summary>
/// What choosing a target and comparing two weights cost, through the engine calls the cmdlets make: New-CamHeatmap
/// -Target Softmax beside -Target Logit (the softmax's class comes from the pass that makes the maps, so the two should
/// cost alike), and Compare-CamHeatmap beside the two New-CamHeatmap runs it stands for; with the passes each made.
/// </summary>
internal static class TargetsBench
{
    public static void Run(string shared, bool quick)
    {
        var folder = Directory.CreateTempSubdirectory("hmt-bench-targets").FullName;
        var files = BenchData.DistinctCopies(shared, Path.Combine(folder, "in"), 48);
        var reference = ModelStore.Get(BenchData.SqueezeNet(shared));
        var candidate = ModelStore.Get(new WeightsRequest("squeezenet1_1", WeightsPath: Path.Combine(shared, "models", "squeezenet1_1.pth")));
        var labels = ClassLabels.Numbered(1000);
        var preprocess = PreprocessOptions.ImageNet(size: reference.Info.InputSize);
        var method = CamMethods.Get("GradCAM");
        int repeats = quick ? 3 : 5;
        long passes = 0;

        void Maps(LayeredModel model, string kind)
        {
            var options = new CamJobOptions
            {
                Methods = new[] { method }, Preprocess = preprocess, NoOverlay = true, Target = TargetRequest.Parse(kind, null),
                OutputPath = Path.Combine(folder, "out", kind) + "/{name}.png", Force = true,
            };
            long before = LayeredModel.InputPasses;
            foreach (var batch in files.Chunk(8))
            {
                var results = CamJob.Run(model, labels, batch.Select(f => new CamJobItem(f, null)).ToList(), options, SilentListener.Instance, CancellationToken.None);
                if (results.FirstOrDefault(r => r.Error is not null) is { } bad) throw bad.Error!;
            }
            passes = LayeredModel.InputPasses - before;
        }

        void Compare()
        {
            long before = LayeredModel.InputPasses;
            var plan = MapPlan.Resolve(reference, new MapRequest { Methods = new[] { method }, Preprocess = preprocess });
            foreach (var batch in files.Chunk(8))
            {
                var results = MapComparison.Compare(plan, candidate, batch, method, null, CancellationToken.None);
                if (results.FirstOrDefault(r => r.Error is not null) is { } bad) throw bad.Error!;
            }
            passes = LayeredModel.InputPasses - before;
        }

        Console.WriteLine();
        Console.WriteLine($"Choosing targets and comparing weights, images/s (GradCAM, squeezenet1_1, {files.Length} photos, batch 8, median of {repeats})");
        Console.WriteLine($"{"run",-46} {"images/s",9} {"passes",7} {"ratio",7}");
        double logit = Measure.MedianRate(files.Length, repeats, () => Maps(reference, "Logit"));
        long logitPasses = passes;
        double softmax = Measure.MedianRate(files.Length, repeats, () => Maps(reference, "Softmax"));
        Console.WriteLine($"{"New-CamHeatmap -Target Logit",-46} {logit,9:F1} {logitPasses,7}");
        Console.WriteLine($"{"New-CamHeatmap -Target Softmax",-46} {softmax,9:F1} {passes,7} {softmax / logit,7:F2}");
        // Compare-CamHeatmap makes both models' maps of the reference's class: two New-CamHeatmap runs' work at the least.
        double both = Measure.MedianRate(files.Length, repeats, () => { Maps(reference, "Logit"); Maps(candidate, "Logit"); });
        double compare = Measure.MedianRate(files.Length, repeats, Compare);
        Console.WriteLine($"{"New-CamHeatmap under each of two weights",-46} {both,9:F1} {2 * logitPasses,7}");
        Console.WriteLine($"{"Compare-CamHeatmap",-46} {compare,9:F1} {passes,7} {compare / both,7:F2}");
        Directory.Delete(folder, recursive: true);
    }
}
