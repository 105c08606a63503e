using System.Globalization;
using System.Text.Json;
using HeatmapTools.TestData;
using OpenCvSharp;

const string Usage = """
    usage: HeatmapTools.TestData <command> ...
      idc <root> [patients] [patchesPerPatient] [seed] [firstId]            writes a dataset and prints its layout as JSON
      csv <root> <csvPath> [patients] [patches] [seed] [paths|ids] [firstId]  writes the matching probability CSV
      jpeg <image> <out.jpg>                                                 writes the image as a JPEG
      pixel <image> <x> <y>                                                  prints "B,G,R" of one pixel (0-based)
      size <image>                                                           prints "WIDTHxHEIGHT"
      mean <image> <x> <y> <w> <h>                                           prints the mean "B,G,R" of a rectangle
      inkwidth <image> <x> <y> <w> <h>                                       prints how wide the dark (text) pixels of a rectangle spread
      diff <a> <b>                                                           prints "WORST SHARE": the largest difference of any value and the share differing by more than 1
      decode <root> [threads]                                                decodes every PNG under root, prints count and seconds
      mask <out.png> <width> <height> <x> <y> <w> <h>                        writes a black image with a white rectangle (an annotation mask)
      slide <out.tiff> [width] [height] [mpp]                                writes a synthetic pyramidal TIFF slide and its tumour GeoJSON, prints the layout as JSON
    """;
string Arg(int i, string fallback) => args.Length > i ? args[i] : fallback;
string Required(int i, string what) => args.Length > i ? args[i] : throw new ArgumentException($"'{Arg(0, "")}' needs {what} (argument {i}).");
int IntArg(int i, int fallback) => args.Length <= i ? fallback
    : int.TryParse(args[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 0 ? v
    : throw new ArgumentException($"argument {i} of '{Arg(0, "")}' is '{args[i]}', not a whole number of at least 0.");

try
{
    return Run();
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    Console.Error.WriteLine(Usage);
    return 2;
}

int Run()
{
switch (Arg(0, ""))
{
    case "idc":
    {
        var layout = SyntheticIdc.Layout(IntArg(2, 4), IntArg(3, 24), IntArg(4, 1), IntArg(5, 10000));
        int written = SyntheticIdc.Write(Required(1, "a folder"), layout, Environment.ProcessorCount);
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            Written = written,
            Patients = layout.Select(p => new { p.Id, p.Columns, p.Rows, p.Skipped, Tumour = new { p.Tumour.X, p.Tumour.Y, p.Tumour.Width, p.Tumour.Height } }),
        }));
        return 0;
    }
    case "csv":
    {
        var layout = SyntheticIdc.Layout(IntArg(3, 4), IntArg(4, 24), IntArg(5, 1), IntArg(7, 10000));
        SyntheticIdc.WriteCsv(Required(2, "a CSV path"), layout, Arg(6, "") == "paths", Required(1, "the dataset folder"));
        return 0;
    }
    case "mask":
    {
        using var mask = new Mat(IntArg(3, 0), IntArg(2, 0), MatType.CV_8UC1, Scalar.All(0));
        Cv2.Rectangle(mask, new Rect(IntArg(4, 0), IntArg(5, 0), IntArg(6, 0), IntArg(7, 0)), Scalar.All(255), -1);
        Cv2.ImWrite(Required(1, "an output path"), mask);
        return 0;
    }
    case "slide":
    {
        var layout = SyntheticSlide.For(IntArg(2, 6000), IntArg(3, 4000));
        double mpp = args.Length > 4 ? double.Parse(args[4], CultureInfo.InvariantCulture) : 0.5;
        SyntheticSlide.Write(Required(1, "an output path"), layout, mpp);
        Console.WriteLine(JsonSerializer.Serialize(layout));
        return 0;
    }
    case "jpeg":
    {
        using var image = Cv2.ImRead(Required(1, "an image"), ImreadModes.Color);
        if (image.Empty()) throw new ArgumentException($"'{args[1]}' is not an image OpenCV reads.");
        Cv2.ImWrite(Required(2, "an output path"), image);
        return 0;
    }
    case "pixel":
    {
        using var image = Cv2.ImRead(Required(1, "an image"), ImreadModes.Color);
        if (image.Empty()) throw new ArgumentException($"'{args[1]}' is not an image OpenCV reads.");
        int px = IntArg(2, -1), py = IntArg(3, -1);
        if (px < 0 || py < 0 || px >= image.Width || py >= image.Height) throw new ArgumentException($"pixel ({Arg(2, "?")}, {Arg(3, "?")}) is outside the {image.Width} x {image.Height} image.");
        var p = image.At<Vec3b>(py, px);
        Console.WriteLine($"{p.Item0},{p.Item1},{p.Item2}");
        return 0;
    }
    case "size":
    {
        using var image = Cv2.ImRead(Required(1, "an image"), ImreadModes.Unchanged);
        if (image.Empty()) throw new ArgumentException($"'{args[1]}' is not an image OpenCV reads.");
        Console.WriteLine($"{image.Width}x{image.Height}");
        return 0;
    }
    case "mean":
    case "inkwidth":
    {
        using var image = Cv2.ImRead(Required(1, "an image"), ImreadModes.Color);
        if (image.Empty()) throw new ArgumentException($"'{args[1]}' is not an image OpenCV reads.");
        var rect = new Rect(IntArg(2, 0), IntArg(3, 0), IntArg(4, 1), IntArg(5, 1));
        if (rect.Right > image.Width || rect.Bottom > image.Height || rect.Width == 0 || rect.Height == 0)
            throw new ArgumentException($"rectangle {rect} is outside the {image.Width} x {image.Height} image.");
        using var part = new Mat(image, rect);
        if (args[0] == "mean")
        {
            var m = Cv2.Mean(part);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{m.Val0:F1},{m.Val1:F1},{m.Val2:F1}"));
            return 0;
        }
        using var gray = new Mat();
        Cv2.CvtColor(part, gray, ColorConversionCodes.BGR2GRAY);
        int left = int.MaxValue, right = -1;
        for (int y = 0; y < gray.Rows; y++)
            for (int x = 0; x < gray.Cols; x++)
                if (gray.At<byte>(y, x) < 128) { left = Math.Min(left, x); right = Math.Max(right, x); }
        Console.WriteLine(right < 0 ? 0 : right - left + 1);
        return 0;
    }
    case "diff":
    {
        using var a = Cv2.ImRead(Required(1, "an image"), ImreadModes.Color);
        using var b = Cv2.ImRead(Required(2, "an image"), ImreadModes.Color);
        if (a.Empty() || b.Empty() || a.Size() != b.Size()) throw new ArgumentException($"'{args[1]}' and '{args[2]}' are not two images of one size.");
        using var d = new Mat();
        Cv2.Absdiff(a, b, d);
        using var flat = d.Reshape(1);
        flat.GetArray(out byte[] values);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{values.Max()} {values.Count(v => v > 1) / (double)values.Length:R}"));
        return 0;
    }
    case "decode":
    {
        var files = Directory.EnumerateFiles(Required(1, "a folder"), "*.png", SearchOption.AllDirectories).ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = IntArg(2, Environment.ProcessorCount) }, f =>
        {
            using var m = Cv2.ImDecode(File.ReadAllBytes(f), ImreadModes.Color);
        });
        Console.WriteLine($"{files.Count} {clock.Elapsed.TotalSeconds.ToString(CultureInfo.InvariantCulture)}");
        return 0;
    }
    default:
        throw new ArgumentException(args.Length == 0 ? "no command given." : $"'{args[0]}' is not a command.");
}
}
