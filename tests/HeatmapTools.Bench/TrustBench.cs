using System.Diagnostics;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Trust;

namespace HeatmapTools.Bench;

/// <summary>
/// What the trust measures cost per image (issue 14): ROAD at nine percentiles, the deletion and insertion curves, and
/// the sanity cascade, each beside the number of forward passes it needs and the time of one Grad-CAM map.
/// </summary>
internal static class TrustBench
{
    public static void Run(string shared, bool quick)
    {
        var photo = BenchData.Photos(shared)[0];
        Console.WriteLine();
        Console.WriteLine($"Trust measures per image ({Path.GetFileName(photo)}), seconds, median of {(quick ? 1 : 3)}; Grad-CAM at the default layer");
        Console.WriteLine($"{"model",-14} {"measure",-34} {"forward passes",15} {"seconds",8} {"x one map",10}");
        foreach (var name in new[] { "squeezenet1_1", "resnet50" })
        {
            var model = ModelStore.Get(name == "squeezenet1_1" ? BenchData.SqueezeNet(shared) : new WeightsRequest(name, Random: true, Seed: 1));
            int size = model.Info.InputSize;
            var input = InputBatch.Prepare(new[] { photo }, PreprocessOptions.ImageNet(size: size), CancellationToken.None)[0].Chw!;
            var method = CamMethods.Get("GradCAM");
            CamResult map = null!;
            double mapSeconds = Median(quick, () => map = CamEngine.Compute(model, new[] { new CamItem(input, null) }, method, model.Layers(), size, null, CancellationToken.None)[0]);
            void Line(string measure, string passes, double seconds) =>
                Console.WriteLine($"{name,-14} {measure,-34} {passes,15} {seconds,8:F2} {seconds / mapSeconds,9:F0}x");
            Line("one Grad-CAM map", "1 + backward", mapSeconds);
            Line("confidence metrics", "2", Median(quick, () => Faithfulness.Measure(model, input, size, map.Map, map.ClassIndex,
                new FaithfulnessOptions { Road = false, CurveSteps = 0 }, null, CancellationToken.None)));
            Line("ROAD, 9 percentiles x 2 orders", "2 + 18", Median(quick, () => Faithfulness.Measure(model, input, size, map.Map, map.ClassIndex,
                new FaithfulnessOptions { CurveSteps = 0 }, null, CancellationToken.None)));
            Line("deletion + insertion, 50 steps", "2 + 102", Median(quick, () => Faithfulness.Measure(model, input, size, map.Map, map.ClassIndex,
                new FaithfulnessOptions { Road = false }, null, CancellationToken.None)));
            int steps = SanityCheck.Cascade(model).Count;
            Line($"sanity cascade, {steps} steps", $"{steps + 1} maps", Median(quick, () => SanityCheck.Run(model, new[] { new CamItem(input, map.ClassIndex) }, method,
                model.Layers(), size, new SanityOptions(), null, CancellationToken.None)));
            if (name != "squeezenet1_1") ModelStore.Clear();
        }
    }

    private static double Median(bool quick, Action work)
    {
        var times = new List<double>();
        for (int i = 0; i < (quick ? 1 : 3); i++)
        {
            var clock = Stopwatch.StartNew();
            work();
            times.Add(clock.Elapsed.TotalSeconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }
}
