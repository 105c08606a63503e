using HeatmapTools.Engine.Detection;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models.Detectors;

/// <summary>What a torchvision detector's constructor fixes for its transform and post-processing.</summary>
internal interface IDetectorSettings
{
    int MinSize { get; }
    int MaxSize { get; }
    DetectionOptions Defaults { get; }

    /// <summary>SSD's fixed_size: the side of the square every photo is resized to, unpadded; null to resize by min/max size.</summary>
    int? FixedSize => null;

    /// <summary>The transform's image_mean and image_std (ImageNet's unless the constructor gives others).</summary>
    float[] Mean => new[] { 0.485f, 0.456f, 0.406f };
    float[] Std => new[] { 0.229f, 0.224f, 0.225f };
}

/// <summary>
/// A torchvision detector at test time, as three stages named as the layers a user picks: <c>transform</c>
/// (GeneralizedRCNNTransform: ImageNet normalisation, resize by min/max size, zero padding to a multiple of 32),
/// <c>backbone</c> (a body with FPN, its levels packed into one activation) and <c>heads</c> (the weights above the
/// backbone, so Test-CamSanity's cascade re-draws them first). It takes the photo whole in [0, 1]; its output is the
/// detections in photo pixels as <see cref="TorchvisionOutput"/> lays them out, differentiable through their scores and boxes.
/// </summary>
internal abstract class TorchvisionDetector : Module<Tensor, Tensor>, IMapView
{
    private readonly IDetectorSettings _settings;

    protected TorchvisionDetector(string name, IDetectorSettings settings) : base(name) => _settings = settings;

    protected abstract Module<Tensor, Tensor> Backbone { get; }

    /// <summary>Whether <c>backbone</c>'s map joins the levels at the finest's size rather than the coarsest's (see <see cref="PackedLevels.Joined"/>).</summary>
    protected virtual bool JoinAtFinest => false;

    /// <summary>The modules above the backbone by their state-dict names (rpn and roi_heads; head).</summary>
    protected abstract IEnumerable<(string Name, Module Module)> HeadModules { get; }

    /// <summary>The detections (samples x rows x (4 + classes), photo pixels) from the packed levels.</summary>
    protected abstract Tensor Heads(Tensor packed);

    public override Tensor forward(Tensor input) => Heads(Backbone.call(Transform(input)));

    public IReadOnlyList<Stage> Stages() => new[]
    {
        new Stage("transform", new FunctionStage("GeneralizedRCNNTransform", Transform)),
        new Stage("backbone", Backbone),
        new Stage("heads", new HeadsStage(HeadModules, Heads)),
    };

    /// <summary>The heads as one stage: it holds the modules above the backbone (their keys as torchvision's) and runs them.</summary>
    private sealed class HeadsStage : Module<Tensor, Tensor>
    {
        private readonly Func<Tensor, Tensor> _run;

        public HeadsStage(IEnumerable<(string Name, Module Module)> parts, Func<Tensor, Tensor> run) : base("DetectorHeads")
        {
            _run = run;
            foreach (var (name, module) in parts) register_module(name, module);
        }

        public override Tensor forward(Tensor input) => _run(input);
    }

    /// <summary>The packed FPN levels of <c>backbone</c> as pytorch-grad-cam's fasterrcnn_reshape_transform joins them.</summary>
    public Tensor? Maps(string target, Tensor x) =>
        target.Equals("backbone", StringComparison.OrdinalIgnoreCase) && x.dim() == 4 && x.shape[2] == 1 ? PackedLevels.Joined(x, JoinAtFinest) : null;

    /// <summary>
    /// The photo's placement on a map of <c>backbone</c> (or any layer of the padded batch): the batch's extent over the
    /// photo's, per axis, so a map is stretched over the batch and cut to the photo rather than stretched over the photo.
    /// </summary>
    public (double Width, double Height) Extent(int photoHeight, int photoWidth)
    {
        var pass = RcnnPass.For(photoHeight, photoWidth, _settings);
        return ((double)pass.PaddedWidth / pass.Width, (double)pass.PaddedHeight / pass.Height);
    }

    /// <summary>GeneralizedRCNNTransform: normalisation, bilinear resize (align_corners false), zero padding to a multiple of 32 (none at a fixed size).</summary>
    private Tensor Transform(Tensor x)
    {
        int height = (int)x.shape[2], width = (int)x.shape[3];
        var pass = RcnnPass.For(height, width, _settings);
        RcnnPass.Begin(pass);
        var mean = tensor(_settings.Mean).to(x.dtype).view(1, 3, 1, 1);
        var std = tensor(_settings.Std).to(x.dtype).view(1, 3, 1, 1);
        var resized = functional.interpolate((x - mean) / std, new long[] { pass.Height, pass.Width }, mode: InterpolationMode.Bilinear, align_corners: false);
        return functional.pad(resized, new long[] { 0, pass.PaddedWidth - pass.Width, 0, pass.PaddedHeight - pass.Height });
    }

    /// <summary>Boxes in the resized image's pixels to the photo's: each axis scaled by the photo's size over the resized one, in single precision (transform.postprocess).</summary>
    protected static Tensor ToPhoto(Tensor boxes, RcnnPass pass)
    {
        float ratioW = (float)pass.PhotoWidth / pass.Width, ratioH = (float)pass.PhotoHeight / pass.Height;
        return boxes * tensor(new[] { ratioW, ratioH, ratioW, ratioH }).to(boxes.dtype);
    }

    /// <summary>Detection rows (box, then the score at its label among <paramref name="classes"/> columns).</summary>
    protected static Tensor Rows(Tensor photoBoxes, Tensor scores, long[] labels, int classes)
    {
        var classScores = zeros(new long[] { labels.Length, classes }, scores.dtype).scatter(1, tensor(labels).view(-1, 1), scores.view(-1, 1));
        return cat(new[] { photoBoxes, classScores }, 1);
    }

    /// <summary>A batch of samples' rows, the shorter ones padded with zero rows.</summary>
    protected static Tensor Batch(IReadOnlyList<Tensor> samples)
    {
        long most = samples.Max(s => s.shape[0]);
        return stack(samples.Select(s => s.shape[0] == most ? s : functional.pad(s, new long[] { 0, 0, 0, most - s.shape[0] })).ToList(), 0);
    }

    /// <summary>
    /// The candidates (scores n, boxes n x 4 in resized-image pixels, their labels) through NMS per class (batched_nms),
    /// the best <c>detections_per_img</c> kept as detection rows in photo pixels.
    /// </summary>
    protected static Tensor Kept(Tensor scores, Tensor boxes, IReadOnlyList<long> labels, int classes, DetectionOptions options, RcnnPass pass)
    {
        float[] scoreValues, boxValues;
        using (no_grad())
        {
            scoreValues = scores.detach().to_type(ScalarType.Float32).data<float>().ToArray();
            boxValues = boxes.detach().contiguous().to_type(ScalarType.Float32).data<float>().ToArray();
        }
        var keep = BoxNms.Keep(Enumerable.Range(0, scoreValues.Length).Select(i => boxValues.AsSpan(4 * i, 4).ToArray()).ToList(), scoreValues,
            labels.Select(c => (int)c).ToList(), options.Iou, options.Max);
        var index = tensor(keep.Select(k => (long)k).ToArray());
        return Rows(ToPhoto(boxes.index_select(0, index), pass), scores.index_select(0, index), keep.Select(k => labels[k]).ToArray(), classes);
    }

    /// <summary>A head's N x (A x K) x H x W output as N x HWA x K, anchor by anchor (torchvision's view, permute, reshape).</summary>
    internal static Tensor PerAnchor(Tensor x, long perAnchor)
    {
        long n = x.shape[0], h = x.shape[2], w = x.shape[3];
        return x.view(n, -1, perAnchor, h, w).permute(0, 3, 4, 1, 2).reshape(n, -1, perAnchor);
    }
}
