using System.Collections.Concurrent;
using HeatmapTools.Engine.Models;

namespace HeatmapTools.Engine.Onnx;

/// <summary>
/// Where -Model names an ONNX graph: a path ending in .onnx, or a name with a <c>&lt;name&gt;.onnx</c> in a folder of
/// HEATMAPTOOLS_MODEL_PATH (a built-in architecture's name keeps meaning the built-in one).
/// </summary>
public static class OnnxModels
{
    private static readonly ConcurrentDictionary<string, Lazy<ArchitectureInfo>> Infos = new(StringComparer.Ordinal);

    public static bool IsOnnxPath(string model) => model.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);

    public static bool TryLocate(string model, string? baseDirectory, out string path)
    {
        path = "";
        if (IsOnnxPath(model))
        {
            path = baseDirectory is null ? Path.GetFullPath(model) : Path.GetFullPath(model, baseDirectory);
            if (!File.Exists(path))
                throw new HeatmapToolsException(ErrorIds.WeightsNotFound, ErrorKind.ObjectNotFound, $"ONNX model '{path}' does not exist.", path);
            return true;
        }
        if (ModelCatalog.TryGet(model, out _) || model.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0) return false;
        foreach (var folder in WeightsLocator.SearchFolders(baseDirectory))
        {
            var candidate = Path.Combine(folder, model + ".onnx");
            if (File.Exists(candidate)) { path = Path.GetFullPath(candidate); return true; }
        }
        return false;
    }

    /// <summary>The architecture read from a graph, once per file version.</summary>
    public static ArchitectureInfo Info(string path)
    {
        string key = $"{path}|{File.GetLastWriteTimeUtc(path).Ticks}|{ModelSidecar.Stamp(path)}";
        var lazy = Infos.GetOrAdd(key, _ => new Lazy<ArchitectureInfo>(() =>
        {
            Native.Runtime.EnsureInitialised();
            var (network, info) = Models.OwnedWeights.Make(() => OnnxModelBuilder.Build(path), b => b.Item1);
            network.Dispose();
            return ModelSidecar.Apply(info, ModelSidecar.For(path));
        }));
        try
        {
            return lazy.Value;
        }
        catch
        {
            Infos.TryRemove(key, out _);
            throw;
        }
    }

    /// <summary>A network read from the graph with its architecture.</summary>
    internal static LayeredModel Load(string path)
    {
        Native.Runtime.EnsureInitialised();
        var (network, info) = Models.OwnedWeights.Make(() => OnnxModelBuilder.Build(path), b => b.Item1);
        network.eval();
        var model = new LayeredModel(info.Name, network, info.FixedClasses, ModelSidecar.Apply(info, ModelSidecar.For(path)), $"{path} ({info.Description})", path);
        model.CheckDefaultLayer();
        return model;
    }
}
