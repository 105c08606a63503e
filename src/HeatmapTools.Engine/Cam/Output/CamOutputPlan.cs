using HeatmapTools.Engine.Models;

namespace HeatmapTools.Engine.Cam.Output;

/// <summary>
/// What each item of a batch needs before any image is decoded: nothing (its outputs exist, or it is this module's
/// own output), a refusal (it is named like an overlay of an image beside it), or its maps. Outputs that can be named
/// before the network runs are checked here, so a rerun over finished work costs no forward pass.
/// </summary>
internal sealed class CamOutputPlan
{
    private enum Need { Maps, Finished, OwnOutput, Overlay }

    private readonly (Need Need, string? Source, List<string> Existing)[] _items;

    private CamOutputPlan((Need, string?, List<string>)[] items) => _items = items;

    /// <summary>Items that need their maps computed, in input order.</summary>
    public IReadOnlyList<int> Pending => Enumerable.Range(0, _items.Length).Where(i => _items[i].Need == Need.Maps).ToList();

    public static CamOutputPlan Make(IReadOnlyList<CamJobItem> items, ClassLabels labels, OutputNaming naming, string layer, CamJobOptions options,
        IRunListener listener)
    {
        var plan = new (Need, string?, List<string>)[items.Count];
        for (int i = 0; i < items.Count; i++) plan[i] = (Need.Maps, null, new List<string>());
        if (!options.Force)
            for (int i = 0; i < items.Count; i++)
                if (Existing(items[i], labels, naming, layer, options) is { } existing) plan[i] = (Need.Finished, null, existing);
        if (options.IncludeOwnOutputs) return new CamOutputPlan(plan);
        // With default names, inputs that are this module's overlays of an image beside them are not explained.
        if (options.OutputPath is null)
            for (int i = 0; i < items.Count; i++)
                if (plan[i].Item1 == Need.Maps && OutputNaming.OverlaySourceOf(items[i].Path) is { } source) plan[i] = (Need.Overlay, source, new List<string>());
        // Whatever their names, images that carry this module's note are its own output: left out without a word of
        // error (a rerun over a folder of photos and their overlays explains the photos only).
        for (int i = 0; i < items.Count; i++)
        {
            if (plan[i].Item1 == Need.Finished) continue;
            if (Rendering.OutputMarker.Read(items[i].Path) is not { } note || Rendering.OutputMarker.IsModelInput(note)) continue;
            plan[i] = (Need.OwnOutput, null, new List<string>());
            listener.Verbose($"Skipped '{items[i].Path}': HeatmapTools wrote it ({note}). -IncludeOwnOutput explains it anyway.");
        }
        return new CamOutputPlan(plan);
    }

    /// <summary>Every item's results in input order: <paramref name="computed"/> for those that needed maps, the plan's verdict for the rest.</summary>
    public IReadOnlyList<ItemResult<CamOutput>> Assemble(IReadOnlyList<CamJobItem> items, IReadOnlyList<ItemResult<CamOutput>> computed, CamJobOptions options,
        IRunListener listener)
    {
        var byPath = computed.GroupBy(r => r.Path).ToDictionary(g => g.Key, g => new Queue<ItemResult<CamOutput>>(g));
        var ordered = new List<ItemResult<CamOutput>>();
        var policy = options.Policy;
        for (int i = 0; i < items.Count; i++)
        {
            var (need, source, existing) = _items[i];
            string path = items[i].Path;
            if (need == Need.Overlay)
                ordered.Add(new ItemResult<CamOutput>(path, null, new HeatmapToolsException(ErrorIds.InputIsOverlay, ErrorKind.InvalidData,
                    $"'{path}' is named like the overlay New-CamHeatmap writes for '{source}' beside it; it is not explained. " +
                    "Pass it with -OutputPath set (any folder) to explain it anyway.", path)));
            else if (need == Need.Finished && policy.Skips)
                foreach (var output in existing) listener.OutputSkipped(path, output);
            else if (need == Need.Finished)
                ordered.AddRange(existing.Select(output => new ItemResult<CamOutput>(path, null,
                    new HeatmapToolsException(ErrorIds.OutputExists, ErrorKind.ResourceExists, IO.AtomicFile.ExistsMessage(output), output))));
            else if (need == Need.Maps && byPath.TryGetValue(path, out var queue))
                while (queue.Count > 0) ordered.Add(queue.Dequeue());
        }
        return ordered;
    }

    /// <summary>
    /// The item's outputs when all can be named before the network runs (explicit classes, or names that do not depend
    /// on the class) and all exist already (and, with -Update, are newer than the source); otherwise null.
    /// </summary>
    private static List<string>? Existing(CamJobItem item, ClassLabels labels, OutputNaming naming, string layer, CamJobOptions options)
    {
        // Targets other than a class's logit are named and labelled by what they explain, known once they are made.
        if ((options.NoOverlay && options.MapFormat is null) || options.Target.Kind != Targets.TargetKind.Default || options.Target.PerBox) return null;
        try
        {
            IEnumerable<int> classes;
            if (item.Classes is { } known) classes = known;
            else if (item.Top == 1 && options.Methods.All(m =>
                naming.For(item.Path, 0, labels[0].Name, m.Name, m.LayerName(layer)) == naming.For(item.Path, 1, labels[Math.Min(1, labels.Count - 1)].Name, m.Name, m.LayerName(layer))))
                classes = new[] { 0 };
            else return null;
            var names = new List<string>();
            foreach (var method in options.Methods)
                foreach (int c in classes)
                {
                    if (c < 0 || c >= labels.Count) return null;
                    string target = naming.For(item.Path, c, labels[c].Name, method.Name, method.LayerName(layer));
                    if (!options.NoOverlay) names.Add(target);
                    if (options.MapFormat is { } format) names.Add(OutputNaming.MapPathFor(target, format.Extension));
                    if (options.MapFormat is not null && method.UsesGuidedBackprop) names.Add(OutputNaming.GuidedPathFor(target));
                    if (options.MapFormat is not null && method.IsAttribution) names.Add(OutputNaming.AttributionPathFor(target));
                }
            return names.Count > 0 && names.All(n => File.Exists(n) && !options.Policy.Stale(n, item.Path)) ? names : null;
        }
        catch (HeatmapToolsException)
        {
            // A name that cannot be made (the source itself, a bad template) is reported when the item is written.
            return null;
        }
    }
}
