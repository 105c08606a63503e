using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Models;

public sealed record LayerDescription(string Model, int Index, string Name, string ModuleType, long[] OutputShape, IReadOnlyList<string> Aliases, bool IsDefault);

/// <summary>
/// Lists a model's target layers with the shape each one outputs for one 224x224 image. The architecture is built
/// once with random weights (shapes do not depend on weights), described, and freed; descriptions are cached.
/// </summary>
public static class LayerCatalog
{
    private static readonly ConcurrentDictionary<string, IReadOnlyList<LayerDescription>> Cache = new(StringComparer.OrdinalIgnoreCase);

    public static IReadOnlyList<LayerDescription> Describe(string modelName, int numClasses = 1000) =>
        Cache.GetOrAdd($"{modelName}|{numClasses}", _ => Build(ModelCatalog.Get(modelName), numClasses));

    private static IReadOnlyList<LayerDescription> Build(ArchitectureInfo info, int numClasses)
    {
        Runtime.EnsureInitialised();
        using var network = info.Create(numClasses);
        network.eval();
        var model = new LayeredModel(info.Name, network, numClasses, info, "shape probe");
        var aliasesByTarget = model.Aliases.GroupBy(kv => kv.Value, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(kv => kv.Key).Order().ToList(), StringComparer.OrdinalIgnoreCase);
        string defaultLayer = model.CanonicalLayerName(info.DefaultLayer);

        var result = new List<LayerDescription>();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = zeros(1, 3, 224, 224);
        for (int i = 0; i < model.Stages.Count; i++)
        {
            x = model.Run(x, i, i);
            var stage = model.Stages[i];
            result.Add(new LayerDescription(info.Name, i, stage.Name, stage.Module.GetType().Name, x.shape.ToArray(),
                aliasesByTarget.TryGetValue(stage.Name, out var a) ? a : Array.Empty<string>(), stage.Name == defaultLayer));
        }
        return result;
    }
}
