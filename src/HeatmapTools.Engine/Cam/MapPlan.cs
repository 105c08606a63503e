using HeatmapTools.Engine.Cam.Targets;
using HeatmapTools.Engine.Held;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;

namespace HeatmapTools.Engine.Cam;

/// <summary>
/// What maps a run asks for, the same for every batch: methods, layers, the input's preparation, the method settings
/// (smoothing, attribution settings) and what each map explains. New-CamHeatmap's and the trust cmdlets' options are
/// such a request with their own output settings beside it.
/// </summary>
public record MapRequest
{
    public required IReadOnlyList<CamMethod> Methods { get; init; }
    public LayerSelection Layers { get; init; } = LayerSelection.Default;
    public required PreprocessOptions Preprocess { get; init; }
    public CamOptions Cam { get; init; } = new();
    /// <summary>What each map explains (-Target, -ReferenceImage, -Region ...).</summary>
    public TargetRequest Target { get; init; } = TargetRequest.Default;
}

/// <summary>One batch of a map run: the prepared images (a bad one carries its error) and the (image, target) pairs to map.</summary>
public sealed class MapBatch : IDisposable
{
    internal MapBatch(PreparedImage[] images, List<(int Image, CamTarget? Target)> pairs)
    {
        Images = images;
        Pairs = pairs;
    }

    /// <summary>In item order; an image that could not be read, or whose targets cannot be made, holds its error.</summary>
    public PreparedImage[] Images { get; }

    /// <summary>What to map, in item order: a null target is the image's top class, chosen by the pass that maps it.</summary>
    public List<(int Image, CamTarget? Target)> Pairs { get; }

    /// <summary>
    /// The maps of <see cref="Pairs"/> (as <see cref="MapPlan.Compute(MapBatch, CamMethod, IRunListener, CancellationToken)"/>
    /// returns them) without those of an image whose target the pass could not make: that image takes the error and
    /// leaves the batch (every pair of it), so what is returned lines up with <see cref="Pairs"/> again.
    /// </summary>
    public IReadOnlyList<CamResult> Keep(IReadOnlyList<CamResult> maps)
    {
        if (maps.All(m => m.Error is null)) return maps;
        for (int k = 0; k < maps.Count; k++)
            if (maps[k].Error is { } error && Images[Pairs[k].Image].Error is null) Images[Pairs[k].Image] = Images[Pairs[k].Image].Failed(error);
        var kept = maps.Where((_, k) => Images[Pairs[k].Image].Error is null).ToList();
        Pairs.RemoveAll(p => Images[p.Image].Error is not null);
        return kept;
    }

    public void Dispose()
    {
        foreach (var image in Images) image.Image?.Dispose();
    }
}

/// <summary>
/// A <see cref="MapRequest"/> resolved on one model, once per run: the layers found (an unknown one refused before any
/// image is read), the method settings with the request's kind of top-class target. Every command that makes maps
/// runs its batches through it: <see cref="Prepare"/> reads the images and makes their targets, <see cref="Compute"/>
/// maps them a method at a time, one pass a batch per input shape. New-CamHeatmap writes what it returns, the trust
/// cmdlets measure it, Compare-CamHeatmap runs one request on two models (<see cref="On"/>).
/// </summary>
public sealed class MapPlan
{
    private MapPlan(LayeredModel model, MapRequest request, MapLayers layers)
    {
        Model = model;
        Request = request;
        Layers = layers;
        // A map without a target explains its top class as -Target says, chosen from the logits of its own pass.
        Cam = request.Cam with { TopKind = request.Target.Kind };
    }

    public static MapPlan Resolve(LayeredModel model, MapRequest request) => new(model, request, request.Layers.Resolve(model));

    public LayeredModel Model { get; }
    public MapRequest Request { get; }
    public MapLayers Layers { get; }
    public CamOptions Cam { get; }
    public PreprocessOptions Preprocess => Request.Preprocess;

    /// <summary>How the results name their layers.</summary>
    public string Layer => Layers.Description;

    /// <summary>The same request on another network of this architecture (its own modules for the layers).</summary>
    public MapPlan On(LayeredModel other) => ReferenceEquals(other, Model) ? this : new MapPlan(other, Request, Layers.On(other));

    /// <summary>Which map this plan makes of <paramref name="target"/> with <paramref name="method"/> (<see cref="MapKey"/>): a held map with this key is that map.</summary>
    public string KeyOf(CamMethod method, CamTarget target) => MapKey.Of(Model, Preprocess, method, method.LayerName(Layer), target, Request.Cam);

    /// <summary>
    /// The batch's images read and prepared (a piped prediction's held input instead of the file, while it fits), and
    /// each image's targets made. An image that cannot be read, or whose target cannot be made (a region over no pixel,
    /// a detector finding nothing), is that image's error: told to <paramref name="failed"/>, the others go on.
    /// </summary>
    /// <param name="keepImages">Keep the decoded photos (within <paramref name="keepBudget"/> bytes) for overlays.</param>
    public MapBatch Prepare(IReadOnlyList<CamJobItem> items, CancellationToken cancellation, bool keepImages = false, long keepBudget = InputBatch.DefaultKeepBudget,
        Action<int, HeatmapToolsException>? failed = null)
    {
        var prepared = InputBatch.Prepare(items.Select(i => i.Path).ToList(), Preprocess, cancellation, keepImages, keepBudget,
            items.Select(i => i.Held as HeldInput).ToList());
        try
        {
            var pairs = TargetSelection.For(Model, items, prepared, Request.Target, Preprocess, cancellation, (i, error) =>
            {
                failed?.Invoke(i, error);
                prepared[i] = prepared[i].Failed(error);
            });
            return new MapBatch(prepared, pairs);
        }
        catch
        {
            foreach (var p in prepared) p.Image?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The maps of <paramref name="pairs"/> by <paramref name="method"/>, in their order: one pass a batch per input shape
    /// (native sizes differ). A map whose target could not be made carries the error (<see cref="CamResult.Error"/>).
    /// </summary>
    public IReadOnlyList<CamResult> Compute(IReadOnlyList<(PreparedImage Image, CamTarget? Target)> pairs, CamMethod method, IRunListener listener,
        CancellationToken cancellation)
    {
        var results = new CamResult[pairs.Count];
        foreach (var group in pairs.Select((p, k) => (p, k)).GroupBy(t => t.p.Image.Shape))
        {
            var maps = CamEngine.Compute(Model, group.Select(t => new CamItem(t.p.Image.Chw!, t.p.Target)).ToList(), method, Layers, group.Key, Cam, cancellation, listener);
            foreach (var ((_, k), map) in group.Zip(maps)) results[k] = map;
        }
        return results;
    }

    /// <summary>
    /// The maps of a prepared batch's pairs (<see cref="MapBatch.Pairs"/>); an image whose target the pass could not make
    /// leaves the batch with its error (<see cref="MapBatch.Keep"/>), so the maps line up with the pairs left.
    /// </summary>
    public IReadOnlyList<CamResult> Compute(MapBatch batch, CamMethod method, IRunListener listener, CancellationToken cancellation) =>
        batch.Keep(Compute(batch.Pairs.Select(p => (batch.Images[p.Image], p.Target)).ToList(), method, listener, cancellation));
}
