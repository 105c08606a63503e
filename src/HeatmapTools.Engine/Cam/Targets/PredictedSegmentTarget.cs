using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Targets;

/// <summary>
/// A segmentation target that reads the image's prediction: the pixels the model assigns to a category, or the category
/// it assigns most pixels. It is made from the output of the pass that maps the image (<see cref="CamOptions.TargetFor"/>),
/// so choosing it costs no pass of its own, and stands for the <see cref="SegmentTarget"/> it becomes there.
/// </summary>
public sealed class PredictedSegmentTarget : CamTarget
{
    private readonly SegmentRegion _region;
    private readonly int? _category;
    private readonly PreparedImage _image;
    private readonly PreprocessOptions? _preprocess;

    internal PredictedSegmentTarget(SegmentRegion region, int? category, PreparedImage image, PreprocessOptions? preprocess)
    {
        _region = region;
        _category = category;
        _image = image;
        _preprocess = preprocess;
    }

    /// <summary>The category asked for; -1 while it is the one the prediction ranks first.</summary>
    public override int ClassIndex => _category ?? -1;
    public override string Kind => SegmentTarget.Maker.Name;
    public override string Key => $"{Kind}:{(_category is int c ? c : "top")}:{_region}";

    public override void Validate(LayeredModel model) => new SegmentTarget(Math.Max(0, ClassIndex), Array.Empty<float>(), 0, 0, _region.ToString()).Validate(model);

    public override Tensor Score(Tensor output) =>
        throw new InvalidOperationException("A predicted segmentation target is scored once made from its pass's output (PredictedSegmentTarget.From).");

    /// <summary>
    /// The target it stands for, from the image's output in the pass that maps it (categories x H x W, at the network
    /// input); TargetSelectsNothing when the model predicts the category asked for at no pixel of the region.
    /// </summary>
    public SegmentTarget From(float[] output) =>
        _region.TargetsFor(_image, _category is int c ? new[] { c } : null, 1, _preprocess, () => output).Single();

    /// <summary>A target over no pixel, scoring 0, for an image whose target could not be made: its batch runs on, its map is not used.</summary>
    internal SegmentTarget Nothing() =>
        new(Math.Max(0, ClassIndex), new float[_image.Shape.Height * _image.Shape.Width], _image.Shape.Height, _image.Shape.Width, _region.ToString());
}
