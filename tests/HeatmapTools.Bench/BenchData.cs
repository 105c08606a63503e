using HeatmapTools.Engine.Models;

namespace HeatmapTools.Bench;

/// <summary>The shared inputs the CAM benchmarks start from: the real photos and the real SqueezeNet weights.</summary>
internal static class BenchData
{
    public static string[] Photos(string shared) => Directory.GetFiles(Path.Combine(shared, "images"), "*.png").Order().ToArray();

    /// <summary>
    /// <paramref name="count"/> copies of the photos under distinct names in a new folder: a real batch is many different
    /// files, each giving its own overlay.
    /// </summary>
    public static string[] DistinctCopies(string shared, string folder, int count)
    {
        var photos = Photos(shared);
        Directory.CreateDirectory(folder);
        return Enumerable.Range(0, count).Select(i =>
        {
            string copy = Path.Combine(folder, $"{i:D2}_{Path.GetFileName(photos[i % photos.Length])}");
            File.Copy(photos[i % photos.Length], copy);
            return copy;
        }).ToArray();
    }

    public static WeightsRequest SqueezeNet(string shared) =>
        new("squeezenet1_1", WeightsPath: Path.Combine(shared, "models", "squeezenet1_1.safetensors"));
}
