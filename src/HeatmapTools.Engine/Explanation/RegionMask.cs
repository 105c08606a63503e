using HeatmapTools.Engine.Imaging;
using OpenCvSharp;

namespace HeatmapTools.Engine.Explanation;

/// <summary>
/// Where an explanation should point (-Mask, -Region), given on the image and carried to the network input through the
/// same resize, crop or letterbox the image went through, so a region means the same pixels the network saw.
/// </summary>
public sealed record RegionMask
{
    /// <summary>
    /// A mask image as large as the image (any non-zero pixel is inside), or a QuPath GeoJSON of the region
    /// (<see cref="GeoJsonRegion"/>); {name} and {dir} stand for the image's stem and folder, {slide} for a slide tile's
    /// slide (its stem; the image's stem otherwise).
    /// </summary>
    public string? Path { get; init; }
    /// <summary>A rectangle in image pixels: x, y, width, height.</summary>
    public int[]? Rect { get; init; }

    /// <summary>The mask file for one image.</summary>
    public string? PathFor(string image) => Path?.Replace("{name}", System.IO.Path.GetFileNameWithoutExtension(image))
        .Replace("{dir}", System.IO.Path.GetDirectoryName(image) ?? "")
        .Replace("{slide}", System.IO.Path.GetFileNameWithoutExtension(Slides.SlideTilePath.TryParse(image, out var tile) ? tile.Slide : image));

    /// <summary>The region at the network input, height x width, row by row.</summary>
    public bool[] AtInput(PreparedImage image, PreprocessOptions preprocess)
    {
        using var mask = OnImage(image);
        using var input = ToInput(mask, image, preprocess);
        var result = new bool[input.Width * input.Height];
        for (int y = 0; y < input.Height; y++)
            for (int x = 0; x < input.Width; x++)
                result[y * input.Width + x] = input.At<byte>(y, x) != 0;
        return result;
    }

    private Mat OnImage(PreparedImage image)
    {
        if (Rect is { } r)
        {
            if (r.Length != 4 || r[2] < 1 || r[3] < 1)
                throw new HeatmapToolsException(ErrorIds.ExplanationSettingInvalid, ErrorKind.InvalidArgument,
                    "-Region takes x, y, width and height in image pixels, width and height at least 1.", string.Join(",", r));
            var drawn = new Mat(image.Height, image.Width, MatType.CV_8UC1, Scalar.All(0));
            Cv2.Rectangle(drawn, new OpenCvSharp.Rect(r[0], r[1], r[2], r[3]), Scalar.All(255), -1);
            return drawn;
        }
        string path = PathFor(image.Path)!;
        if (!File.Exists(path))
            throw new HeatmapToolsException(ErrorIds.FileNotFound, ErrorKind.ObjectNotFound, $"The mask '{path}' for '{image.Path}' does not exist.", path);
        if (GeoJsonRegion.Recognises(path)) return GeoJsonRegion.Rasterise(path, image);
        using var bgr = ImageReader.ReadBgr(path);
        if (bgr.Width != image.Width || bgr.Height != image.Height)
            throw new HeatmapToolsException(ErrorIds.ExplanationMaskInvalid, ErrorKind.InvalidData,
                $"The mask '{path}' is {bgr.Width} x {bgr.Height}; its image '{image.Path}' is {image.Width} x {image.Height}. A mask marks the image's own pixels, so it must be as large.", path);
        var grey = new Mat();
        Cv2.CvtColor(bgr, grey, ColorConversionCodes.BGR2GRAY);
        Cv2.Threshold(grey, grey, 0, 255, ThresholdTypes.Binary);
        return grey;
    }

    /// <summary>The mask through the image's geometry, nearest neighbour so it stays a mask.</summary>
    private static Mat ToInput(Mat mask, PreparedImage image, PreprocessOptions o)
    {
        int width = image.Shape.Width, height = image.Shape.Height;
        var output = new Mat();
        if (o.Native)
        {
            mask.CopyTo(output);
            return output;
        }
        if (o.Mode == ResizeMode.Letterbox)
        {
            var band = Preprocessor.Letterbox(mask.Width, mask.Height, width, height);
            output.Create(height, width, MatType.CV_8UC1);
            output.SetTo(Scalar.All(0));
            using var into = new Mat(output, band);
            Cv2.Resize(mask, into, band.Size, 0, 0, InterpolationFlags.Nearest);
            return output;
        }
        if (o.Mode == ResizeMode.CenterCrop)
        {
            var (w, h, crop) = Preprocessor.CenterCrop(mask.Width, mask.Height, width);
            using var scaled = new Mat();
            Cv2.Resize(mask, scaled, new Size(w, h), 0, 0, InterpolationFlags.Nearest);
            using var roi = new Mat(scaled, crop);
            roi.CopyTo(output);
            return output;
        }
        Cv2.Resize(mask, output, new Size(width, height), 0, 0, InterpolationFlags.Nearest);
        return output;
    }
}
