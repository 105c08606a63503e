using System.Diagnostics;
using HeatmapTools.Engine.Patches;
using HeatmapTools.TestData;
using OpenCvSharp;

namespace HeatmapTools.Bench;

/// <summary>
/// IDC-scale patient reconstruction: patches per second for tissue + label + probability images across all patients
/// on all cores, beside the rate at which the same PNGs can merely be decoded on all cores (the ceiling).
/// </summary>
internal static class PatchBench
{
    public static void Run(bool quick)
    {
        int patients = quick ? 40 : 280, perPatient = 1000;
        var root = Path.Combine(Path.GetTempPath(), $"hmt-bench-idc-{patients}x{perPatient}");
        var layout = SyntheticIdc.Layout(patients, perPatient, seed: 5);
        Console.WriteLine();
        if (!File.Exists(Path.Combine(root, "done")))
        {
            if (Directory.Exists(root)) Directory.Delete(root, true);
            var gen = Stopwatch.StartNew();
            int written = SyntheticIdc.Write(Path.Combine(root, "data"), layout, Environment.ProcessorCount);
            SyntheticIdc.WriteCsv(Path.Combine(root, "predictions.csv"), layout, false, root);
            File.WriteAllText(Path.Combine(root, "done"), written.ToString());
            Console.WriteLine($"generated {written} patches for {patients} patients in {gen.Elapsed.TotalSeconds:F0} s at {root}");
        }
        var files = Directory.EnumerateFiles(Path.Combine(root, "data"), "*.png", SearchOption.AllDirectories).ToList();
        Console.WriteLine($"Patch grids: {patients} patients, {files.Count} patches, {Environment.ProcessorCount} cores (median of 3)");

        // Warm the file cache once so both measurements read from memory.
        foreach (var f in files) File.ReadAllBytes(f);

        double decode = Measure.MedianRate(files.Count, 3, () =>
            Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, f =>
            {
                using var m = Cv2.ImDecode(File.ReadAllBytes(f), ImreadModes.Color);
            }));

        var parser = new PatchNameParser();
        var (rows, _) = PatchTableReader.ReadCsv(Path.Combine(root, "predictions.csv"), new PatchColumns(), ",", System.Globalization.CultureInfo.InvariantCulture);
        var output = Path.Combine(root, "out");
        if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        int pass = 0;
        // The file cache is already warm. Each pass writes new files into its own folder, as a first run does (ext4
        // flushes a file renamed over an existing one, about 3 ms a file here, which is the file system's cost rather
        // than the drawing's).
        // Each pass is what New-PatientPatchGrid does after collecting its input: parse the names, join the CSV rows,
        // group by patient, then draw (and encode and write, unless drawOnly) every patient.
        double Full(string format, bool drawOnly) => Measure.MedianRate(files.Count, 3, warmUp: false, work: () =>
        {
            var (records, _) = parser.ParseAll(files);
            var grouped = PatientGrouping.Group(records, rows, 50, GridOrigin.OneBased);
            var chosen = PatchGridJob.Select(grouped, new PatientSelection());
            var options = new PatchGridOptions { OutputDirectory = Path.Combine(output, $"pass{pass++}"), ImageFormat = format, DrawOnly = drawOnly };
            foreach (var _ in PatchGridJob.Render(chosen, options, CancellationToken.None)) { }
        });
        // The decode ceiling is measured after a warm-up pass; give the drawing code the same chance (tiered JIT compiles
        // the hot loops after their first few hundred calls; without this the first timed pass ran ~30 % slower).
        var warm = parser.ParseAll(files.Take(8 * perPatient).ToList()).Records;
        var warmIds = warm.Select(r => r.PatientId).ToHashSet();
        var sample = PatchGridJob.Select(PatientGrouping.Group(warm, rows.Where(r => warmIds.Contains(r.PatientId)).ToList(), 50, GridOrigin.OneBased),
            new PatientSelection());
        foreach (var format in new[] { "png", "jpg" })
            foreach (var _ in PatchGridJob.Render(sample, new PatchGridOptions { OutputDirectory = Path.Combine(output, $"warm-{format}"), ImageFormat = format }, CancellationToken.None)) { }

        double drawn = Full("png", true), png = Full("png", false), jpg = Full("jpg", false);
        Console.WriteLine($"decode only (ceiling):                                  {decode,8:F0} patches/s");
        Console.WriteLine($"tissue + labels + probability drawn, not encoded:       {drawn,8:F0} patches/s   {drawn / decode,5:P0} of the ceiling");
        Console.WriteLine($"tissue + labels + probability written as JPEG:          {jpg,8:F0} patches/s   {jpg / decode,5:P0} of the ceiling");
        Console.WriteLine($"tissue + labels + probability written as PNG (default): {png,8:F0} patches/s   {png / decode,5:P0} of the ceiling");
        Directory.Delete(output, recursive: true);
    }
}
