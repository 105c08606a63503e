using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;

namespace HeatmapTools.Engine.Trust;

/// <summary>One image under two models: what each predicts, and how alike their maps of the same class are.</summary>
public sealed record MapComparisonResult(string Path, int ClassIndex, int ReferenceClass, int DifferenceClass, double ReferenceProbability,
    double DifferenceProbability, double Spearman, double Ssim)
{
    /// <summary>The two overlays side by side (reference left), when a figure folder was given.</summary>
    public string? Figure { get; init; }

    /// <summary>Quantus's metrics of each model's explanation, when asked for (by name).</summary>
    public IReadOnlyDictionary<string, double>? ReferenceMetrics { get; init; }
    public IReadOnlyDictionary<string, double>? DifferenceMetrics { get; init; }
}

/// <summary>Quantus's metrics to judge both models' explanations by, with their settings.</summary>
public sealed record ComparisonMetrics(IReadOnlyList<Explanation.ExplanationMetric> Metrics, Explanation.ExplanationOptions Settings);

/// <summary>
/// Compares the maps two models (old and new weights of one architecture) make of the same images: the class the
/// reference model ranks first (or the one asked for) is explained under both, so the maps answer the same question;
/// Spearman's rank correlation and SSIM measure how alike they are, as the sanity check does.
/// </summary>
public static class MapComparison
{
    /// <param name="plan">How the maps are made, resolved on the reference model; the candidate runs the same request (<see cref="MapPlan.On"/>).</param>
    public static IReadOnlyList<ItemResult<MapComparisonResult>> Compare(MapPlan plan, LayeredModel difference, IReadOnlyList<string> paths,
        CamMethod method, int? classIndex, CancellationToken cancellation,
        string? figureFolder = null, bool force = false, ISet<string>? figuresWritten = null, ComparisonMetrics? metrics = null)
    {
        var reference = plan.Model;
        figuresWritten ??= new HashSet<string>(StringComparer.Ordinal);
        if (reference.NumClasses != difference.NumClasses || reference.Info.Name != difference.Info.Name)
            throw new HeatmapToolsException(ErrorIds.WeightsMismatch, ErrorKind.InvalidArgument,
                $"The two models differ in architecture or head ({reference.Info.Name}, {reference.NumClasses} classes against {difference.Info.Name}, " +
                $"{difference.NumClasses}): their maps of one layer and class cannot be compared.", difference.WeightsFile);
        if (reference.Info.IsSegmentation)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"Compare-CamHeatmap explains a classifier's class under both models; {reference.Name} is a segmentation model.", reference.Name);
        if (reference.Info.IsDetection)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"Compare-CamHeatmap explains a classifier's class under both models; {reference.Name} is a detector, whose boxes differ between the two.", reference.Name);
        if (classIndex is int asked && (asked < 0 || asked >= reference.NumClasses))
            throw new HeatmapToolsException(ErrorIds.UnknownClass, ErrorKind.InvalidArgument, $"Class index {asked} is outside 0..{reference.NumClasses - 1}.", asked);
        var candidate = plan.On(difference);
        using var batch = plan.Prepare(paths.Select(p => new CamJobItem(p, classIndex is int c ? new[] { c } : null)).ToList(), cancellation);
        var prepared = batch.Images;
        var targets = batch.Pairs.ToDictionary(p => p.Image, p => p.Target);
        var results = new ItemResult<MapComparisonResult>?[prepared.Length];
        for (int i = 0; i < prepared.Length; i++)
            if (prepared[i].Error is { } error) results[i] = new ItemResult<MapComparisonResult>(prepared[i].Path, null, error);
        // The batch goes through each model together, once a model: the reference's pass chooses the class (its top one
        // unless one is asked for) and makes its maps; the candidate's explains that class. Each map carries its pass's logits.
        int compared = 0, total = prepared.Count(p => p.Error is null);
        foreach (var group in Enumerable.Range(0, prepared.Length).Where(i => prepared[i].Error is null).GroupBy(i => prepared[i].Shape))
        {
            cancellation.ThrowIfCancellationRequested();
            Running.RunScope.Current.Progress($"Comparing the maps of {compared} of {total} images", (double)compared / total);
            var members = group.ToList();
            compared += members.Count;
            var mapsA = plan.Compute(members.Select(i => (prepared[i], targets[i])).ToList(), method, SilentListener.Instance, cancellation);
            var mapsB = candidate.Compute(members.Select((i, k) => (prepared[i], (Cam.Targets.CamTarget?)new Cam.Targets.ClassTarget(mapsA[k].ClassIndex))).ToList(),
                method, SilentListener.Instance, cancellation);
            // Plain arrays, and libtorch idle: the agreements (a sort and a filtered image each) on all cores.
            var agreements = new (double Spearman, double Ssim)[members.Count];
            Parallel.For(0, members.Count, new ParallelOptions { CancellationToken = cancellation, MaxDegreeOfParallelism = Scaling.CpuAllocation.Current.Threads },
                k => agreements[k] = Agreement(mapsA[k].Map, mapsB[k].Map, mapsA[k].Height, mapsA[k].Width));
            for (int k = 0; k < members.Count; k++)
            {
                var image = prepared[members[k]];
                try
                {
                    results[members[k]] = new ItemResult<MapComparisonResult>(image.Path, One(plan, candidate, image, method, mapsA[k], mapsB[k], agreements[k],
                        cancellation, figureFolder, force, figuresWritten, metrics), null);
                }
                catch (HeatmapToolsException ex)
                {
                    results[members[k]] = new ItemResult<MapComparisonResult>(image.Path, null, ex);
                }
            }
        }
        return results.Select(r => r!).ToList();
    }

    private static MapComparisonResult One(MapPlan reference, MapPlan difference, PreparedImage image, CamMethod method,
        CamResult mapA, CamResult mapB, (double Spearman, double Ssim) agreement, CancellationToken cancellation, string? figureFolder, bool force,
        ISet<string> written, ComparisonMetrics? metrics)
    {
        var a = mapA.Logits!;
        var b = mapB.Logits!;
        int c = mapA.ClassIndex;
        var (spearman, ssim) = agreement;
        string? figure = figureFolder is null ? null : Figure(image.Path, mapA, mapB, figureFolder, force, written, $"Spearman {spearman:0.000}, SSIM {ssim:0.000}");
        return new MapComparisonResult(image.Path, c, ArgMax(a), ArgMax(b), ClassProbabilities.Softmax(a)[c], ClassProbabilities.Softmax(b)[c], spearman, ssim)
        {
            Figure = figure,
            ReferenceMetrics = metrics is null ? null : Judge(reference, "reference", image, mapA, method, c, metrics, cancellation),
            DifferenceMetrics = metrics is null ? null : Judge(difference, "candidate", image, mapB, method, c, metrics, cancellation),
        };
    }

    /// <summary>
    /// Quantus's metrics of one model's explanation of class <paramref name="c"/>, judged as Measure-Explanation judges
    /// it (at the network input, an attribution summed over channels; noisy copies and other classes explained again by
    /// the same model and method). A value that is not a number is the image's error, naming the metric and the model.
    /// </summary>
    private static Dictionary<string, double> Judge(MapPlan plan, string role, PreparedImage image, CamResult map, CamMethod method,
        int c, ComparisonMetrics metrics, CancellationToken cancellation)
    {
        var model = plan.Model;
        // That image's error, not the run's: only HeatmapToolsException is caught per image.
        if (map.Height != image.Shape.Height || map.Width != image.Shape.Width)
            throw new HeatmapToolsException(ErrorIds.MapsNotComparable, ErrorKind.InvalidData,
                $"The {role} model's map of '{image.Path}' is {map.Width} x {map.Height}; its metrics are taken at the network input, {image.Shape.Width} x {image.Shape.Height}.", image.Path);
        float[] Values(CamResult r) => r.Attribution is { } chw ? TrustJob.SumChannels(chw, r.AttributionHeight * r.AttributionWidth) : r.Map;
        var sample = new Explanation.ExplanationSample
        {
            Explanation = Values(map), Height = image.Shape.Height, Width = image.Shape.Width, Input = image.Chw!, ClassIndex = c,
            Logits = model.Logits, Name = image.Path, Classes = model.NumClasses,
            Explain = requests => CamEngine.Compute(model, requests.Select(r => new CamItem(r.Input, new Cam.Targets.ClassTarget(r.ClassIndex))).ToList(),
                method, plan.Layers, image.Shape, plan.Cam, cancellation).Select(Values).ToList(),
        };
        var values = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (var metric in metrics.Metrics)
        {
            double value = metric.Evaluate(sample, metrics.Settings, cancellation).Value;
            if (!double.IsFinite(value))
                throw new HeatmapToolsException(ErrorIds.ExplanationMetricUndefined, ErrorKind.InvalidResult,
                    $"{metric.Name} of the {role} model's {method.Name} explanation of '{image.Path}' (class {c}) is not a number: the explanation is all zeros or the scores are not finite.", image.Path);
            values[metric.Name] = value;
        }
        return values;
    }

    /// <summary>The photo with the reference's map (left) and the candidate's (right), captioned with their agreement; written atomically.</summary>
    private static string Figure(string source, CamResult reference, CamResult difference, string folder, bool force, ISet<string> written, string caption)
    {
        // Two photos of one name (from two folders) would write one figure: the second is refused, with -Force too.
        string path = Path.GetFullPath(Path.Combine(folder, Path.GetFileNameWithoutExtension(source) + "_compare.png"));
        if (!written.Add(path))
            throw new HeatmapToolsException(ErrorIds.OutputNameRepeated, ErrorKind.ResourceExists,
                $"'{source}' would write '{path}', which an earlier image of this run wrote: give the photos distinct names.", source);
        using var photo = ImageReader.ReadBgr(source);
        // Drawn as New-CamHeatmap draws its overlays by default.
        var colormap = Rendering.Colormaps.Parse(Rendering.OverlayDefaults.Colormap);
        using var left = Rendering.OverlayRenderer.Render(photo, reference.Map, reference.Width, reference.Height, colormap, Rendering.OverlayDefaults.MapAlpha);
        using var right = Rendering.OverlayRenderer.Render(photo, difference.Map, difference.Width, difference.Height, colormap, Rendering.OverlayDefaults.MapAlpha);
        using var pair = new OpenCvSharp.Mat();
        OpenCvSharp.Cv2.HConcat(new[] { left, right }, pair);
        using var title = Rendering.TextRenderer.Caption($"{Path.GetFileName(source)}: reference | candidate; {caption}", pair.Width, 24);
        using var figure = new OpenCvSharp.Mat();
        OpenCvSharp.Cv2.VConcat(new[] { title, pair }, figure);
        IO.AtomicFile.CreateFolder(folder);
        IO.AtomicFile.Write(path, force, stream => Rendering.ImageEncoder.Encode(figure, "png", stream, note: "Compare-CamHeatmap"), new HashSet<string> { source });
        return path;
    }

    /// <summary>How alike two maps of one size are: Spearman's rank correlation and SSIM.</summary>
    public static (double Spearman, double Ssim) Agreement(float[] a, float[] b, int height, int width) =>
        (Similarity.Spearman(a, b), Similarity.Ssim(a, b, height, width));

    private static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
