using HeatmapTools.Engine.Cam.Output;
using HeatmapTools.Engine.Cam.Targets;
using HeatmapTools.Engine.Held;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Rendering;

namespace HeatmapTools.Engine.Cam;

/// <summary>
/// One New-CamHeatmap batch end to end: plan the outputs (<see cref="CamOutputPlan"/>), decode, compute every
/// (image, target, method) map (<see cref="CamEngine"/>), place it back on the image (<see cref="MapPlacement"/>) and
/// write it (<see cref="CamOutputWriter"/>). A bad image or an existing output fails its own item; the others go on.
/// </summary>
public static class CamJob
{
    public static IReadOnlyList<ItemResult<CamOutput>> Run(LayeredModel model, ClassLabels labels, IReadOnlyList<CamJobItem> items,
        CamJobOptions options, IRunListener listener, CancellationToken cancellation, OutputRegistry? outputs = null)
    {
        var colormap = Colormaps.Parse(options.Colormap);
        string layer = options.Layers.Describe(model);
        bool manyClasses = items.Any(i => (i.Classes?.Count ?? i.Top) > 1);
        var naming = new OutputNaming(options.OutputPath, manyClasses, options.Methods.Count > 1, options.OutputRoot,
            namesTarget: options.Target.Kind != TargetKind.Default || options.Target.PerBox);
        var plan = CamOutputPlan.Make(items, labels, naming, layer, options, listener);
        var pending = plan.Pending.Select(i => items[i]).ToList();
        var writer = new CamOutputWriter(naming, colormap, layer, labels, options, outputs, listener, cancellation);
        var computed = pending.Count == 0 ? Array.Empty<ItemResult<CamOutput>>() : Make(model, labels, pending, options, writer, layer, listener, cancellation);
        return plan.Assemble(items, computed, options, listener);
    }

    /// <summary>Maps for items that need them, written, in input order (an image's results together).</summary>
    private static IReadOnlyList<ItemResult<CamOutput>> Make(LayeredModel model, ClassLabels labels, IReadOnlyList<CamJobItem> items, CamJobOptions options,
        CamOutputWriter writer, string layer, IRunListener listener, CancellationToken cancellation)
    {
        var prepared = InputBatch.Prepare(items.Select(i => i.Path).ToList(), options.Preprocess, cancellation, keepImages: !options.NoOverlay, options.KeepBudget,
            items.Select(i => i.Held as HeldInput).ToList());
        try
        {
            // An image whose target cannot be made is that image's error; the batch goes on.
            var pairs = TargetSelection.For(model, items, prepared, options.Target, options.Preprocess, cancellation,
                (i, error) => prepared[i] = prepared[i].Failed(error));
            var layers = options.Layers.Resolve(model);
            var byImage = new Dictionary<int, List<ItemResult<CamOutput>>>();
            foreach (var method in options.Methods)
            {
                cancellation.ThrowIfCancellationRequested();
                var images = pairs.Select(p => prepared[p.Image]).ToList();
                var maps = pairs.Count == 0 ? Array.Empty<CamResult>() :
                    MapPlacement.Place(ComputeByShape(model, pairs.Select(p => (prepared[p.Image], p.Target)).ToList(), method, layers,
                        options.Cam with { TopKind = options.Target.Kind }, listener, cancellation),
                        images, options.Preprocess);
                var written = new ItemResult<CamOutput>[maps.Count];
                Parallel.For(0, maps.Count, new ParallelOptions { CancellationToken = cancellation, MaxDegreeOfParallelism = Scaling.CpuAllocation.Current.Threads }, k =>
                    written[k] = Hold(writer.Write(images[k], maps[k], method), model, labels, options, layer));
                for (int k = 0; k < maps.Count; k++)
                {
                    if (!byImage.TryGetValue(pairs[k].Image, out var list)) byImage[pairs[k].Image] = list = new();
                    list.Add(written[k]);
                }
            }
            var results = new List<ItemResult<CamOutput>>();
            for (int i = 0; i < prepared.Length; i++)
            {
                if (prepared[i].Error is { } error) results.Add(new ItemResult<CamOutput>(prepared[i].Path, null, error));
                else if (byImage.TryGetValue(i, out var list)) results.AddRange(list);
            }
            return results;
        }
        finally
        {
            foreach (var p in prepared) p.Image?.Dispose();
        }
    }

    /// <summary>The result keyed, and with <see cref="CamJobOptions.HoldFor"/> its map held for the next command.</summary>
    private static ItemResult<CamOutput> Hold(ItemResult<CamOutput> result, LayeredModel model, ClassLabels labels, CamJobOptions options, string layer)
    {
        if (result.Value is not { } r) return result;
        string key = MapKey.Of(model, options.Preprocess, r.Method, r.Method.LayerName(layer), r.Target, options.Cam);
        if (options.HoldFor is not { } request) return result with { Value = r with { Key = key } };
        // What the map needs to be made again, and no more: not this run's name registry, nor its listener.
        var again = options.Quiet(r.Method);
        var held = HeldMap.Of(r.Map, r.MapWidth, r.MapHeight, HeldMemory.Shared,
            () => MapOf(ModelStore.Get(request), labels, r.SourcePath, r.Target, r.Method, again, CancellationToken.None).Map,
            key, r.Score, r.SourcePath);
        return result with { Value = r with { Key = key, Held = held } };
    }

    /// <summary>One (image, target) map as <paramref name="options"/> would make it, computed alone and written nowhere.</summary>
    /// <param name="target">The target; null makes it as the options' -Target does (a similarity target from its reference image).</param>
    /// <param name="classes">Without a target, the classes the options' -Target explains (a segment target's category); null: the top one.</param>
    public static CamOutput MapOf(LayeredModel model, ClassLabels labels, string path, CamTarget? target, CamMethod method, CamJobOptions options,
        CancellationToken cancellation, IReadOnlyList<int>? classes = null)
    {
        var item = new CamJobItem(path, target is null ? classes : new[] { target.ClassIndex }) { Target = target };
        var result = Run(model, labels, new[] { item }, options.Quiet(method), SilentListener.Instance, cancellation).Single();
        return result.Error is { } error ? throw error : result.Value!;
    }

    /// <summary>Maps in the order of <paramref name="pairs"/>, computed in one batch per input shape (native sizes differ).</summary>
    internal static IReadOnlyList<CamResult> ComputeByShape(LayeredModel model, IReadOnlyList<(PreparedImage Image, CamTarget? Target)> pairs, CamMethod method,
        IReadOnlyList<string> layers, CamOptions cam, IRunListener listener, CancellationToken cancellation)
    {
        var results = new CamResult[pairs.Count];
        foreach (var group in pairs.Select((p, k) => (p, k)).GroupBy(t => t.p.Image.Shape))
        {
            var maps = CamEngine.Compute(model, group.Select(t => new CamItem(t.p.Image.Chw!, t.p.Target)).ToList(), method, layers, group.Key, cam, cancellation, listener);
            foreach (var ((_, k), map) in group.Zip(maps)) results[k] = map;
        }
        return results;
    }
}
