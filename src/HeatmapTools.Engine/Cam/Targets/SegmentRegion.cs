using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;
using OpenCvSharp;

namespace HeatmapTools.Engine.Cam.Targets;

/// <summary>
/// Where a segmentation target sums its category: a rectangle in the photo's pixels (-Region x,y,w,h), a mask image
/// (-RegionMask, its nonzero pixels), or, with neither, the pixels the model assigns to the category.
/// </summary>
public sealed record SegmentRegion(int[]? Rect = null, string? MaskFile = null)
{
    public static SegmentRegion Predicted { get; } = new();

    public bool IsPredicted => Rect is null && MaskFile is null;

    public static SegmentRegion Parse(int[]? rect, string? maskFile)
    {
        if (rect is not null && maskFile is not null)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                "Give the region as -Region or as -RegionMask, not both.", rect);
        if (rect is not null && (rect.Length != 4 || rect[2] <= 0 || rect[3] <= 0))
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"-Region takes x, y, width, height in the image's pixels, width and height above 0; got {string.Join(",", rect)}.", rect);
        if (maskFile is not null && !File.Exists(maskFile))
            throw new HeatmapToolsException(ErrorIds.FileNotFound, ErrorKind.ObjectNotFound, $"Region mask '{maskFile}' does not exist.", maskFile);
        return new SegmentRegion(rect, maskFile is null ? null : Path.GetFullPath(maskFile));
    }

    public override string ToString() => Rect is { } r ? string.Join(",", r) : MaskFile is { } f ? Path.GetFileName(f) : "its pixels";

    // By value: two requests for one rectangle are one request (a record compares an array member by reference).
    public bool Equals(SegmentRegion? other) => other is not null && MaskFile == other.MaskFile
        && (Rect is null ? other.Rect is null : other.Rect is not null && Rect.AsSpan().SequenceEqual(other.Rect));

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(MaskFile);
        foreach (int v in Rect ?? Array.Empty<int>()) hash.Add(v);
        return hash.ToHashCode();
    }

    /// <summary>Whether <see cref="TargetsFor"/> reads the image's prediction: not for categories asked for over a region given.</summary>
    internal bool NeedsPrediction(IReadOnlyList<int>? categories) => categories is null || IsPredicted;

    /// <summary>The image's targets, its prediction made alone.</summary>
    internal IEnumerable<SegmentTarget> TargetsFor(LayeredModel model, PreparedImage image, IReadOnlyList<int>? categories, int top, PreprocessOptions? preprocess) =>
        TargetsFor(image, categories, top, preprocess, () => Predictor.Logits(model, new[] { image.Chw! }, image.Shape)[0]);

    /// <summary>
    /// Each image's segmentation targets: the categories asked for, or its <paramref name="top"/> categories by share
    /// of pixels (background only when it has them all), each over this region at the network input's size,
    /// read from the image's prediction (its output at every pixel) when they need it.
    /// </summary>
    internal IEnumerable<SegmentTarget> TargetsFor(PreparedImage image, IReadOnlyList<int>? categories, int top, PreprocessOptions? preprocess, Func<float[]> prediction)
    {
        var (height, width) = (image.Shape.Height, image.Shape.Width);
        int pixels = height * width;
        // Categories asked for over a region given need no prediction: the forward pass is spared.
        if (categories is not null && !IsPredicted)
        {
            var given = RequireSome(Rect is { } box ? RectMask(box, image, preprocess) : FileMask(MaskFile!, image, preprocess), image, null);
            foreach (int category in categories) yield return new SegmentTarget(category, given, height, width, ToString());
            yield break;
        }
        var output = prediction();
        int count = output.Length / pixels;
        var predicted = new int[pixels];
        var shares = new int[count];
        for (int p = 0; p < pixels; p++)
        {
            int best = 0;
            for (int c = 1; c < count; c++) if (output[c * pixels + p] > output[best * pixels + p]) best = c;
            predicted[p] = best;
            shares[best]++;
        }
        var chosen = categories ?? Enumerable.Range(0, count).Where(c => shares[c] > 0)
            .OrderBy(c => c == 0 ? 1 : 0).ThenByDescending(c => shares[c]).ThenBy(c => c).Take(Math.Max(1, top)).ToList();
        float[]? fixedMask = IsPredicted ? null : RequireSome(Rect is { } r ? RectMask(r, image, preprocess) : FileMask(MaskFile!, image, preprocess), image, null);
        foreach (int category in chosen)
        {
            var mask = fixedMask ?? RequireSome(predicted.Select(c => c == category ? 1f : 0f).ToArray(), image, category);
            yield return new SegmentTarget(category, mask, height, width, ToString());
        }
    }

    /// <summary>
    /// A target over no pixel sums nothing: its map would be blank and its score 0, a picture of nothing. That is the
    /// image's error (TargetSelectsNothing), naming the region and why it is empty.
    /// </summary>
    private float[] RequireSome(float[] mask, PreparedImage image, int? category)
    {
        if (mask.Any(v => v != 0)) return mask;
        var (height, width) = (image.Shape.Height, image.Shape.Width);
        string why = category is { } c
            ? $"the model predicts category {c} at no pixel of it; give -Region or -RegionMask to explain the category somewhere"
            : Rect is { } r
                ? $"-Region {string.Join(",", r)} covers the centre of no network pixel of the {image.Width} x {image.Height} photo (network input {width} x {height}, " +
                  $"one network pixel spans {(double)image.Width / width:0.##} x {(double)image.Height / height:0.##} photo pixels): it lies outside the photo or is smaller than one network pixel"
                : $"-RegionMask '{MaskFile}' has no nonzero pixel (after resizing to the network input {width} x {height})";
        throw new HeatmapToolsException(ErrorIds.TargetSelectsNothing, ErrorKind.InvalidData,
            $"The segmentation target selects no pixel of '{image.Path}': {why}. A map over nothing would be blank.", image.Path);
    }

    /// <summary>Network pixels whose centres, mapped back onto the photo, fall inside the rectangle.</summary>
    private static float[] RectMask(int[] rect, PreparedImage image, PreprocessOptions? preprocess)
    {
        RequireStretch(preprocess, "-Region");
        var (height, width) = (image.Shape.Height, image.Shape.Width);
        var mask = new float[height * width];
        for (int y = 0; y < height; y++)
        {
            double photoY = (y + 0.5) * image.Height / height;
            if (photoY < rect[1] || photoY >= rect[1] + rect[3]) continue;
            for (int x = 0; x < width; x++)
            {
                double photoX = (x + 0.5) * image.Width / width;
                if (photoX >= rect[0] && photoX < rect[0] + rect[2]) mask[y * width + x] = 1f;
            }
        }
        return mask;
    }

    private static void RequireStretch(PreprocessOptions? preprocess, string parameter)
    {
        if (preprocess is { Native: false, Mode: not ResizeMode.Stretch })
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"{parameter} maps the photo's pixels onto the network input when the image is stretched to it; -Resize {preprocess.Mode} moves them. " +
                "Use -Resize Stretch or -InputSize Native.", parameter);
    }

    /// <summary>The mask image's nonzero pixels, resized to the network input with nearest neighbours.</summary>
    private static float[] FileMask(string path, PreparedImage image, PreprocessOptions? preprocess)
    {
        RequireStretch(preprocess, "-RegionMask");
        var (height, width) = (image.Shape.Height, image.Shape.Width);
        using var grey = Cv2.ImRead(path, ImreadModes.Grayscale);
        if (grey.Empty())
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidData, $"Region mask '{path}' is not a readable image.", path);
        // A mask of another size than the photo (or the network input) was drawn on some other picture: stretching it would move the region.
        if (!(grey.Width == image.Width && grey.Height == image.Height) && !(grey.Width == width && grey.Height == height))
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidData,
                $"Region mask '{path}' is {grey.Width} x {grey.Height}; '{image.Path}' is {image.Width} x {image.Height} (network input {width} x {height}). " +
                "Give a mask of the photo's size.", path);
        using var sized = new Mat();
        Cv2.Resize(grey, sized, new Size(width, height), 0, 0, InterpolationFlags.Nearest);
        sized.GetArray(out byte[] values);
        return values.Select(v => v > 0 ? 1f : 0f).ToArray();
    }
}
