using HeatmapTools.Engine.Imaging;

namespace HeatmapTools.Engine.Detection;

/// <summary>A box by its corners, x1 y1 (top left) to x2 y2, in pixels of one image.</summary>
public readonly record struct BoxCorners(double X1, double Y1, double X2, double Y2)
{
    public double Width => Math.Max(0, X2 - X1);
    public double Height => Math.Max(0, Y2 - Y1);

    /// <summary>Corners from four numbers as -Box takes them, refusing a box that is not one (a NaN, corners swapped).</summary>
    public static BoxCorners Parse(IReadOnlyList<double> values, int offset = 0)
    {
        var box = new BoxCorners(values[offset], values[offset + 1], values[offset + 2], values[offset + 3]);
        if (!(double.IsFinite(box.X1) && double.IsFinite(box.Y1) && double.IsFinite(box.X2) && double.IsFinite(box.Y2)) || box.X2 <= box.X1 || box.Y2 <= box.Y1)
            throw new HeatmapToolsException(ErrorIds.BoxInvalid, ErrorKind.InvalidArgument,
                $"The box {box} is not a box: it takes x1, y1, x2, y2 with x2 > x1 and y2 > y1 (top-left, then bottom-right corner, in the photo's pixels).", box.ToString());
        return box;
    }

    public override string ToString() => FormattableString.Invariant($"{X1:0.##},{Y1:0.##},{X2:0.##},{Y2:0.##}");
}

/// <summary>
/// Where the network input's pixels sit in the photo, as the preprocessing put them there: stretched, letterboxed (the
/// band's own scale per axis), or centre-cropped. Detections go back to the photo through it, and boxes typed in the
/// photo's pixels come to the input through it.
/// </summary>
public readonly record struct BoxGeometry(double ScaleX, double ScaleY, double OffsetX, double OffsetY, int PhotoWidth, int PhotoHeight)
{
    public static BoxGeometry Of(PreprocessOptions preprocess, int photoWidth, int photoHeight, InputShape input)
    {
        if (preprocess.Native) return new BoxGeometry(1, 1, 0, 0, photoWidth, photoHeight);
        switch (preprocess.Mode)
        {
            case ResizeMode.Letterbox:
                var band = Preprocessor.Letterbox(photoWidth, photoHeight, input.Width, input.Height);
                return new BoxGeometry((double)band.Width / photoWidth, (double)band.Height / photoHeight, band.X, band.Y, photoWidth, photoHeight);
            case ResizeMode.CenterCrop:
                var (w, h, crop) = Preprocessor.CenterCrop(photoWidth, photoHeight, input.Width);
                return new BoxGeometry((double)w / photoWidth, (double)h / photoHeight, -crop.X, -crop.Y, photoWidth, photoHeight);
            default:
                return new BoxGeometry((double)input.Width / photoWidth, (double)input.Height / photoHeight, 0, 0, photoWidth, photoHeight);
        }
    }

    /// <summary>A box on the network input, in the photo's pixels, clipped to the photo.</summary>
    public BoxCorners ToPhoto(BoxCorners b) => new(
        Math.Clamp((b.X1 - OffsetX) / ScaleX, 0, PhotoWidth), Math.Clamp((b.Y1 - OffsetY) / ScaleY, 0, PhotoHeight),
        Math.Clamp((b.X2 - OffsetX) / ScaleX, 0, PhotoWidth), Math.Clamp((b.Y2 - OffsetY) / ScaleY, 0, PhotoHeight));

    /// <summary>Whether a box on the network input shows in the photo (not wholly over the letterbox's padding or outside a crop).</summary>
    public bool Shows(BoxCorners b) => ToPhoto(b) is { Width: > 0, Height: > 0 };

    /// <summary>A box in the photo's pixels, on the network input.</summary>
    public BoxCorners ToInput(BoxCorners b) => new(b.X1 * ScaleX + OffsetX, b.Y1 * ScaleY + OffsetY, b.X2 * ScaleX + OffsetX, b.Y2 * ScaleY + OffsetY);
}
