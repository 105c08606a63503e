using System.Globalization;
using System.Text.Json;
using HeatmapTools.TestData;
using OpenCvSharp;

// idc <root> [patients] [patchesPerPatient] [seed] [firstId]   writes a dataset and prints its layout as JSON
// csv <root> <csvPath> [patients] [patches] [seed] [paths|ids] [firstId]  writes the matching probability CSV
// jpeg <image> <out.jpg>                            writes the image as a JPEG
// pixel <image> <x> <y>                             prints "B,G,R" of one pixel (0-based)
// size <image>                                      prints "WIDTHxHEIGHT"
// decode <root> [threads]                           decodes every PNG under root, prints count and seconds
string Arg(int i, string fallback) => args.Length > i ? args[i] : fallback;
int IntArg(int i, int fallback) => args.Length > i ? int.Parse(args[i], CultureInfo.InvariantCulture) : fallback;

switch (Arg(0, ""))
{
    case "idc":
    {
        var layout = SyntheticIdc.Layout(IntArg(2, 4), IntArg(3, 24), IntArg(4, 1), IntArg(5, 10000));
        int written = SyntheticIdc.Write(args[1], layout, Environment.ProcessorCount);
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
        SyntheticIdc.WriteCsv(args[2], layout, Arg(6, "") == "paths", args[1]);
        return 0;
    }
    case "jpeg":
    {
        using var image = Cv2.ImRead(args[1], ImreadModes.Color);
        Cv2.ImWrite(args[2], image);
        return 0;
    }
    case "pixel":
    {
        using var image = Cv2.ImRead(args[1], ImreadModes.Color);
        var p = image.At<Vec3b>(int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture));
        Console.WriteLine($"{p.Item0},{p.Item1},{p.Item2}");
        return 0;
    }
    case "size":
    {
        using var image = Cv2.ImRead(args[1], ImreadModes.Unchanged);
        Console.WriteLine($"{image.Width}x{image.Height}");
        return 0;
    }
    case "decode":
    {
        var files = Directory.EnumerateFiles(args[1], "*.png", SearchOption.AllDirectories).ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = IntArg(2, Environment.ProcessorCount) }, f =>
        {
            using var m = Cv2.ImDecode(File.ReadAllBytes(f), ImreadModes.Color);
        });
        Console.WriteLine($"{files.Count} {clock.Elapsed.TotalSeconds.ToString(CultureInfo.InvariantCulture)}");
        return 0;
    }
    default:
        Console.Error.WriteLine("usage: idc|csv|jpeg|pixel|size|decode ...");
        return 2;
}
