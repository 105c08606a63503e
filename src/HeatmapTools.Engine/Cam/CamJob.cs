using HeatmapTools.Engine.Native;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;
using HeatmapTools.Engine.Rendering;
using OpenCvSharp;

namespace HeatmapTools.Engine.Cam;

/// <summary>
/// An image to explain: explicit classes, or the top <see cref="Top"/> predicted ones; <see cref="Held"/> is a piped
/// prediction's prepared image, used instead of decoding the file again while it is held and fits.
/// </summary>
public sealed record CamJobItem(string Path, IReadOnlyList<int>? Classes, int Top = 1, Held.HeldInput? Held = null)
{
    /// <summary>A piped result's map (New-CamHeatmap into the trust cmdlets), used instead of computing it when its key matches.</summary>
    public Held.HeldMap? Map { get; init; }
}

public sealed record CamJobOptions
{
    public required IReadOnlyList<CamMethod> Methods { get; init; }
    public IReadOnlyList<string> Layers { get; init; } = Array.Empty<string>();
    public required PreprocessOptions Preprocess { get; init; }
    public string Colormap { get; init; } = "Jet";
    public double Alpha { get; init; } = 0.4;
    public bool NoOverlay { get; init; }
    public MapFormat MapFormat { get; init; } = MapFormat.None;
    public string? OutputPath { get; init; }
    /// <summary>The folder all of the run's inputs lie below (OutputNaming.CommonRoot), for names that keep their tree.</summary>
    public string? OutputRoot { get; init; }
    public bool Force { get; init; }
    /// <summary>Finished outputs are passed over quietly (told to <see cref="Skipped"/>) instead of being OutputExists errors, and a missing member of an output set is written beside the ones that exist.</summary>
    public bool SkipExisting { get; init; }
    /// <summary>Outputs older than their source are made again (the rest as with SkipExisting).</summary>
    public bool Update { get; init; }
    /// <summary>Told of each finished output passed over (source, output), from any thread of the batch.</summary>
    public Action<string, string>? Skipped { get; init; }
    public CamOptions Cam { get; init; } = new();
    /// <summary>Bytes of decoded originals a batch keeps for overlays (<see cref="InputBatch.DefaultKeepBudget"/>); tests lower it.</summary>
    internal long KeepBudget { get; init; } = InputBatch.DefaultKeepBudget;
    /// <summary>Told each overlay path from inside its write (the temporary file is open); tests cancel from here.</summary>
    internal Action<string>? Writing { get; init; }
    /// <summary>Names handed out so far in this run (shared by its batches); null checks nothing.</summary>
    public OutputRegistry? Outputs { get; init; }

    /// <summary>Explain images this module wrote (they carry its note, see OutputMarker) instead of leaving them out.</summary>
    public bool IncludeOwnOutputs { get; init; }

    /// <summary>Told, on the calling thread, of each input left out because this module wrote it (path, its note).</summary>
    public Action<string, string>? OwnOutputSkipped { get; init; }
}

/// <summary>What was made for one (image, class, method).</summary>
public sealed record CamOutput(string SourcePath, string? OutputPath, string? MapPath, CamMethod Method, string Layer,
    int ClassIndex, string Label, float Score, float[] Map, int MapWidth, int MapHeight)
{
    /// <summary>What the map's 0 and 1 stood for before it was scaled (CamResult.RawMin, RawMax).</summary>
    public float RawMin { get; init; }
    public float RawMax { get; init; } = 1;
}

/// <summary>
/// One batch end to end: decode, compute maps for every (image, class, method), colour, blend and write files.
/// A bad image or an existing output fails its own item; the others go on.
/// </summary>
public static class CamJob
{
    public static IReadOnlyList<ItemResult<CamOutput>> Run(LayeredModel model, ClassLabels labels, IReadOnlyList<CamJobItem> items,
        CamJobOptions options, CancellationToken cancellation)
    {
        var colormap = Colormaps.Parse(options.Colormap);
        string layerName = string.Join(",", (options.Layers.Count == 0 ? new[] { model.Info.DefaultLayer } : options.Layers).Select(model.CanonicalLayerName));
        bool manyClasses = items.Any(i => (i.Classes?.Count ?? i.Top) > 1);
        var naming = new OutputNaming(options.OutputPath, manyClasses, options.Methods.Count > 1, options.OutputRoot);

        // A rerun over finished output: items whose every output already exists are reported before any decoding or map,
        // and, with default names, inputs that are this module's own overlays of an image beside them are not explained.
        var finished = options.Force ? new Dictionary<int, List<string>>() : FinishedItems(items, labels, naming, layerName, options);
        var overlays = options.OutputPath is null && !options.IncludeOwnOutputs
            ? Enumerable.Range(0, items.Count).Select(i => (i, Source: OutputNaming.OverlaySourceOf(items[i].Path))).Where(t => t.Source is not null && !finished.ContainsKey(t.i))
                .ToDictionary(t => t.i, t => t.Source!)
            : new Dictionary<int, string>();
        // Whatever their names, images that carry this module's note are its own output: left out without a word of
        // error (a rerun over a folder of photos and their overlays explains the photos only).
        if (!options.IncludeOwnOutputs)
            for (int i = 0; i < items.Count; i++)
            {
                if (finished.ContainsKey(i) && !overlays.ContainsKey(i)) continue;
                if (Rendering.OutputMarker.Read(items[i].Path) is not { } note) continue;
                overlays.Remove(i);
                finished[i] = new List<string>();
                options.OwnOutputSkipped?.Invoke(items[i].Path, note);
            }
        foreach (var (i, source) in overlays) finished[i] = new List<string>();
        var pending = Enumerable.Range(0, items.Count).Where(i => !finished.ContainsKey(i)).ToList();
        if (finished.Count > 0)
        {
            var rest = pending.Count == 0 ? Array.Empty<ItemResult<CamOutput>>() : Run(model, labels, pending.Select(i => items[i]).ToList(), options, cancellation);
            var byPath = rest.GroupBy(r => r.Path).ToDictionary(g => g.Key, g => new Queue<ItemResult<CamOutput>>(g));
            var ordered = new List<ItemResult<CamOutput>>();
            for (int i = 0; i < items.Count; i++)
            {
                if (overlays.TryGetValue(i, out var source))
                    ordered.Add(new ItemResult<CamOutput>(items[i].Path, null, new HeatmapToolsException(ErrorIds.InputIsOverlay, "InvalidData",
                        $"'{items[i].Path}' is named like the overlay New-CamHeatmap writes for '{source}' beside it; it is not explained. " +
                        "Pass it with -OutputPath set (any folder) to explain it anyway.", items[i].Path)));
                else if (finished.TryGetValue(i, out var existing) && (options.SkipExisting || options.Update))
                    foreach (var path in existing) options.Skipped?.Invoke(items[i].Path, path);
                else if (finished.TryGetValue(i, out existing))
                    ordered.AddRange(existing.Select(path => new ItemResult<CamOutput>(items[i].Path, null,
                        new HeatmapToolsException(ErrorIds.OutputExists, "ResourceExists", IO.AtomicFile.ExistsMessage(path), path))));
                else if (byPath.TryGetValue(items[i].Path, out var queue))
                    while (queue.Count > 0) ordered.Add(queue.Dequeue());
            }
            return ordered;
        }

        var prepared = InputBatch.Prepare(items.Select(i => i.Path).ToList(), options.Preprocess, cancellation, keepImages: !options.NoOverlay, options.KeepBudget,
            items.Select(i => i.Held).ToList());
        try
        {
            var pairs = Targets(model, items, prepared);
            var results = new List<ItemResult<CamOutput>>();
            var byImage = new Dictionary<int, List<ItemResult<CamOutput>>>();
            foreach (var method in options.Methods)
            {
                cancellation.ThrowIfCancellationRequested();
                var maps = pairs.Count == 0 ? Array.Empty<CamResult>() :
                    ComputeByShape(model, pairs.Select(p => (prepared[p.Image], p.Class)).ToList(), method, options.Layers, options.Cam, cancellation);
                // A letterboxed input holds the image in a band: the map of that band is the image's map.
                if (options.Preprocess.Mode == ResizeMode.Letterbox)
                    maps = maps.Select((m, k) => Unletterbox(m, prepared[pairs[k].Image])).ToList();
                // A centre crop saw part of the image: its map is placed there, the rest of the image left cold, so the
                // overlay lines up with what the network saw instead of stretching the crop over the whole picture.
                else if (options.Preprocess.Mode == ResizeMode.CenterCrop && !options.Preprocess.Native)
                    maps = maps.Select((m, k) => Uncrop(m, prepared[pairs[k].Image])).ToList();
                var written = new ItemResult<CamOutput>[maps.Count];
                Parallel.For(0, maps.Count, new ParallelOptions { CancellationToken = cancellation }, k =>
                {
                    var image = prepared[pairs[k].Image];
                    written[k] = Write(image, maps[k], method, layerName, labels, naming, colormap, options);
                });
                for (int k = 0; k < maps.Count; k++)
                {
                    if (!byImage.TryGetValue(pairs[k].Image, out var list)) byImage[pairs[k].Image] = list = new();
                    list.Add(written[k]);
                }
            }
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

    /// <summary>
    /// One (image, class) map made again as it was first made (a result whose held map the budget released): nothing
    /// written, and no own-output check, since the image was accepted the first time.
    /// </summary>
    public static float[] Recompute(WeightsRequest request, ClassLabels labels, string path, int classIndex, CamMethod method, CamJobOptions options) =>
        MapOf(ModelStore.Get(request), labels, path, classIndex, method, options, CancellationToken.None).Map;

    /// <summary>One (image, class) map as <paramref name="options"/> would make it, computed alone and written nowhere.</summary>
    public static CamOutput MapOf(LayeredModel model, ClassLabels labels, string path, int classIndex, CamMethod method, CamJobOptions options,
        CancellationToken cancellation)
    {
        var quiet = options with
        {
            Methods = new[] { method },
            NoOverlay = true, MapFormat = MapFormat.None, OutputPath = null, Outputs = null, Force = true, IncludeOwnOutputs = true,
            OwnOutputSkipped = null, Cam = options.Cam with { ScoreProgress = null },
        };
        var result = Run(model, labels, new[] { new CamJobItem(path, new[] { classIndex }) }, quiet, cancellation).Single();
        return result.Error is { } error ? throw error : result.Value!;
    }

    /// <summary>
    /// Items whose outputs can all be named before the network runs (explicit classes, or names that do not depend on the
    /// class) and all exist already, with those names. Without -Force they would only be refused after their maps.
    /// </summary>
    private static Dictionary<int, List<string>> FinishedItems(IReadOnlyList<CamJobItem> items, ClassLabels labels, OutputNaming naming,
        string layerName, CamJobOptions options)
    {
        var finished = new Dictionary<int, List<string>>();
        if (options.NoOverlay && options.MapFormat == MapFormat.None) return finished;
        for (int i = 0; i < items.Count; i++)
        {
            try
            {
                var item = items[i];
                IEnumerable<int> classes;
                if (item.Classes is { } known) classes = known;
                else if (item.Top == 1 && options.Methods.All(m =>
                    naming.For(item.Path, 0, labels[0].Name, m.Name, layerName) == naming.For(item.Path, 1, labels[Math.Min(1, labels.Count - 1)].Name, m.Name, layerName)))
                    classes = new[] { 0 };
                else continue;
                var names = new List<string>();
                foreach (var method in options.Methods)
                    foreach (int c in classes)
                    {
                        if (c < 0 || c >= labels.Count) goto next;
                        string target = naming.For(item.Path, c, labels[c].Name, method.Name, layerName);
                        if (!options.NoOverlay) names.Add(target);
                        if (options.MapFormat != MapFormat.None) names.Add(OutputNaming.MapPathFor(target, MapWriter.Extension(options.MapFormat)));
                        if (options.MapFormat != MapFormat.None && method.UsesGuidedBackprop) names.Add(OutputNaming.GuidedPathFor(target));
                    }
                if (names.Count > 0 && names.All(n => File.Exists(n) && !Stale(n, item.Path, options))) finished[i] = names;
            }
            catch (HeatmapToolsException)
            {
                // A name that cannot be made (the source itself, a bad template) is reported by the normal path.
            }
            next:;
        }
        return finished;
    }

    /// <summary>With -Update: an output written before its source last changed.</summary>
    private static bool Stale(string output, string source, CamJobOptions options) =>
        options.Update && File.Exists(source) && File.GetLastWriteTimeUtc(output) < File.GetLastWriteTimeUtc(source);

    /// <summary>Whether to write one output: always without it; with -Force or a stale one with -Update over it; else an error, or passed over with -SkipExisting.</summary>
    private static bool Overwrite(string output, string source, CamJobOptions options) =>
        options.Force || Stale(output, source, options);

    private static bool PassOver(string output, string source, CamJobOptions options) =>
        (options.SkipExisting || options.Update) && !Overwrite(output, source, options) && File.Exists(output);

    /// <summary>A centre crop's map placed at the crop inside the scaled image, the rest zero.</summary>
    internal static CamResult Uncrop(CamResult map, PreparedImage image)
    {
        var (scaledWidth, scaledHeight, crop) = Preprocessor.CenterCrop(image.Width, image.Height, map.Width);
        return Moved(map, scaledWidth, scaledHeight, new OpenCvSharp.Rect(0, 0, crop.Width, crop.Height), crop.Location);
    }

    /// <summary>A letterboxed map cut back to the band the image filled.</summary>
    internal static CamResult Unletterbox(CamResult map, PreparedImage image)
    {
        var band = Preprocessor.Letterbox(image.Width, image.Height, map.Width, map.Height);
        return Moved(map, band.Width, band.Height, band, new OpenCvSharp.Point(0, 0));
    }

    /// <summary>The map (and guided gradients, per channel) copied from <paramref name="from"/> to <paramref name="to"/> in a width x height map of zeros.</summary>
    private static CamResult Moved(CamResult map, int width, int height, OpenCvSharp.Rect from, OpenCvSharp.Point to)
    {
        float[] Copy(float[] source, int channels)
        {
            var result = new float[channels * width * height];
            for (int c = 0; c < channels; c++)
                for (int y = 0; y < from.Height; y++)
                    Array.Copy(source, c * map.Width * map.Height + (from.Y + y) * map.Width + from.X, result, c * width * height + (to.Y + y) * width + to.X, from.Width);
            return result;
        }
        var guided = map.Guided is { } g ? Copy(g, g.Length / (map.Width * map.Height)) : null;
        return map with { Map = Copy(map.Map, 1), Width = width, Height = height, Guided = guided };
    }

    /// <summary>Maps in the order of <paramref name="pairs"/>, computed in one batch per input shape (native sizes differ).</summary>
    internal static IReadOnlyList<CamResult> ComputeByShape(LayeredModel model, IReadOnlyList<(PreparedImage Image, int? Class)> pairs, CamMethod method,
        IReadOnlyList<string> layers, CamOptions cam, CancellationToken cancellation)
    {
        var results = new CamResult[pairs.Count];
        foreach (var group in pairs.Select((p, k) => (p, k)).GroupBy(t => t.p.Image.Shape))
        {
            var maps = CamEngine.Compute(model, group.Select(t => new CamItem(t.p.Image.Chw!, t.p.Class)).ToList(), method, layers, group.Key, cam, cancellation);
            foreach (var ((_, k), map) in group.Zip(maps)) results[k] = map;
        }
        return results;
    }

    internal static List<(int Image, int? Class)> Targets(LayeredModel model, IReadOnlyList<CamJobItem> items, PreparedImage[] prepared)
    {
        var needRanking = Enumerable.Range(0, items.Count).Where(i => prepared[i].Error is null && items[i].Classes is null && items[i].Top > 1).ToList();
        var ranked = new Dictionary<int, int[]>();
        if (needRanking.Count > 0)
        {
            var logits = needRanking.Select(i => Predictor.Logits(model, new[] { prepared[i].Chw! }, prepared[i].Shape)[0]).ToList();
            for (int j = 0; j < needRanking.Count; j++)
            {
                int i = needRanking[j];
                ranked[i] = logits[j].Select((v, c) => (v, c)).OrderByDescending(p => p.v).Take(items[i].Top).Select(p => p.c).ToArray();
            }
        }
        var pairs = new List<(int, int?)>();
        for (int i = 0; i < items.Count; i++)
        {
            if (prepared[i].Error is not null) continue;
            if (items[i].Classes is { } classes) pairs.AddRange(classes.Select(c => (i, (int?)c)));
            else if (ranked.TryGetValue(i, out var top)) pairs.AddRange(top.Select(c => (i, (int?)c)));
            else pairs.Add((i, null));
        }
        return pairs;
    }

    private static ItemResult<CamOutput> Write(PreparedImage image, CamResult map, CamMethod method, string layer, ClassLabels labels,
        OutputNaming naming, ColormapTypes colormap, CamJobOptions options)
    {
        string label = labels[map.ClassIndex].Name;
        try
        {
            // A NaN score or map cannot be drawn honestly: this item's error, the batch goes on.
            if (!float.IsFinite(map.Score) || Array.Exists(map.Map, v => !float.IsFinite(v)))
                throw new HeatmapToolsException(ErrorIds.ScoreNotFinite, "InvalidResult",
                    $"The model's score for class {map.ClassIndex} ({label}) of '{image.Path}' is {map.Score}{(float.IsFinite(map.Score) ? " but its map has non-finite values" : "")}: no {method.Name} map can be drawn. The weights or the input overflow.", image.Path);
            string? overlayPath = null, mapPath = null;
            string target = naming.For(image.Path, map.ClassIndex, label, method.Name, layer);
            if (!options.NoOverlay || options.MapFormat != MapFormat.None) options.Outputs?.Claim(target, image.Path);
            if (!options.NoOverlay && PassOver(target, image.Path, options))
            {
                // The overlay of this set is finished; its missing map (below) is still written.
                overlayPath = target;
                options.Skipped?.Invoke(image.Path, target);
            }
            else if (!options.NoOverlay)
            {
                overlayPath = target;
                // An original over the batch's budget was not kept: read it again, for this overlay only.
                MemoryBudget.Lease? reserved = null;
                using var reread = image.Image is null ? ImageReader.ReadBgr(image.Path, MemoryBudget.Shared, 0, CancellationToken.None, out reserved, out _) : null;
                using var held = reserved;
                var original = image.Image ?? reread!;
                // Guided Grad-CAM's picture is the pixel-level product itself, not a colour blend.
                using var overlay = map.Guided is { } guided
                    ? GuidedRenderer.Render(map.Map, guided, map.Width, map.Height, original.Size())
                    : OverlayRenderer.Render(original, map.Map, map.Width, map.Height, colormap, options.Alpha);
                IO.AtomicFile.Write(overlayPath, Overwrite(overlayPath, image.Path, options), stream =>
                {
                    options.Writing?.Invoke(overlayPath);
                    OverlayRenderer.Encode(overlay, overlayPath, stream,
                        $"New-CamHeatmap; source={Path.GetFileName(image.Path)}; method={method.Name}; layer={layer}; class={map.ClassIndex}");
                });
            }
            if (options.MapFormat != MapFormat.None)
            {
                mapPath = OutputNaming.MapPathFor(target, MapWriter.Extension(options.MapFormat));
                if (PassOver(mapPath, image.Path, options)) options.Skipped?.Invoke(image.Path, mapPath);
                else MapWriter.Write(mapPath, options.MapFormat, map.Map, map.Width, map.Height, Overwrite(mapPath, image.Path, options));
                string guidedPath = OutputNaming.GuidedPathFor(target);
                if (map.Guided is { } guided && PassOver(guidedPath, image.Path, options)) options.Skipped?.Invoke(image.Path, guidedPath);
                else if (map.Guided is { } g)
                    IO.AtomicFile.Write(guidedPath, Overwrite(guidedPath, image.Path, options), s => IO.Npy.WriteFloat32(s, new[] { 3, map.Height, map.Width }, g));
            }
            return new ItemResult<CamOutput>(image.Path,
                new CamOutput(image.Path, overlayPath, mapPath, method, layer, map.ClassIndex, label, map.Score, map.Map, map.Width, map.Height)
                    { RawMin = map.RawMin, RawMax = map.RawMax }, null);
        }
        catch (HeatmapToolsException ex)
        {
            return new ItemResult<CamOutput>(image.Path, null, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or OpenCVException)
        {
            return new ItemResult<CamOutput>(image.Path, null,
                new HeatmapToolsException(ErrorIds.OutputWriteFailed, "WriteError", $"Could not write the heatmap for '{image.Path}': {ex.Message}", image.Path, ex));
        }
    }
}
