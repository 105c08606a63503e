using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Native;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;
using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam;

/// <summary>One image to explain: its network input and what to explain (null: the logit of its top-1 class).</summary>
public sealed record CamItem(float[] Chw, Targets.CamTarget? Target);

public sealed record CamOptions
{
    /// <summary>How many ablated copies of the activations (Ablation-CAM) go through the layers above the target at once.</summary>
    public int ChunkSize { get; init; } = 64;

    /// <summary>
    /// How many masked inputs (Score-CAM) go through the whole network at once: larger chunks pass fewer, wider batches
    /// (large freed blocks are reused, <see cref="NativeHeap"/>), while memory grows with the chunk.
    /// </summary>
    public int ScoreChunkSize { get; init; } = 16;

    /// <summary>
    /// An SVD fixes the principal direction only up to sign, so Eigen-CAM maps can come out inverted. By default the
    /// sign is chosen so the projection agrees with the mean activation (bright where the layer responds); this flips it.
    /// </summary>
    public bool FlipEigenSign { get; init; }

    /// <summary>pytorch-grad-cam's eigen_smooth: the map is the first principal component of the weighted activations
    /// rather than their sum. Methods whose map is not a weighting of channels (EigenCAM, EigenGradCAM, classic CAM on a
    /// convolutional head) are unchanged by it.</summary>
    public bool EigenSmooth { get; init; }

    /// <summary>
    /// pytorch-grad-cam's aug_smooth: the mean of the maps of six copies of each image (mirrored or not, times 0.9, 1
    /// and 1.1 in the normalised input space, as its default ttach transforms), each map mirrored back. Without a class
    /// asked for, each copy explains its own top class, as pytorch-grad-cam does.
    /// </summary>
    public bool AugSmooth { get; init; }

    /// <summary>A detector's map renormalised inside each box it explains (pytorch-grad-cam's Faster R-CNN tutorial); other maps are left as they are.</summary>
    public bool RenormalizeInBoxes { get; init; }

    /// <summary>Settings of the pixel attribution methods (Integrated Gradients, Occlusion, ...).</summary>
    public Attribution.AttributionOptions Attribution { get; init; } = new();

    /// <summary>
    /// What an item without a target explains of its top class, chosen from the batch's own logits in the pass that makes
    /// the map (-Target Softmax: its softmax), so choosing it costs no pass of its own; the logit when null.
    /// </summary>
    public Targets.TargetKind? TopKind { get; init; }

    /// <summary>
    /// An item's target, or the <see cref="TopKind"/> target of the class its logits rank first; a target that reads the
    /// image's prediction is made from <paramref name="output"/>, the item's output in the same pass.
    /// </summary>
    internal Targets.CamTarget TargetFor(CamItem item, Func<int> topClass, Func<float[]> output) =>
        item.Target is Targets.PredictedSegmentTarget predicted ? predicted.From(output()) :
        item.Target ?? (TopKind is { UsesClasses: true } kind
            ? kind.For(new Targets.TargetContext(null, Array.Empty<float>), new[] { topClass() }).Single()
            : new Targets.ClassTarget(topClass()));
}

/// <summary>
/// A map at the network's input resolution, in [0,1], row-major; for Guided Grad-CAM also the guided backpropagation
/// gradients of the input (3 x Height x Width, channels as the network input: RGB).
/// </summary>
/// <summary>A map scaled to [0, 1]; <see cref="RawMin"/> and <see cref="RawMax"/> are what 0 and 1 stood for before pytorch-grad-cam's scaling.</summary>
public sealed record CamResult(float[] Map, int Width, int Height, int ClassIndex, float Score, float[]? Guided = null, float RawMin = 0, float RawMax = 1)
{
    /// <summary>What the map explains (the class's logit unless a target said otherwise).</summary>
    public Targets.CamTarget? Target { get; init; }

    /// <summary>A pixel attribution's values, C x H x W at the network input (the map is their picture); null for CAMs.</summary>
    public float[]? Attribution { get; init; }

    /// <summary>
    /// Why this item has no map: its target, made from the pass's output, selects nothing (a category predicted at no
    /// pixel). Its map is then that of an empty target and means nothing; <see cref="MapBatch.Keep"/> takes the image out.
    /// </summary>
    public HeatmapToolsException? Error { get; init; }

    /// <summary>The image's logits in the pass that made the map (a classifier's; null for segmenters and detectors), so a
    /// caller that needs the prediction too runs no pass of its own.</summary>
    public float[]? Logits { get; init; }

    /// <summary>The network input's size the attribution is laid out at (the map may be placed back on the image since).</summary>
    public int AttributionWidth { get; init; }
    public int AttributionHeight { get; init; }
}

/// <summary>Computes class activation maps for a batch; every tensor dies with the batch's dispose scope.</summary>
public static class CamEngine
{
    /// <param name="layers">The target layers, resolved once for the run (<see cref="LayerSelection.Resolve"/>); on another
    /// network of the architecture (a randomised copy) they are found again by name.</param>
    public static IReadOnlyList<CamResult> Compute(LayeredModel model, IReadOnlyList<CamItem> items, CamMethod method,
        MapLayers layers, InputShape shape, CamOptions? options, CancellationToken cancellation, IRunListener? listener = null)
    {
        if (options is not { RenormalizeInBoxes: true }) return ComputeMaps(model, items, method, layers, shape, options, cancellation, listener);
        if (!model.Info.IsDetection)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"-RenormalizeInBoxes renormalises a detector's map inside its boxes; {model.Name} is not a detector.", model.Name);
        // After smoothing, as the tutorial renormalises the finished map; at the network input, where the boxes are.
        var maps = ComputeMaps(model, items, method, layers, shape, options with { RenormalizeInBoxes = false }, cancellation, listener);
        return maps.Select(m => m.Target is Targets.BoxTarget boxes
            ? m with { Map = Detection.InBoxes.Renormalize(m.Map, m.Width, m.Height, boxes.InputBoxes.Select(b => b.Box)) } : m).ToList();
    }

    private static IReadOnlyList<CamResult> ComputeMaps(LayeredModel model, IReadOnlyList<CamItem> items, CamMethod method,
        MapLayers layers, InputShape shape, CamOptions? options, CancellationToken cancellation, IRunListener? listener)
    {
        options ??= new CamOptions();
        listener ??= SilentListener.Instance;
        if (items.Count == 0) return Array.Empty<CamResult>();
        if (method is Attribution.AttributionMethod attribution) return Attribution.AttributionEngine.Compute(model, items, attribution, shape, options, cancellation);
        if (options.AugSmooth) return AugmentationSmoothing.Compute(model, items, method, layers, shape, options, cancellation, listener);
        var targetLayers = layers.On(model).Targets;
        cancellation.ThrowIfCancellationRequested();

        using var scope = NewDisposeScope();
        // A detector that suppresses its own boxes outputs them as the run that chose the boxes asked.
        using var detection = Detection.DetectionScope.Use(items.Select(i => i.Target).OfType<Targets.BoxTarget>().FirstOrDefault()?.Options);
        var input = Predictor.Stack(items.Select(i => i.Chw).ToList(), shape);
        bool gradients = method.UsesGradients;
        var forward = CapturedForward.Run(model, input, targetLayers, gradients);
        try
        {
            return Finish(model, items, method, targetLayers, shape, options, forward, input, gradients, listener, cancellation);
        }
        finally
        {
            foreach (var t in forward.Owned) t.Dispose();
        }
    }

    private static IReadOnlyList<CamResult> Finish(LayeredModel model, IReadOnlyList<CamItem> items, CamMethod method, IReadOnlyList<LayerTarget> targetLayers,
        InputShape shape, CamOptions options, CapturedForward forward, Tensor input, bool gradients, IRunListener listener, CancellationToken cancellation)
    {
        var (targets, errors) = ResolveTargets(items, forward.Logits, model, options);
        var classes = targets.Select(t => (long)t.ClassIndex).ToArray();
        var scores = forward.Scores(targets);

        IList<Tensor>? grads = null;
        if (gradients)
        {
            // libtorch aborts the process on a gradient of a tensor the score was not computed from: refused here instead.
            var total = scores.sum();
            int unlinked = forward.GradientTargets.ToList().FindIndex(t => !t.requires_grad);
            if (unlinked >= 0 || !total.requires_grad)
            {
                var name = targetLayers[Math.Max(unlinked, 0)].Name;
                throw new HeatmapToolsException(ErrorIds.MethodNotApplicable, ErrorKind.InvalidOperation,
                    $"The target's score on {model.Name} is not computed from '{name}', so {method.Name} has no gradient there; choose a layer the score depends on.", name);
            }
            grads = autograd.grad(new[] { total }, forward.GradientTargets.ToList(), retain_graph: false);
        }

        var perLayer = new List<(float[] Maps, int H, int W)>();
        using (no_grad())
        {
            for (int l = 0; l < targetLayers.Count; l++)
            {
                var target = targetLayers[l];
                // Transformer tokens become maps here; gradients take the same (linear) reshape.
                var map = method.Map(new CamContext
                {
                    Model = model,
                    Input = input,
                    Layer = target,
                    Activations = model.ToMaps(target, forward.Activations[l].detach()),
                    Gradients = grads is null ? null : model.ToMaps(target, grads[l]),
                    Logits = forward.Logits.detach(),
                    Targets = targets,
                    Classes = classes,
                    Options = options,
                    Cancellation = cancellation,
                    Listener = listener,
                });
                map = map.to_type(ScalarType.Float32).contiguous();
                perLayer.Add((map.data<float>().ToArray(), (int)map.shape[1], (int)map.shape[2]));
            }
        }

        var scoreValues = scores.detach().data<float>().ToArray();
        var logitRows = model.Info.IsSegmentation || model.Info.IsDetection ? null : Predictor.Rows(forward.Logits.detach());
        float[]? guided = method.UsesGuidedBackprop ? GuidedBackprop.InputGradients(model, input, targets).contiguous().data<float>().ToArray() : null;
        var results = new CamResult[items.Count];
        var (channels, height, width) = shape;
        // A detector's layers cover its padded batch: maps are stretched over that and cut to the photo.
        var extent = model.Network is Models.Detectors.IMapView view ? view.Extent(height, width) : (1.0, 1.0);
        // Plain arrays from here on, and libtorch is idle: the maps are finished on all cores.
        Parallel.For(0, items.Count, new ParallelOptions { CancellationToken = cancellation, MaxDegreeOfParallelism = Scaling.CpuAllocation.Current.Threads }, b =>
        {
            var maps = perLayer.Select(p => p.Maps.AsSpan(b * p.H * p.W, p.H * p.W).ToArray()).ToList();
            var combined = CamPostProcessor.Combine(maps, perLayer.Select(p => (p.H, p.W)).ToList(), width, height, out float rawMin, out float rawMax, extent);
            int plane = channels * height * width;
            results[b] = new CamResult(combined, width, height, targets[b].ClassIndex, scoreValues[b], guided?.AsSpan(b * plane, plane).ToArray(), rawMin, rawMax)
                { Target = targets[b], Logits = logitRows?[b], Error = errors[b] };
        });
        return results;
    }

    /// <summary>
    /// Each item's target; without one, the class the model ranks first for it (its logit, or as <see cref="CamOptions.TopKind"/>
    /// says); one that reads the prediction, made from this pass's output. An item whose target selects nothing gets an
    /// error and a target scoring 0, so the rest of the batch is mapped as if it were not there.
    /// </summary>
    internal static (Targets.CamTarget[] Targets, HeatmapToolsException?[] Errors) ResolveTargets(IReadOnlyList<CamItem> items, Tensor logits,
        LayeredModel model, CamOptions options)
    {
        long[]? top = null;
        var targets = new Targets.CamTarget[items.Count];
        var errors = new HeatmapToolsException?[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            if (items[i].Target is { } target) target.Validate(model);
            else if (model.Info.IsSegmentation)
                throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                    $"{model.Name} is a segmentation model: a map needs a category and region to explain (SegmentTarget), not a top class.", model.Name);
            else if (model.Info.IsDetection)
                throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                    $"{model.Name} is a detector: a map needs boxes to explain (BoxTarget), not a top class.", model.Name);
            else top ??= logits.detach().argmax(1).data<long>().ToArray();
            int row = i;
            try
            {
                targets[i] = options.TargetFor(items[i], () => (int)top![row], () => logits.detach()[row].to_type(ScalarType.Float32).contiguous().data<float>().ToArray());
            }
            catch (HeatmapToolsException error) when (items[i].Target is Targets.PredictedSegmentTarget predicted && error.Category is ErrorKind.InvalidData)
            {
                (targets[i], errors[i]) = (predicted.Nothing(), error);
            }
        }
        return (targets, errors);
    }
}
