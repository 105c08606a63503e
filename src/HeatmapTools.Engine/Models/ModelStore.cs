using HeatmapTools.Engine.Native;
using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Models;

/// <summary>
/// Builds models and keeps them for the session, keyed by architecture, head size and weights (file and its
/// timestamp, or the random seed), so a pipeline of thousands of images loads a network once.
/// </summary>
public static class ModelStore
{
    private static readonly ConcurrentDictionary<string, Lazy<LayeredModel>> Cache = new();

    public static LayeredModel Get(WeightsRequest request, CancellationToken cancellation = default)
    {
        if (Onnx.OnnxModels.TryLocate(request.Model, request.BaseDirectory, out var onnx)) return GetOnnx(request, onnx);
        var info = ModelCatalog.Get(request.Model);
        string? weightsFile = request.Random ? null : WeightsLocator.Locate(request, cancellation);
        string key = request.Random
            ? $"{info.Name}|{request.NumClasses}|random:{request.Seed?.ToString() ?? "unseeded:" + Guid.NewGuid()}"
            : $"{info.Name}|{request.NumClasses}|{weightsFile}|{File.GetLastWriteTimeUtc(weightsFile!).Ticks}|{ModelSidecar.Stamp(weightsFile)}";

        var lazy = Cache.GetOrAdd(key, _ => new Lazy<LayeredModel>(() => Build(info, request, weightsFile), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            Cache.TryRemove(key, out _);
            throw;
        }
    }

    public static int Count => Cache.Count;

    /// <summary>An ONNX graph carries its own weights and head: -WeightsPath, -Weights Random and -NumClasses do not apply.</summary>
    private static LayeredModel GetOnnx(WeightsRequest request, string path)
    {
        if (request.WeightsPath is not null || request.Random)
            throw new HeatmapToolsException(ErrorIds.WeightsInvalid, ErrorKind.InvalidArgument,
                $"'{path}' is an ONNX model: its weights are in the graph, so -WeightsPath and -Weights Random do not apply to it.", path);
        string key = $"onnx|{path}|{File.GetLastWriteTimeUtc(path).Ticks}|{ModelSidecar.Stamp(path)}";
        var lazy = Cache.GetOrAdd(key, _ => new Lazy<LayeredModel>(() => Onnx.OnnxModels.Load(path), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            Cache.TryRemove(key, out _);
            throw;
        }
    }

    private static readonly object InitialisationGate = new();

    /// <summary>
    /// Builds an architecture with freshly initialised weights. libtorch has one global random generator: two networks
    /// initialised at once (two runspaces, parallel tests) would interleave its draws, and a seeded model would not be
    /// the same twice. Every construction takes this lock, seeded or not.
    /// </summary>
    internal static nn.Module<Tensor, Tensor> CreateNetwork(ArchitectureInfo info, int numClasses, int? seed = null)
    {
        lock (InitialisationGate)
        {
            if (seed is int s) torch.manual_seed(s);
            return OwnedWeights.Make(() => info.Create(numClasses), n => n);
        }
    }

    /// <summary>A model outside the cache, for callers that build many architectures once each and dispose them (tests, the bench).</summary>
    internal static LayeredModel CreateUncached(WeightsRequest request)
    {
        var info = ModelCatalog.Get(request.Model);
        string? weightsFile = request.Random ? null : WeightsLocator.Locate(request, CancellationToken.None);
        return Build(info, request, weightsFile);
    }

    /// <summary>
    /// A private copy of a model's network, and a second network of the same architecture freshly initialised from
    /// <paramref name="seed"/>, both outside the cache: the sanity check randomises the copy stage by stage from the
    /// second while the session's model stays as it was.
    /// </summary>
    internal static (LayeredModel Copy, LayeredModel Random) CopyWithRandomSource(LayeredModel model, int seed)
    {
        bool official = model.Stages.Count > 0 && model.Stages[0].Name == "transform_input";
        LayeredModel Make(int? s, string description) => OwnedWeights.Make(() =>
        {
            var network = CreateNetwork(model.Info, model.NumClasses, s);
            network.eval();
            foreach (var parameter in network.parameters()) parameter.requires_grad = false;
            if (model.Info.ChannelsLast) ChannelsLast.ConvertWeights(network);
            return new LayeredModel(model.Name, network, model.NumClasses, model.Info, description, null, official);
        }, m => m.Network);
        var copy = Make(seed, $"copy of {model.WeightsDescription}");
        using (no_grad())
        {
            var source = model.Network.state_dict();
            foreach (var (name, value) in copy.Network.state_dict()) value.copy_(source[name]);
        }
        return (copy, Make(seed, $"random (seed {seed})"));
    }

    public static void Clear()
    {
        foreach (var entry in Cache.Values.Where(l => l.IsValueCreated)) entry.Value.Dispose();
        Cache.Clear();
    }

    private static LayeredModel Build(ArchitectureInfo info, WeightsRequest request, string? weightsFile)
    {
        Runtime.EnsureInitialised();
        return OwnedWeights.Make(() => BuildOwned(info, request, weightsFile), m => m.Network);
    }

    private static LayeredModel BuildOwned(ArchitectureInfo info, WeightsRequest request, string? weightsFile)
    {
        var network = CreateNetwork(info, request.NumClasses, request.Random ? request.Seed : null);
        if (weightsFile is not null) StateDictLoader.Load(network, weightsFile, info.IgnoredKeyPrefixes);
        network.eval();
        // Maps need gradients of a score with respect to activations only, never with respect to weights.
        foreach (var parameter in network.parameters()) parameter.requires_grad = false;
        if (info.ChannelsLast) ChannelsLast.ConvertWeights(network);
        string description = weightsFile ?? $"random (seed {request.Seed?.ToString() ?? "none"})";
        // torchvision's own GoogLeNet and Inception v3 checkpoints expect transform_input; files saved from a model built
        // without weights (as fine-tuned models usually are) do not.
        bool official = weightsFile is not null && string.Equals(Path.GetFileName(weightsFile), info.OfficialFileName, StringComparison.Ordinal);
        var model = new LayeredModel(info.Name, network, request.NumClasses, ModelSidecar.Apply(info, ModelSidecar.For(weightsFile)), description,
            weightsFile is null ? null : Path.GetFullPath(weightsFile), official);
        model.CheckDefaultLayer();
        return model;
    }
}
