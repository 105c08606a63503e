using System.Text.Json;
using HeatmapTools.Engine.Models;

namespace HeatmapTools.Engine.Tests;

/// <summary>The shared, external test data (real weights, photos, pytorch-grad-cam reference maps), found outside the repo.</summary>
public static class SharedData
{
    public static string Root { get; } = Locate();
    public static string Models => Path.Combine(Root, "models");
    public static string Images => Path.Combine(Root, "images");
    public static string Reference => Path.Combine(Root, "reference");
    public static string SqueezeNetSafetensors => Path.Combine(Models, "squeezenet1_1.safetensors");
    public static string SqueezeNetPth => Path.Combine(Models, "squeezenet1_1.pth");

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "HeatmapTools.psd1"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root (HeatmapTools.psd1) above " + AppContext.BaseDirectory);
        }
    }

    private static string Locate()
    {
        var fromEnv = Environment.GetEnvironmentVariable("HEATMAPTOOLS_SHARED");
        if (!string.IsNullOrWhiteSpace(fromEnv)) return fromEnv;
        return Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
    }

    private static readonly Lazy<LayeredModel> SqueezeNet = new(() =>
        ModelStore.Get(new WeightsRequest("squeezenet1_1", WeightsPath: SqueezeNetSafetensors)));

    public static LayeredModel SqueezeNetModel => SqueezeNet.Value;

    public sealed record Case(string Folder, string Image, string Stem, int Target, IReadOnlyDictionary<string, string> Maps);

    public static IEnumerable<Case> Cases()
    {
        foreach (var folder in new[] { "squeezenet1_1", "squeezenet1_1_target281" })
        {
            var dir = Path.Combine(Reference, folder);
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "manifest.json")));
            foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
            {
                string image = c.GetProperty("image").GetString()!;
                var maps = c.GetProperty("maps").EnumerateObject().ToDictionary(p => p.Name, p => Path.Combine(dir, p.Value.GetString()!));
                string anyMap = maps.Values.First();
                string stem = Path.GetFileName(anyMap)[..Path.GetFileName(anyMap).IndexOf('.')];
                yield return new Case(dir, Path.Combine(Images, image), Path.Combine(dir, stem), c.GetProperty("target").GetInt32(), maps);
            }
        }
    }
}
