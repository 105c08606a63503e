using HeatmapTools.Engine.Models;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Targets;

/// <summary>
/// A segmentation model's category summed over a region of its output, pytorch-grad-cam's SemanticSegmentationTarget:
/// what made the model call these pixels "cat". The region is the pixels the model assigns to the category, a
/// rectangle (-Region) or a mask image (-RegionMask), as a mask at the network input's size.
/// </summary>
public sealed class SegmentTarget : CamTarget
{
    private readonly float[] _mask;

    public SegmentTarget(int category, float[] mask, int height, int width, string region)
    {
        ClassIndex = category;
        _mask = mask;
        Height = height;
        Width = width;
        Region = region;
    }

    public override int ClassIndex { get; }
    public override string Kind => Maker.Name;
    public int Height { get; }
    public int Width { get; }

    /// <summary>Where the category is summed, as records say it: "its pixels", "x,y,w,h" or the mask file's name.</summary>
    public string Region { get; }

    /// <summary>The mask's pixels counted (a pixel of a resized mask image counts 1).</summary>
    public int MaskPixels => (int)_mask.Sum();

    public override string Label(ClassLabels labels) => $"{labels[ClassIndex].Name} in {Region}";
    public override string Key => $"{Kind}:{ClassIndex}:{Region}";

    public override void Validate(LayeredModel model)
    {
        if (!model.Info.IsSegmentation)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"-Target Segment explains a segmentation model's category over a region; {model.Name} is a classifier.", Kind);
        if (ClassIndex < 0 || ClassIndex >= model.NumClasses)
            throw new HeatmapToolsException(ErrorIds.UnknownClass, ErrorKind.InvalidArgument,
                $"Category {ClassIndex} is outside 0..{model.NumClasses - 1}.", ClassIndex);
    }

    /// <summary>The category's output (B x categories x H x W, or those flattened after the batch axis) summed over the mask.</summary>
    public override Tensor Score(Tensor output)
    {
        long pixels = (long)Height * Width, batch = output.shape[0];
        long categories = output.numel() / batch / pixels;
        if (categories * pixels * batch != output.numel())
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidData,
                $"The model's output ({output.numel() / batch} values an image) is not a map per category at the input's {Width} x {Height} pixels.", Kind);
        var mask = tensor(_mask, dtype: output.dtype, device: output.device);
        return (output.reshape(batch, categories, pixels)[.., ClassIndex, ..] * mask).sum(-1);
    }

    /// <summary>-Target Segment: the default for a segmentation model, refused on a classifier.</summary>
    internal sealed class Maker : TargetKind
    {
        public const string Name = "Segment";
        public override string KindName => Name;

        // Segment targets need each image's predicted categories: TargetSelection makes them (SegmentRegions).
        public override IEnumerable<CamTarget> For(TargetContext context, IReadOnlyList<int> classes) =>
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                "-Target Segment explains a segmentation model's category over a region; this model is a classifier.", Name);
    }
}
