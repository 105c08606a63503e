using HeatmapTools.Engine.Native;
using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Models;

/// <summary>One layer a map can be computed at; <see cref="IsStage"/> is false for submodules inside a stage.</summary>
public sealed record LayerDescription(string Model, int Index, string Name, string ModuleType, long[] OutputShape, IReadOnlyList<string> Aliases, bool IsDefault)
{
    public bool IsStage { get; init; } = true;
}

/// <summary>
/// Lists a model's target layers (its stages and every submodule inside them) with the shape each one outputs for one
/// image at the model's input size. The architecture is built once with random weights (shapes do not depend on
/// weights), run once with a hook on every submodule, and freed; descriptions are cached.
/// </summary>
public static class LayerCatalog
{
    private static readonly ConcurrentDictionary<string, IReadOnlyList<LayerDescription>> Cache = new(StringComparer.OrdinalIgnoreCase);

    public static IReadOnlyList<LayerDescription> Describe(string modelName, int numClasses = 1000) =>
        Cache.GetOrAdd($"{modelName}|{numClasses}", _ => Build(ModelCatalog.Get(modelName), numClasses));

    private static IReadOnlyList<LayerDescription> Build(ArchitectureInfo info, int numClasses)
    {
        Runtime.EnsureInitialised();
        using var network = ModelStore.CreateNetwork(info, numClasses);
        network.eval();
        var model = new LayeredModel(info.Name, network, numClasses, info, "shape probe");
        var aliasesByTarget = model.Aliases.GroupBy(kv => model.CanonicalLayerName(kv.Value), StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(kv => kv.Key).Where(k => !k.Equals(g.Key, StringComparison.OrdinalIgnoreCase)).Order().ToList(),
                StringComparer.OrdinalIgnoreCase);
        string defaultLayer = model.CanonicalLayerName(info.DefaultLayer);
        IReadOnlyList<string> AliasesOf(string name) => aliasesByTarget.TryGetValue(name, out var a) ? a : Array.Empty<string>();

        var result = new List<LayerDescription>();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = zeros(1, info.InputChannels, info.Height, info.Width);
        for (int i = 0; i < model.Stages.Count; i++)
        {
            var stage = model.Stages[i];
            var inner = new List<LayerDescription>();
            var describe = model.NestedOf(i).Select(n => ((nn.Module)n.Module, (Func<Tensor, Tensor>)(output =>
            {
                // A module called more than once (a shared ReLU) is described by its last call, the one a target records.
                inner.RemoveAll(d => d.Name == n.Name);
                inner.Add(new LayerDescription(info.Name, i, n.Name, n.Module is Onnx.OnnxTap tap ? tap.Kind : n.Module.GetType().Name, output.shape.ToArray(), AliasesOf(n.Name), n.Name == defaultLayer) { IsStage = false });
                return output;
            }))).ToList();
            using (model.Taps.On(describe))
            {
                x = model.Run(x, i, i);
            }
            result.Add(new LayerDescription(info.Name, i, stage.Name, stage.Module is FunctionStage f ? f.Kind : stage.Module is Onnx.OnnxSegment segment ? segment.Nodes[^1].Op : stage.Module.GetType().Name,
                (network is Detectors.IMapView view && view.Maps(stage.Name, x) is { } maps ? maps : x).shape.ToArray(), AliasesOf(stage.Name), stage.Name == defaultLayer));
            result.AddRange(inner);
        }
        return result;
    }
}
