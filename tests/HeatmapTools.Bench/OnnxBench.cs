using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;

namespace HeatmapTools.Bench;

/// <summary>
/// An ONNX export against the built-in family with the same weights (make_onnx_bench_models.py): forward-only images/s
/// of each, and Grad-CAM maps/s on the graph against its own forward, all in one process, the two models alternating.
/// </summary>
internal static class OnnxBench
{
    public static void Run(string shared, string folder, bool quick)
    {
        var photos = BenchData.Photos(shared);
        Console.WriteLine();
        Console.WriteLine("ONNX graphs against the built-in family, same weights (seeded), batch 8, images/s (median of repeats, the two run alternately)");
        Console.WriteLine($"{"model",-10} {"built-in fwd",13} {"onnx fwd",9} {"onnx/built-in",14} {"built-in GradCAM",17} {"onnx GradCAM",13} {"onnx GradCAM/fwd",17}");
        foreach (var name in new[] { "resnet50", "vit_b_16" })
        {
            string graph = Path.Combine(folder, name + ".onnx"), weights = Path.Combine(folder, name + "_seed1.pth");
            if (!File.Exists(graph) || !File.Exists(weights))
            {
                Console.WriteLine($"{name,-10} missing {graph}: run make_onnx_bench_models.py (build.ps1 -Task Bench does)");
                continue;
            }
            var builtIn = ModelStore.Get(new WeightsRequest(name, WeightsPath: weights));
            var onnx = ModelStore.Get(new WeightsRequest(graph));
            var preprocess = PreprocessOptions.ImageNet(size: 224);
            var inputs = InputBatch.Prepare(Enumerable.Range(0, 16).Select(i => photos[i % photos.Length]).ToList(), preprocess, CancellationToken.None)
                .Select(p => p.Chw!).ToList();
            int repeats = quick ? 3 : 5;
            var method = CamMethods.Get("GradCAM");
            Action Forward(LayeredModel m) => () => { foreach (var chunk in inputs.Chunk(8)) Predictor.Logits(m, chunk, m.Info.Shape); };
            Action Maps(LayeredModel m) => () =>
            {
                foreach (var chunk in inputs.Chunk(8))
                    CamEngine.Compute(m, chunk.Select(c => new CamItem(c, null)).ToList(), method, m.Layers(), m.Info.Shape, null, CancellationToken.None);
            };
            Forward(builtIn)(); Forward(onnx)(); Maps(builtIn)(); Maps(onnx)();
            var rates = new Dictionary<string, List<double>> { ["bf"] = new(), ["of"] = new(), ["bm"] = new(), ["om"] = new() };
            for (int r = 0; r < repeats; r++)
            {
                rates["bf"].Add(Measure.MedianRate(inputs.Count, 1, Forward(builtIn), warmUp: false));
                rates["of"].Add(Measure.MedianRate(inputs.Count, 1, Forward(onnx), warmUp: false));
                rates["bm"].Add(Measure.MedianRate(inputs.Count, 1, Maps(builtIn), warmUp: false));
                rates["om"].Add(Measure.MedianRate(inputs.Count, 1, Maps(onnx), warmUp: false));
            }
            double Median(string k) { var l = rates[k].Order().ToList(); return l[l.Count / 2]; }
            double bf = Median("bf"), of = Median("of"), bm = Median("bm"), om = Median("om");
            Console.WriteLine($"{name,-10} {bf,13:F2} {of,9:F2} {of / bf,14:P0} {bm,17:F2} {om,13:F2} {om / of,17:P0}");
            ModelStore.Clear();
        }
    }
}
