using System.Collections.Concurrent;
using OpenCvSharp;

namespace HeatmapTools.Engine.Imaging;

/// <summary>Channels, height and width of a network input.</summary>
public readonly record struct InputShape(int Channels, int Height, int Width)
{
    /// <summary>A square RGB input, as every built-in architecture takes.</summary>
    public static implicit operator InputShape(int size) => new(3, size, size);

    public int Length => Channels * Height * Width;

    public override string ToString() => $"{Channels}x{Height}x{Width}";
}

/// <summary>
/// How an image becomes a network input: its size (Width x Height; Size is the square side the built-in families use),
/// channels (3 RGB, 1 grey), channel order, scaling and per-channel mean and standard deviation in scaled units.
/// </summary>
public sealed record PreprocessOptions(int Size, float[] Mean, float[] Std, ResizeMode Mode = ResizeMode.Stretch)
{
    public static readonly float[] ImageNetMean = { 0.485f, 0.456f, 0.406f };
    public static readonly float[] ImageNetStd = { 0.229f, 0.224f, 0.225f };
    /// <summary>Keras's "caffe" mode (VGG16, ResNet50 in keras.applications): BGR, the ImageNet mean in 0-255 units subtracted, no scaling.</summary>
    public static readonly float[] CaffeMean = { 103.939f, 116.779f, 123.68f };
    public static PreprocessOptions ImageNet(ResizeMode mode = ResizeMode.Stretch, int size = 224) => new(size, ImageNetMean, ImageNetStd, mode);

    private readonly int _width, _height;
    public int Width { get => _width > 0 ? _width : Size; init => _width = value; }
    public int Height { get => _height > 0 ? _height : Size; init => _height = value; }
    public int Channels { get; init; } = 3;
    /// <summary>Channel 0 is blue (Caffe-trained weights), not red.</summary>
    public bool Bgr { get; init; }
    /// <summary>Pixel values are multiplied by this before the mean is subtracted: 1/255 gives [0, 1], 1 keeps 0-255.</summary>
    public float Scale { get; init; } = 1f / 255;
    /// <summary>Each image at its own size (a patch classifier fed patches as trained): no resizing at all.</summary>
    public bool Native { get; init; }

    /// <summary>Each image brought to a reference's stain first (-StainNormalization), fitted once; null for none.</summary>
    public Stain.StainNormalizer? Stain { get; init; }

    public InputShape Shape => new(Channels, Height, Width);

    /// <summary>Everything that changes the network input, for keys that must tell two preprocessings apart.</summary>
    public string Signature => $"{Width}x{Height}x{Channels}|{Mode}|{(Native ? "native" : "")}|{(Bgr ? "bgr" : "rgb")}|{Scale}|{string.Join(",", Mean)}|{string.Join(",", Std)}|{Stain?.Signature}";

    public bool Equivalent(PreprocessOptions other) => Signature == other.Signature;
}

/// <summary>Turns a BGR image into a normalised CHW RGB float array, exactly as OpenCV-based reference code does.</summary>
public static class Preprocessor
{
    /// <param name="name">The item in errors (a tile without tissue under -StainNormalization is StainNoTissue naming it).</param>
    public static float[] ToChw(Mat bgr, PreprocessOptions options, string? name = null)
    {
        if (options.Stain is { } stain)
        {
            // At the image's own size, before any resize: the stain statistics are the tile's, as TIAToolbox fits them.
            using var normalised = stain.Transform(bgr, name ?? "image");
            return ToChw(normalised, options with { Stain = null });
        }
        if (options.Channels == 1)
        {
            // Grey first, then resized (as PIL's convert('L') before a resize): OpenCV's 0.299 R + 0.587 G + 0.114 B.
            using var grey = new Mat();
            Cv2.CvtColor(bgr, grey, ColorConversionCodes.BGR2GRAY);
            using var sizedGrey = options.Native ? grey.Clone() : Resize(grey, options);
            int gw = sizedGrey.Width, gh = sizedGrey.Height;
            var single = new float[gw * gh];
            var greyLut = Lookup(options)[0];
            for (int y = 0; y < gh; y++)
            {
                ReadOnlySpan<byte> pixels;
                unsafe { pixels = new ReadOnlySpan<byte>((void*)sizedGrey.Ptr(y), gw); }
                for (int x = 0; x < gw; x++) single[y * gw + x] = greyLut[pixels[x]];
            }
            return single;
        }
        using var sized = options.Native ? bgr.Clone() : Resize(bgr, options);
        int width = sized.Width, height = sized.Height, plane = width * height;
        var lut = Lookup(options);
        var result = new float[3 * plane];
        // BGR in memory; channel 0 out is red, or blue for Caffe-trained weights.
        int first = options.Bgr ? 0 : 2, last = options.Bgr ? 2 : 0;
        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<byte> pixels;
            unsafe { pixels = new ReadOnlySpan<byte>((void*)sized.Ptr(y), width * 3); }
            int at = y * width;
            for (int x = 0; x < width; x++, at++)
            {
                result[at] = lut[0][pixels[3 * x + first]];
                result[plane + at] = lut[1][pixels[3 * x + 1]];
                result[2 * plane + at] = lut[2][pixels[3 * x + last]];
            }
        }
        return result;
    }

    // Per-channel tables of the normalised value of each byte value, so normalising a pixel is a table read. Keyed by
    // the values (not the options object), so every image with the same mean and std shares one set.
    private static readonly ConcurrentDictionary<string, float[][]> Lookups = new();

    private static float[][] Lookup(PreprocessOptions o) =>
        Lookups.GetOrAdd($"{o.Scale}|{string.Join(",", o.Mean)}|{string.Join(",", o.Std)}", _ =>
            // Division by 255 as torchvision's ToTensor does (v / 255f), so 0-1 inputs match it to the bit.
            Enumerable.Range(0, o.Mean.Length).Select(c => Enumerable.Range(0, 256)
                .Select(v => ((o.Scale == 1f / 255 ? v / 255f : v * o.Scale) - o.Mean[c]) / o.Std[c]).ToArray()).ToArray());

    private static Mat Resize(Mat bgr, PreprocessOptions options)
    {
        int size = options.Size;
        var output = new Mat();
        if (options.Mode == ResizeMode.Stretch)
        {
            Cv2.Resize(bgr, output, new Size(options.Width, options.Height), 0, 0, InterpolationFlags.Linear);
            return output;
        }
        if (options.Mode == ResizeMode.Letterbox)
        {
            double fit = Math.Min((double)options.Width / bgr.Width, (double)options.Height / bgr.Height);
            int fw = Math.Max(1, (int)Math.Round(bgr.Width * fit)), fh = Math.Max(1, (int)Math.Round(bgr.Height * fit));
            using var fitted = new Mat();
            Cv2.Resize(bgr, fitted, new Size(fw, fh), 0, 0, InterpolationFlags.Linear);
            output.Create(options.Height, options.Width, bgr.Type());
            output.SetTo(Scalar.Black);
            using var into = new Mat(output, Letterbox(bgr.Width, bgr.Height, options.Width, options.Height));
            fitted.CopyTo(into);
            return output;
        }
        if (options.Width != options.Height)
            throw new HeatmapToolsException(ErrorIds.PreprocessInvalid, ErrorKind.InvalidArgument,
                $"-Resize CenterCrop makes a square input; this model takes {options.Width} x {options.Height}. Use Stretch or Letterbox.", options.Width);
        var (w, h, crop) = CenterCrop(bgr.Width, bgr.Height, size);
        using var scaled = new Mat();
        Cv2.Resize(bgr, scaled, new Size(w, h), 0, 0, InterpolationFlags.Linear);
        using var roi = new Mat(scaled, crop);
        roi.CopyTo(output);
        return output;
    }

    /// <summary>torchvision's evaluation crop: the image scaled so its shorter side is 256/224 of the input, and the centred square taken from it.</summary>
    public static (int ScaledWidth, int ScaledHeight, Rect Crop) CenterCrop(int width, int height, int size)
    {
        int shorter = (int)Math.Round(size * 256.0 / 224.0);
        double scale = (double)shorter / Math.Min(width, height);
        int w = Math.Max(size, (int)Math.Round(width * scale));
        int h = Math.Max(size, (int)Math.Round(height * scale));
        return (w, h, new Rect((w - size) / 2, (h - size) / 2, size, size));
    }

    /// <summary>Where a width x height image lands inside a letterboxed input: scaled to fit, centred.</summary>
    public static Rect Letterbox(int width, int height, int inputWidth, int inputHeight)
    {
        double fit = Math.Min((double)inputWidth / width, (double)inputHeight / height);
        int fw = Math.Max(1, (int)Math.Round(width * fit)), fh = Math.Max(1, (int)Math.Round(height * fit));
        return new Rect((inputWidth - fw) / 2, (inputHeight - fh) / 2, fw, fh);
    }
}
