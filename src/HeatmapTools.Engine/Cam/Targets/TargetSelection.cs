using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Targets;

/// <summary>Which targets each image of a batch is explained for: those asked for, or its top classes, of the kind -Target names.</summary>
internal static class TargetSelection
{
    /// <summary>
    /// (image, target) pairs in input order; a null target is the image's top class under the request's kind (its logit,
    /// softmax ...), decided by the pass that makes the map (<see cref="CamOptions.TopKind"/>).
    /// </summary>
    /// <param name="failed">Told of an image whose targets cannot be made (a region that selects nothing, a mask of another
    /// size): that image's error, the rest go on. Without it, the failure is thrown.</param>
    public static List<(int Image, CamTarget? Target)> For(LayeredModel model, IReadOnlyList<CamJobItem> items, IReadOnlyList<PreparedImage> prepared,
        TargetRequest? request = null, PreprocessOptions? preprocess = null, CancellationToken cancellation = default,
        Action<int, HeatmapToolsException>? failed = null)
    {
        request ??= TargetRequest.Default;
        if (request.PerBox && !model.Info.IsDetection)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"-PerBox makes a map per box a detector explains; {model.Name} is not a detector.", model.Name);
        if (model.Info.IsSegmentation) return SegmentPairs(model, items, prepared, request, preprocess, failed);
        if (model.Info.IsDetection) return BoxPairs(model, items, prepared, request, preprocess, failed);
        if (request.Kind.KindName == BoxTarget.Maker.Name || request.Boxes is not null)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"-Target Box and -Box explain a detector's boxes; {model.Name} is not a detector.", model.Name);
        if (request.Kind.KindName == SegmentTarget.Maker.Name)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"-Target Segment, -Region and -RegionMask explain a segmentation model's category over a region; {model.Name} is a classifier.", model.Name);
        var kind = request.Kind;
        var context = new TargetContext(request.ReferenceImage, () => ReferenceFeatures(model, request.ReferenceImage!, preprocess!, cancellation));
        // Several top classes (-Top) are ranked here, in one pass per input shape; the top class alone is found by the
        // pass that makes its map.
        var needRanking = Enumerable.Range(0, items.Count)
            .Where(i => prepared[i].Error is null && items[i].Target is null && kind.UsesClasses && items[i].Classes is null && items[i].Top > 1).ToList();
        var ranked = new Dictionary<int, int[]>();
        foreach (var group in needRanking.GroupBy(i => prepared[i].Shape))
        {
            var members = group.ToList();
            var logits = Predictor.Logits(model, members.Select(i => prepared[i].Chw!).ToList(), group.Key);
            for (int k = 0; k < members.Count; k++)
                ranked[members[k]] = logits[k].Select((v, c) => (v, c)).OrderByDescending(p => p.v).Take(items[members[k]].Top).Select(p => p.c).ToArray();
        }
        return Pairs(items, prepared, i =>
        {
            var classes = items[i].Classes ?? (ranked.TryGetValue(i, out var top) ? top : null);
            return classes is null && kind.UsesClasses ? new CamTarget?[] { null } : kind.For(context, classes ?? Array.Empty<int>());
        });
    }

    /// <summary>(image, target) pairs of the readable images: a target fixed on the item (a piped map's), else those <paramref name="make"/> gives.</summary>
    private static List<(int Image, CamTarget? Target)> Pairs(IReadOnlyList<CamJobItem> items, IReadOnlyList<PreparedImage> prepared,
        Func<int, IEnumerable<CamTarget?>> make, Action<int, HeatmapToolsException>? failed = null)
    {
        var pairs = new List<(int, CamTarget?)>();
        for (int i = 0; i < items.Count; i++)
        {
            if (prepared[i].Error is not null) continue;
            if (items[i].Target is { } fixedTarget) { pairs.Add((i, fixedTarget)); continue; }
            try
            {
                pairs.AddRange(make(i).Select(t => (i, t)).ToList());
            }
            // What is wrong with this image's target (a mask of another size, a region over none of its pixels) is its
            // error; what is wrong with the request itself (a class outside the head) stops the run as before.
            catch (HeatmapToolsException error) when (failed is not null && error.Category is ErrorKind.InvalidData or ErrorKind.InvalidResult)
            {
                failed(i, error);
            }
        }
        return pairs;
    }

    /// <summary>
    /// Refuses a kind of target other than the model's own (Segment for a segmenter, Box for a detector); an explicit
    /// -Target Logit too, since only the default may mean the model's own kind.
    /// </summary>
    private static void RequireOwnKind(TargetRequest request, string own, string what)
    {
        if ((request.Explicit || request.Kind != TargetKind.Default) && request.Kind.KindName != own)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"{what}; -Target {request.Kind.KindName} explains a classifier's output.", request.Kind.KindName);
    }

    /// <summary>A segmentation model's targets: each image's categories (asked for, or its top ones by pixels) over the region asked for.</summary>
    private static List<(int Image, CamTarget? Target)> SegmentPairs(LayeredModel model, IReadOnlyList<CamJobItem> items, IReadOnlyList<PreparedImage> prepared,
        TargetRequest request, PreprocessOptions? preprocess, Action<int, HeatmapToolsException>? failed)
    {
        RequireOwnKind(request, SegmentTarget.Maker.Name,
            $"{model.Name} is a segmentation model: its maps explain a category over a region (-Target Segment, the default, with -Region or -RegionMask)");
        // A target read off the prediction (categories asked for over their predicted pixels, or the top category) is made
        // from the output of the pass that maps it (PredictedSegmentTarget). Several top categories are ranked here
        // first, the images together, one pass per input shape, as a classifier's -Top is.
        bool fromMapPass(int i) => request.Region.NeedsPrediction(items[i].Classes) && (items[i].Classes is not null || items[i].Top <= 1);
        var outputs = new Dictionary<int, float[]>();
        var predict = Enumerable.Range(0, items.Count)
            .Where(i => prepared[i].Error is null && items[i].Target is null && request.Region.NeedsPrediction(items[i].Classes) && !fromMapPass(i)).ToList();
        foreach (var group in predict.GroupBy(i => prepared[i].Shape))
        {
            var members = group.ToList();
            var logits = Predictor.Logits(model, members.Select(i => prepared[i].Chw!).ToList(), group.Key);
            for (int k = 0; k < members.Count; k++) outputs[members[k]] = logits[k];
        }
        return Pairs(items, prepared, i => !fromMapPass(i)
            ? request.Region.TargetsFor(prepared[i], items[i].Classes, items[i].Top, preprocess, () => outputs[i])
            : (items[i].Classes?.Select(c => (int?)c) ?? new int?[] { null }).Select(c => new PredictedSegmentTarget(request.Region, c, prepared[i], preprocess)).ToList(), failed);
    }

    /// <summary>
    /// A detector's targets: one per image for the boxes typed with -Box, else those piped with it, else its own detections
    /// (found in one forward pass per input shape; of the classes asked for, when some are); an image where nothing is
    /// detected is that image's error.
    /// </summary>
    private static List<(int Image, CamTarget? Target)> BoxPairs(LayeredModel model, IReadOnlyList<CamJobItem> items, IReadOnlyList<PreparedImage> prepared,
        TargetRequest request, PreprocessOptions? preprocess, Action<int, HeatmapToolsException>? failed)
    {
        RequireOwnKind(request, BoxTarget.Maker.Name, $"{model.Name} is a detector: its maps explain boxes (-Target Box, the default: its detections, or -Box with -ClassIndex)");
        if (preprocess is null) throw new ArgumentNullException(nameof(preprocess), "A detector's boxes are placed through the preprocessing.");
        var layout = model.Info.Detection!;
        var settings = request.Detection.For(model.Info);
        // Boxes given (typed, or piped) become targets here; the rest are the image's own detections.
        var given = new Dictionary<int, BoxTarget>();
        for (int i = 0; i < items.Count; i++)
        {
            if (prepared[i].Error is not null || items[i].Target is not null || (request.Boxes ?? items[i].Boxes) is not { Count: > 0 } boxes) continue;
            given[i] = new BoxTarget(layout, model.NumClasses, boxes, Detection.BoxGeometry.Of(preprocess, prepared[i].Width, prepared[i].Height, prepared[i].Shape)) { Options = settings };
        }
        // One forward pass per input shape finds the detections, and checks every given box is one the model outputs.
        var own = new Dictionary<int, IReadOnlyList<Detection.DetectedBox>>();
        var notFinite = new Dictionary<int, float>();
        var unmatched = new Dictionary<int, IReadOnlyList<LabelledBox>>();
        var run = Enumerable.Range(0, items.Count).Where(i => prepared[i].Error is null && items[i].Target is null && (request.Boxes ?? items[i].Boxes) is not { Count: 0 }).ToList();
        foreach (var group in run.GroupBy(i => prepared[i].Shape))
        {
            var members = group.ToList();
            using var scope = NewDisposeScope();
            using var inference = inference_mode();
            var output = Detection.Detector.Outputs(model, members.Select(i => prepared[i].Chw!).ToList(), group.Key, settings);
            var found = Detection.Detector.Detect(output, layout, settings, (k, value) => notFinite[members[k]] = value);
            for (int k = 0; k < members.Count; k++)
            {
                if (given.TryGetValue(members[k], out var target)) unmatched[members[k]] = target.Unmatched(output[k]);
                else own[members[k]] = found[k];
            }
        }
        return Pairs(items, prepared, i =>
        {
            var image = prepared[i];
            if (notFinite.TryGetValue(i, out float bad))
                throw new HeatmapToolsException(ErrorIds.ScoreNotFinite, ErrorKind.InvalidResult,
                    $"{model.Name} scores '{image.Path}' {bad}: its detections cannot be ranked. The weights or the input overflow.", image.Path);
            if (given.TryGetValue(i, out var target))
            {
                if (unmatched[i] is { Count: > 0 } lost)
                    throw new HeatmapToolsException(ErrorIds.BoxNotMatched, ErrorKind.InvalidData,
                        $"{model.Name} outputs no box in '{image.Path}' that matches {string.Join("; ", lost.Select(b => $"class {b.ClassIndex} at {b.Box}"))} " +
                        "(IoU above 0.5 with an output box of that class): the map would not explain it. Give boxes the model detects (Get-ClassPrediction's Detections).", image.Path);
                return Split(target);
            }
            // An image piped with no detections has nothing to explain: a map of no boxes would be blank, not an answer.
            if (!own.TryGetValue(i, out var all))
                throw new HeatmapToolsException(ErrorIds.NothingDetected, ErrorKind.InvalidData,
                    $"'{image.Path}' came with no boxes to explain (its detections are empty). Lower -ScoreThreshold where they were found, or give -Box.", image.Path);
            var geometry = Detection.BoxGeometry.Of(preprocess, image.Width, image.Height, image.Shape);
            var found = all.Where(d => geometry.Shows(d.InputBox) && (items[i].Classes is not { } classes || classes.Contains(d.ClassIndex))).ToList();
            if (found.Count == 0)
                throw new HeatmapToolsException(ErrorIds.NothingDetected, ErrorKind.InvalidData,
                    $"{model.Name} detects nothing{(items[i].Classes is { } asked ? $" of class {string.Join(", ", asked)}" : "")} in '{image.Path}' above score " +
                    $"{settings.Score}: there is no box to explain. Lower -ScoreThreshold, or give the boxes with -Box and -ClassIndex.", image.Path);
            return Split(new BoxTarget(layout, model.NumClasses, found.Select(d => new LabelledBox(d.ClassIndex, geometry.ToPhoto(d.InputBox))).ToList(), geometry) { Options = settings });

            // -PerBox: each box its own target, numbered in the order given (detections best first).
            CamTarget?[] Split(BoxTarget all) => !request.PerBox ? new CamTarget?[] { all }
                : all.PhotoBoxes.Select((b, k) => (CamTarget?)new BoxTarget(layout, model.NumClasses, new[] { b }, Detection.BoxGeometry.Of(preprocess, image.Width, image.Height, image.Shape))
                    { Options = settings, Number = k + 1 }).ToArray();
        }, failed);
    }

    // Per model, so a long run decodes and runs its reference once, not once per batch; keyed by the file's stamp too, so a
    // reference rewritten since is read again.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<LayeredModel, System.Collections.Concurrent.ConcurrentDictionary<string, float[]>> Known = new();

    /// <summary>The reference image's pooled features, prepared as the images are.</summary>
    private static float[] ReferenceFeatures(LayeredModel model, string path, PreprocessOptions preprocess, CancellationToken cancellation)
    {
        string key = $"{path}|{IO.FileStamp.Of(path)}|{preprocess.Signature}";
        var known = Known.GetOrCreateValue(model);
        if (known.TryGetValue(key, out var features)) return features;
        return known[key] = ComputeFeatures(model, path, preprocess, cancellation);
    }

    private static float[] ComputeFeatures(LayeredModel model, string path, PreprocessOptions preprocess, CancellationToken cancellation)
    {
        var reference = InputBatch.Prepare(new[] { path }, preprocess, cancellation)[0];
        if (reference.Error is { } error) throw error;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = Predictor.Stack(new[] { reference.Chw! }, reference.Shape);
        return model.PooledFeatures(input, 0).contiguous().data<float>().ToArray();
    }
}
