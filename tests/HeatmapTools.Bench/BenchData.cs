using HeatmapTools.Engine.Models;

namespace HeatmapTools.Bench;

/// <summary>The shared inputs the CAM benchmarks start from: the real photos and the real SqueezeNet weights.</summary>
internal static class BenchData
{
    public static string[] Photos(string shared) => Directory.GetFiles(Path.Combine(shared, "images"), "*.png").Order().ToArray();

    public static WeightsRequest SqueezeNet(string shared) =>
        new("squeezenet1_1", WeightsPath: Path.Combine(shared, "models", "squeezenet1_1.safetensors"));
}
