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
        var plan = MapPlan.Resolve(model, options);
        bool manyClasses = items.Any(i => (i.Classes?.Count ?? i.Top) > 1);
        var naming = new OutputNaming(options.OutputPath, manyClasses, options.Methods.Count > 1, options.OutputRoot,
            namesTarget: options.Target.Kind != TargetKind.Default || options.Target.PerBox);
        var outputPlan = CamOutputPlan.Make(items, labels, naming, plan.Layer, options, listener);
        var pending = outputPlan.Pending.Select(i => items[i]).ToList();
        var writer = new CamOutputWriter(naming, colormap, plan.Layer, labels, options, outputs, listener, cancellation);
        var computed = pending.Count == 0 ? Array.Empty<ItemResult<CamOutput>>() : Make(plan, labels, pending, options, writer, listener, cancellation);
        return outputPlan.Assemble(items, computed, options, listener);
    }

    /// <summary>Maps for items that need them, written, in input order (an image's results together).</summary>
    private static IReadOnlyList<ItemResult<CamOutput>> Make(MapPlan plan, ClassLabels labels, IReadOnlyList<CamJobItem> items, CamJobOptions options,
        CamOutputWriter writer, IRunListener listener, CancellationToken cancellation)
    {
        // An image whose target cannot be made is that image's error; the batch goes on.
        using var batch = plan.Prepare(items, cancellation, keepImages: !options.NoOverlay, options.KeepBudget);
        var (prepared, pairs) = (batch.Images, batch.Pairs);
        var byImage = new Dictionary<int, List<ItemResult<CamOutput>>>();
        foreach (var method in options.Methods)
        {
            cancellation.ThrowIfCancellationRequested();
            // An image whose target its pass could not make leaves the pairs here, with its error.
            var computed = pairs.Count == 0 ? Array.Empty<CamResult>() : plan.Compute(batch, method, listener, cancellation);
            var images = pairs.Select(p => prepared[p.Image]).ToList();
            var maps = MapPlacement.Place(computed, images, options.Preprocess);
            var written = new ItemResult<CamOutput>[maps.Count];
            Parallel.For(0, maps.Count, new ParallelOptions { CancellationToken = cancellation, MaxDegreeOfParallelism = Scaling.CpuAllocation.Current.Threads }, k =>
                written[k] = Hold(writer.Write(images[k], maps[k], method), plan, labels, options));
            for (int k = 0; k < maps.Count; k++)
            {
                if (!byImage.TryGetValue(pairs[k].Image, out var list)) byImage[pairs[k].Image] = list = new();
                list.Add(written[k]);
            }
        }
        var results = new List<ItemResult<CamOutput>>();
        for (int i = 0; i < prepared.Length; i++)
        {
            if (byImage.TryGetValue(i, out var list)) results.AddRange(list);
            if (prepared[i].Error is { } error) results.Add(new ItemResult<CamOutput>(prepared[i].Path, null, error));
        }
        return results;
    }

    /// <summary>The result keyed, and with <see cref="CamJobOptions.HoldFor"/> its map held for the next command.</summary>
    private static ItemResult<CamOutput> Hold(ItemResult<CamOutput> result, MapPlan plan, ClassLabels labels, CamJobOptions options)
    {
        if (result.Value is not { } r) return result;
        string key = plan.KeyOf(r.Method, r.Target);
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
}
