using System.Globalization;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Cam.Targets;
using HeatmapTools.Engine.Detection;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;

namespace HeatmapTools.Bench;

/// <summary>
/// fasterrcnn_mobilenet_v3_large_320_fpn (seeded, calibrated: tests/reference/make_rcnn_references.py), detection and
/// EigenCAM at the backbone on the detections end to end from the prepared photo: HeatmapTools against pytorch-grad-cam's
/// Faster R-CNN tutorial loop on Debian's PyTorch, side by side in one run, both on every core.
/// </summary>
internal static class DetectionBench
{
    public static void Run(string shared, string weights, bool quick)
    {
        const string name = "fasterrcnn_mobilenet_v3_large_320_fpn";
        string file = Path.Combine(weights, $"{name}_seed1.pth");
        if (!File.Exists(file))
        {
            Console.WriteLine($"Detection: not measured ({file} is missing: /usr/bin/python3 tests/reference/make_rcnn_references.py weights ../shared {weights})");
            return;
        }
        var model = ModelStore.CreateUncached(new WeightsRequest(name, file, NumClasses: 91));
        var preprocess = new PreprocessRequest().Resolve(model.Info);
        var photos = new[] { "chelsea.png", "coffee.png" }.Select(p => Path.Combine(shared, "images", p)).ToList();
        var prepared = InputBatch.Prepare(photos, preprocess, CancellationToken.None);
        int runs = quick ? 3 : 5;
        var eigen = CamMethods.Get("EigenCAM");
        double ours = Measure.MedianRate(photos.Count, runs, () =>
        {
            foreach (var image in prepared)
            {
                var found = Detector.Detect(model, new[] { image.Chw! }, image.Shape, new DetectionOptions())[0];
                var geometry = BoxGeometry.Of(preprocess, image.Width, image.Height, image.Shape);
                var target = new BoxTarget(model.Info.Detection!, model.NumClasses, found.Select(d => new LabelledBox(d.ClassIndex, geometry.ToPhoto(d.InputBox))).ToList(), geometry);
                CamEngine.Compute(model, new[] { new CamItem(image.Chw!, target) }, eigen, model.Layers("backbone"), image.Shape, null, CancellationToken.None);
            }
        });
        double? tutorial = Environment.GetEnvironmentVariable("PYTORCH_GRAD_CAM") is { } pgc && Directory.Exists(pgc)
            ? ReferencePython.Rate("detection_bench.py", new[] { file, runs.ToString(CultureInfo.InvariantCulture) }.Concat(photos),
                pgc + (Environment.GetEnvironmentVariable("TTACH") is { } ttach ? ":" + ttach : ""))
            : null;
        Console.WriteLine();
        Console.WriteLine($"Detection and EigenCAM at backbone, {name} (seeded), photos/s, median of {runs}, {Environment.ProcessorCount} cores each");
        Console.WriteLine($"{"step",-28} {"tutorial",10} {"HeatmapTools",13} {"ours/tutorial",14}");
        Console.WriteLine($"{"detect + EigenCAM",-28} {(tutorial is double t ? t.ToString("F2", CultureInfo.InvariantCulture) : "n/a"),10} {ours,13:F2} {(tutorial is double t2 ? $"{ours / t2:F2}x" : "n/a"),14}");
        if (tutorial is null) Console.WriteLine("tutorial: not measured (set PYTORCH_GRAD_CAM and TTACH to checkouts of jacobgil/pytorch-grad-cam and qubvel/ttach)");
    }
}
