using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Cam.Targets;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;

namespace HeatmapTools.Engine.Trust;

/// <summary>What the trust cmdlets share with New-CamHeatmap: which maps to judge (their <see cref="MapRequest"/>), and their figures.</summary>
public sealed record TrustJobOptions : MapRequest
{
    /// <summary>A folder for one figure per map (created when missing); null draws none.</summary>
    public string? PlotFolder { get; init; }

    /// <summary>Replace existing figures.</summary>
    public bool Force { get; init; }

    /// <summary>An attribution's own values are needed, not its picture: a piped result's held picture is not enough.</summary>
    public bool NeedsAttributionValues { get; init; }

    /// <summary>Class names for figures' titles; class indices alone without it.</summary>
    public Func<int, string>? ClassName { get; init; }

    /// <summary>Where the figure of one map goes: &lt;image&gt;_&lt;method&gt;_&lt;class&gt;_&lt;kind&gt;.png in the plot folder.</summary>
    internal string? PlotPathFor(string source, CamMethod method, int classIndex, string kind) => PlotFolder is null ? null :
        Path.Combine(PlotFolder, IO.FileNames.Sanitise($"{Path.GetFileNameWithoutExtension(source)}_{method.Name}_{classIndex}_{kind}") + ".png");
}

public sealed record FaithfulnessOutput(string SourcePath, CamMethod Method, string Layer, FaithfulnessResult Metrics, string? PlotPath)
{
    /// <summary>What the judged map explains.</summary>
    public CamTarget? Target { get; init; }
}

public sealed record StainRobustnessOutput(string SourcePath, CamMethod Method, string Layer, StainRobustnessResult Result, string? PlotPath);

public sealed record ExplanationOutput(string SourcePath, CamMethod Method, string Layer, int ClassIndex,
    IReadOnlyDictionary<string, Explanation.MetricValue> Values, string? PlotPath)
{
    /// <summary>Pixel Flipping's features per step as used.</summary>
    public int FeaturesInStep { get; init; }
}

public sealed record SanityOutput(string SourcePath, string Layer, SanityResult Result, string? PlotPath)
{
    /// <summary>What the checked map explains.</summary>
    public CamTarget? Target { get; init; }
}

/// <summary>
/// A batch of images through the trust measures: decode once, compute each method's maps, then measure them. A bad
/// image (or a map that cannot be measured) fails its own item; the others go on.
/// </summary>
public static class TrustJob
{
    public static IReadOnlyList<ItemResult<FaithfulnessOutput>> Faithfulness(LayeredModel model, IReadOnlyList<CamJobItem> items, TrustJobOptions options,
        FaithfulnessOptions metrics, IRunListener listener, CancellationToken cancellation)
    {
        RequireClassScores(model, options, "Measure-CamFaithfulness", boxes: metrics.Score == ScoreKind.Logit);
        return Run(model, items, options, listener, cancellation, (plan, method, pairs, prepared, maps, report) =>
            maps.Select((map, k) => Guard(prepared[pairs[k].Image].Path, () =>
            {
                string source = prepared[pairs[k].Image].Path;
                var image = prepared[pairs[k].Image];
                // A detector's map is judged by its boxes' score (each box's matched IoU and class score) on the changed images.
                var result = map.Target is BoxTarget boxes
                    ? Trust.Faithfulness.Measure(x => ScoreBoxes(model, boxes, x), image.Chw!, image.Shape.Height, image.Shape.Width, map.Map, 0, metrics,
                        new Share(report, k, maps.Count), cancellation) with { ClassIndex = map.ClassIndex }
                    : Trust.Faithfulness.Measure(model, image.Chw!, image.Shape, map.Map, map.ClassIndex, metrics, new Share(report, k, maps.Count), cancellation);
                string? plot = options.PlotPathFor(source, method, map.ClassIndex, "faithfulness");
                if (plot is not null) Plotting.FaithfulnessFigure.Write(plot, options.Force, $"{Path.GetFileName(source)}, {method.Name}", result);
                return new FaithfulnessOutput(source, method, plan.Layer, result, plot) { Target = map.Target };
            })).ToList());
    }

    /// <summary>
    /// Each map's image under seeded stain augmentation (Measure-StainRobustness): the class's probability and the
    /// map's rank correlation with the original's for every copy, and a figure of the spread.
    /// </summary>
    public static IReadOnlyList<ItemResult<StainRobustnessOutput>> StainRobustness(LayeredModel model, IReadOnlyList<CamJobItem> items, TrustJobOptions options,
        StainRobustnessOptions robustness, IRunListener listener, CancellationToken cancellation)
    {
        RequireClassScores(model, options, "Measure-StainRobustness");
        return Run(model, items, options, listener, cancellation, (plan, method, pairs, prepared, maps, report) =>
            maps.Select((map, k) => Guard(prepared[pairs[k].Image].Path, () =>
            {
                var image = prepared[pairs[k].Image];
                string? plot = options.PlotPathFor(image.Path, method, map.ClassIndex, "stain");
                var shown = new List<Stain.StainImage>();
                var result = Trust.StainRobustness.Measure(plan, image, map, map.Target ?? new ClassTarget(map.ClassIndex), method,
                    robustness, listener, cancellation, plot is null ? null : (i, copy) => { if (i < Plotting.StainRobustnessFigure.CopiesShown) shown.Add(copy); });
                report.Report((k + 1.0) / maps.Count);
                if (plot is not null)
                {
                    using var bgr = ImageReader.ReadBgr(image.Path);
                    Plotting.StainRobustnessFigure.Write(plot, options.Force, $"{Path.GetFileName(image.Path)}, {method.Name}", result,
                        Stain.StainImage.FromBgr(bgr, image.Path), shown, options.ClassName?.Invoke(map.ClassIndex));
                }
                return new StainRobustnessOutput(image.Path, method, plan.Layer, result, plot);
            })).ToList());
    }

    /// <summary>
    /// Quantus's metrics of each map or attribution (Measure-Explanation): the explanation at the network input (an
    /// attribution summed over channels), the image's input, its region where one is given, and the model for the
    /// perturbing metrics. A value that is not a number (a region the explanation has no mass in, an explanation of
    /// zeros) is that map's error, naming the metric.
    /// </summary>
    public static IReadOnlyList<ItemResult<ExplanationOutput>> Explanation(LayeredModel model, IReadOnlyList<CamJobItem> items, TrustJobOptions options,
        IReadOnlyList<Explanation.ExplanationMetric> metrics, Explanation.ExplanationOptions settings, IRunListener listener, CancellationToken cancellation)
    {
        // The perturbing metrics read one class's score; Random Logit explains another class as this one was explained.
        var scored = metrics.Where(m => m.NeedsModel || m.Family == Engine.Explanation.MetricFamily.Randomisation).ToList();
        if (scored.Count > 0) RequireClassScores(model, options, "Measure-Explanation's " + string.Join(", ", scored.Select(m => m.Name)));
        return Run(model, items, options with { NeedsAttributionValues = true }, listener, cancellation, (plan, method, pairs, prepared, maps, report) =>
            maps.Select((map, k) => Guard(prepared[pairs[k].Image].Path, () =>
            {
                var image = prepared[pairs[k].Image];
                var (values, height, width) = map.Attribution is { } attribution
                    ? (SumChannels(attribution, map.AttributionHeight * map.AttributionWidth), map.AttributionHeight, map.AttributionWidth)
                    : (map.Map, map.Height, map.Width);
                if (height != image.Shape.Height || width != image.Shape.Width)
                    throw new InvalidOperationException($"The map is {width} x {height}; the network input is {image.Shape.Width} x {image.Shape.Height}.");
                bool[]? mask = metrics.Any(m => m.NeedsMask) && items[pairs[k].Image].Localisation is { } region ? region.AtInput(image, options.Preprocess) : null;
                var sample = new Explanation.ExplanationSample
                {
                    Explanation = values, Height = height, Width = width, Input = image.Chw!, ClassIndex = map.ClassIndex,
                    Mask = mask, Logits = model.Logits, Name = image.Path, Classes = model.NumClasses,
                    // Robustness and randomisation explain noisy copies or other classes as this map was made: the same
                    // method, layers and options; a noisy copy keeps the map's own target, another class gets its kind.
                    Explain = requests => CamEngine.Compute(model,
                            requests.Select(r => new CamItem(r.Input, r.ClassIndex == map.ClassIndex && map.Target is { } own ? own
                                : map.Target is SoftmaxTarget ? new SoftmaxTarget(r.ClassIndex) : new ClassTarget(r.ClassIndex))).ToList(),
                            method, plan.Layers, image.Shape, options.Cam, cancellation)
                        .Select(r => r.Attribution is { } other ? SumChannels(other, r.AttributionHeight * r.AttributionWidth) : r.Map).ToList(),
                };
                var results = new Dictionary<string, Explanation.MetricValue>();
                for (int i = 0; i < metrics.Count; i++)
                {
                    var value = metrics[i].Evaluate(sample, settings, cancellation);
                    if (!double.IsFinite(value.Value) || value.Curve?.Any(v => !double.IsFinite(v)) == true)
                        throw new HeatmapToolsException(ErrorIds.ExplanationMetricUndefined, ErrorKind.InvalidResult,
                            $"{metrics[i].Name} of the {method.Name} explanation of '{image.Path}' (class {map.ClassIndex}) is not a number: " +
                            (metrics[i].NeedsMask ? "the explanation has no mass (or no extent) over the region." : "the explanation is all zeros or the scores are not finite."), image.Path);
                    results[metrics[i].Name] = value;
                    report.Report((k + (i + 1.0) / metrics.Count) / maps.Count);
                }
                string? plot = options.PlotPathFor(image.Path, method, map.ClassIndex, "explanation");
                if (plot is not null && results.Values.Any(v => v.Curve is not null))
                    Plotting.ExplanationFigure.Write(plot, options.Force, $"{Path.GetFileName(image.Path)}, {method.Name}", results);
                else plot = null;
                return new ExplanationOutput(image.Path, method, plan.Layer, map.ClassIndex, results, plot)
                    { FeaturesInStep = settings.StepFor(image.Shape.Channels, height, width) };
            })).ToList());
    }

    internal static float[] SumChannels(float[] chw, int plane)
    {
        var sum = new float[plane];
        for (int c = 0; c < chw.Length / plane; c++)
            for (int i = 0; i < plane; i++) sum[i] += chw[c * plane + i];
        return sum;
    }

    /// <summary>The measures read one class's score off changed images; a map of another target would be judged by a score it does not explain.</summary>
    /// <param name="boxes">Whether the command scores a detector's boxes too (Measure-CamFaithfulness with logits).</param>
    private static void RequireClassScores(LayeredModel model, TrustJobOptions options, string command, bool boxes = false)
    {
        if (model.Info.IsDetection)
        {
            if (boxes) return;
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"{command} scores one class of a classifier{(command == "Measure-CamFaithfulness" ? " as a probability" : "")} on changed images; {model.Name} is a detector, " +
                "whose maps explain boxes. Measure-CamFaithfulness (-Score Logit) scores its boxes; Test-CamSanity checks their maps.", model.Name);
        }
        if (model.Info.IsSegmentation)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"{command} scores one class of a classifier on changed images; {model.Name} is a segmentation model, whose maps explain a category " +
                "over a region. Test-CamSanity checks maps of any target.", model.Name);
        if (options.Target.Kind.KindName is not ("Logit" or "Softmax"))
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"{command} scores one class (its logit or softmax) on changed images, so it judges maps of -Target Logit or Softmax, not {options.Target.Kind.KindName}. " +
                "Test-CamSanity checks maps of any target.", options.Target.Kind.KindName);
    }

    public static IReadOnlyList<ItemResult<SanityOutput>> Sanity(LayeredModel model, IReadOnlyList<CamJobItem> items, TrustJobOptions options,
        SanityOptions sanity, IRunListener listener, CancellationToken cancellation) =>
        Run(model, items, options, listener, cancellation, (plan, method, pairs, prepared, maps, report) =>
        {
            // The whole batch goes through each randomisation step at once; the classes are those the maps explained. A detector's
            // boxes are held to the outputs the trained model matched them with: a randomised model outputs other boxes.
            var camItems = pairs.Select((p, k) => new CamItem(prepared[p.Image].Chw!, maps[k].Target is BoxTarget boxes
                ? boxes.PinnedTo(Predictor.Logits(model, new[] { prepared[p.Image].Chw! }, prepared[p.Image].Shape)[0])
                : maps[k].Target ?? new ClassTarget(maps[k].ClassIndex))).ToList();
            if (pairs.Select(p => prepared[p.Image].Shape).Distinct().Count() > 1)
                throw new HeatmapToolsException(ErrorIds.PreprocessInvalid, ErrorKind.InvalidArgument,
                    "Test-CamSanity runs a batch through each randomised model at once, so its images need one input size: use a fixed -InputSize rather than Native.");
            var results = SanityCheck.Run(model, camItems, method, plan.Layers, prepared[pairs[0].Image].Shape, sanity with { Cam = options.Cam },
                new Share(report, 0, 1), cancellation, maps);
            return results.Select((r, k) => Guard(prepared[pairs[k].Image].Path, () =>
            {
                string source = prepared[pairs[k].Image].Path;
                string? plot = options.PlotPathFor(source, method, r.ClassIndex, "sanity");
                if (plot is not null) Plotting.SanityFigure.Write(plot, options.Force, $"{Path.GetFileName(source)}, {method.Name}", r, options.ClassName?.Invoke(r.ClassIndex));
                return new SanityOutput(source, plan.Layer, r, plot) { Target = maps[k].Target };
            })).ToList();
        });

    private delegate List<ItemResult<T>> Measure<T>(MapPlan plan, CamMethod method, List<(int Image, CamTarget? Target)> pairs, PreparedImage[] prepared,
        IReadOnlyList<CamResult> maps, IProgress<double> report) where T : class;

    private static IReadOnlyList<ItemResult<T>> Run<T>(LayeredModel model, IReadOnlyList<CamJobItem> items, TrustJobOptions options,
        IRunListener listener, CancellationToken cancellation, Measure<T> measure) where T : class
    {
        var plan = MapPlan.Resolve(model, options);
        if (options.PlotFolder is not null) IO.AtomicFile.CreateFolder(options.PlotFolder);
        // An image that cannot be read, or whose target cannot be made (a detector finding nothing in it), is that image's error; the rest go on.
        using var batch = plan.Prepare(items, cancellation);
        var (prepared, pairs) = (batch.Images, batch.Pairs);
        var results = prepared.Where(p => p.Error is not null).Select(p => new ItemResult<T>(p.Path, null, p.Error)).ToList();
        if (pairs.Count == 0) return results;
        for (int m = 0; m < options.Methods.Count; m++)
        {
            cancellation.ThrowIfCancellationRequested();
            var method = options.Methods[m];
            var maps = MapsFor(plan, items, batch, method, options, listener, cancellation);
            // An image whose target its pass could not make leaves the batch with its error (said once).
            int before = pairs.Count;
            var failedBefore = prepared.Where(p => p.Error is not null).ToHashSet();
            maps = batch.Keep(maps);
            if (pairs.Count < before)
                results.AddRange(prepared.Where(p => p.Error is not null && !failedBefore.Contains(p)).Select(p => new ItemResult<T>(p.Path, null, p.Error)));
            if (pairs.Count == 0) break;
            int done = m;
            string status = $"{items.Count} image(s) with {model.Name}";
            var report = new Progress(share => listener.Progress(status, (done + share) / options.Methods.Count));
            results.AddRange(measure(plan, method, pairs, prepared, maps, report));
        }
        // Input order: every result of an image together, as New-CamHeatmap returns them.
        var order = items.Select((item, i) => (item.Path, i)).GroupBy(t => t.Path).ToDictionary(g => g.Key, g => g.First().i);
        return results.OrderBy(r => order.GetValueOrDefault(r.Path, int.MaxValue)).ToList();
    }

    /// <summary>
    /// The maps of every pair: a piped result's held map where its key says it is the very map asked for (a Score-CAM
    /// map costs seconds), the others computed together.
    /// </summary>
    private static IReadOnlyList<CamResult> MapsFor(MapPlan plan, IReadOnlyList<CamJobItem> items, MapBatch batch, CamMethod method, TrustJobOptions options,
        IRunListener listener, CancellationToken cancellation)
    {
        var pairs = batch.Pairs;
        var maps = new CamResult?[pairs.Count];
        for (int k = 0; k < pairs.Count; k++)
            if (items[pairs[k].Image].Map is { } held && pairs[k].Target is { } target
                && !(options.NeedsAttributionValues && method is Attribution.AttributionMethod)
                && held.Key == plan.KeyOf(method, target) && held.TryRead() is { } map)
                maps[k] = new CamResult(map, held.Width, held.Height, target.ClassIndex, held.Score) { Target = target };
        var missing = Enumerable.Range(0, pairs.Count).Where(k => maps[k] is null).ToList();
        listener.Verbose($"{method.Name}: {pairs.Count - missing.Count} of {pairs.Count} map(s) taken from the piped results, {missing.Count} computed.");
        if (missing.Count > 0)
        {
            var computed = plan.Compute(missing.Select(k => (batch.Images[pairs[k].Image], pairs[k].Target)).ToList(), method, listener, cancellation);
            for (int j = 0; j < missing.Count; j++) maps[missing[j]] = computed[j];
        }
        return maps.Select(m => m!).ToList();
    }

    private static ItemResult<T> Guard<T>(string path, Func<T> work) where T : class
    {
        try
        {
            return new ItemResult<T>(path, work(), null);
        }
        catch (HeatmapToolsException ex)
        {
            return new ItemResult<T>(path, null, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new ItemResult<T>(path, null, new HeatmapToolsException(ErrorIds.OutputWriteFailed, ErrorKind.WriteError,
                $"Could not write the figure for '{path}': {ex.Message}", path, ex));
        }
    }

    /// <summary>Synchronous progress (reported on the calling thread, where the cmdlet may write it).</summary>
    private sealed class Progress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }

    /// <summary>Item k of n: its own progress as a share of the whole.</summary>
    private sealed class Share(IProgress<double> whole, int k, int n) : IProgress<double>
    {
        public void Report(double value) => whole.Report((k + value) / n);
    }

    /// <summary>A detector's boxes scored on changed images, the network suppressing its own boxes as the run that found them asked.</summary>
    private static TorchSharp.torch.Tensor ScoreBoxes(Models.LayeredModel model, BoxTarget boxes, TorchSharp.torch.Tensor x)
    {
        using var settings = Detection.DetectionScope.Use(boxes.Options);
        return boxes.Score(model.Logits(x)).unsqueeze(1);
    }
}
