using System.Globalization;
using System.Text;
using OpenCvSharp;

namespace HeatmapTools.TestData;

/// <summary>
/// An IDC-shaped dataset: <c>&lt;root&gt;/&lt;patient&gt;/&lt;class&gt;/&lt;patient&gt;_idx5_x&lt;X&gt;_y&lt;Y&gt;_class&lt;C&gt;.png</c>, 50x50 patches on a
/// 50-pixel grid with 1-based coordinates. Each patient's tumour is a known rectangle of grid cells (class 1 inside).
/// Every patch is a flat colour that encodes its cell (blue = column, green = row, red = 200 for class 1, 90 for 0)
/// with a black top-left pixel, so a test can find exactly where a patch landed.
/// </summary>
public static class SyntheticIdc
{
    public const int PatchSize = 50;

    public sealed record Patient(string Id, int Columns, int Rows, Rect Tumour, int Skipped);

    public static IReadOnlyList<Patient> Layout(int patients, int patchesPerPatient, int seed, int firstId = 10000)
    {
        var rng = new Random(seed);
        var list = new List<Patient>();
        for (int p = 0; p < patients; p++)
        {
            int columns = Math.Max(2, (int)Math.Round(Math.Sqrt(patchesPerPatient * 1.3)));
            int rows = Math.Max(2, (patchesPerPatient + columns - 1) / columns);
            var tumour = new Rect(rng.Next(0, columns / 2), rng.Next(0, rows / 2), Math.Max(1, columns / 3), Math.Max(1, rows / 3));
            list.Add(new Patient((firstId + p * 7).ToString(CultureInfo.InvariantCulture), columns, rows, tumour, columns * rows - patchesPerPatient));
        }
        return list;
    }

    public static bool IsTumour(Patient patient, int column, int row) => patient.Tumour.Contains(new Point(column, row));

    /// <summary>Cells left empty (the last <c>Skipped</c> of the grid), so there is tissue-free background as in real slides.</summary>
    public static bool IsPresent(Patient patient, int column, int row) => row * patient.Columns + column < patient.Columns * patient.Rows - patient.Skipped;

    public static Vec3b ColorOf(int column, int row, int target) => new((byte)(column * 5 % 250 + 3), (byte)(row * 5 % 250 + 3), (byte)(target == 1 ? 200 : 90));

    public static string FileName(string patient, int x, int y, int target) => $"{patient}_idx5_x{x}_y{y}_class{target}.png";

    public static int Write(string root, IReadOnlyList<Patient> patients, int threads)
    {
        int written = 0;
        Parallel.ForEach(patients, new ParallelOptions { MaxDegreeOfParallelism = threads }, patient =>
        {
            using var patch = new Mat(PatchSize, PatchSize, MatType.CV_8UC3);
            var noise = new Random(int.Parse(patient.Id, CultureInfo.InvariantCulture));
            for (int row = 0; row < patient.Rows; row++)
            for (int column = 0; column < patient.Columns; column++)
            {
                if (!IsPresent(patient, column, row)) continue;
                int target = IsTumour(patient, column, row) ? 1 : 0;
                var color = ColorOf(column, row, target);
                patch.SetTo(new Scalar(color.Item0, color.Item1, color.Item2));
                // A little texture, as real patches have, so PNG decoding does real work; the top-left pixel stays black.
                for (int k = 0; k < 40; k++) patch.Set(noise.Next(1, PatchSize), noise.Next(1, PatchSize), new Vec3b((byte)noise.Next(256), (byte)noise.Next(256), (byte)noise.Next(256)));
                patch.Set(0, 0, new Vec3b(0, 0, 0));
                string dir = Path.Combine(root, patient.Id, target.ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(dir);
                Cv2.ImWrite(Path.Combine(dir, FileName(patient.Id, column * PatchSize + 1, row * PatchSize + 1, target)), patch);
                Interlocked.Increment(ref written);
            }
        });
        return written;
    }

    /// <summary>
    /// What a decent but imperfect model would say of a cell: high deep inside the tumour, fading with distance outside
    /// it, with a fixed pseudo-random wobble so cells along the border land on the wrong side of 0.5 now and then
    /// (false positives just outside, false negatives on the tumour's edge), as real predictions do.
    /// </summary>
    public static double Probability(Patient patient, int column, int row)
    {
        var t = patient.Tumour;
        // Chebyshev distance in cells: outside, to the tumour; inside, to its edge (0 on the edge row or column).
        int dx = Math.Max(t.Left - column, column - (t.Right - 1)), dy = Math.Max(t.Top - row, row - (t.Bottom - 1));
        double score = IsTumour(patient, column, row)
            ? 0.62 + 0.08 * Math.Min(3, Math.Min(-dx, -dy))
            : 0.05 + 0.36 * Math.Exp(-(Math.Max(dx, dy) - 1) / 1.5);
        double wobble = (Hash(patient.Id, column, row) - 0.5) * 0.34;
        return Math.Round(Math.Clamp(score + wobble, 0.001, 0.999), 3);
    }

    /// <summary>A fixed value in [0, 1) per cell, the same on every run and machine.</summary>
    private static double Hash(string id, int column, int row)
    {
        ulong h = 1469598103934665603UL;
        foreach (char c in id) h = (h ^ c) * 1099511628211UL;
        h = (h ^ (uint)column) * 1099511628211UL;
        h = (h ^ (uint)row) * 1099511628211UL;
        h ^= h >> 29; h *= 0xBF58476D1CE4E5B9UL; h ^= h >> 32;
        return (h >> 11) / (double)(1UL << 53);
    }

    /// <summary>A CSV of every patch with <see cref="Probability"/> as the model's score.</summary>
    public static void WriteCsv(string path, IReadOnlyList<Patient> patients, bool withPaths, string root)
    {
        var text = new StringBuilder(withPaths ? "patient_id,x,y,target,probability,path\n" : "patient_id,x,y,target,probability\n");
        foreach (var patient in patients)
        for (int row = 0; row < patient.Rows; row++)
        for (int column = 0; column < patient.Columns; column++)
        {
            if (!IsPresent(patient, column, row)) continue;
            int target = IsTumour(patient, column, row) ? 1 : 0;
            double probability = Probability(patient, column, row);
            int x = column * PatchSize + 1, y = row * PatchSize + 1;
            text.Append(CultureInfo.InvariantCulture, $"{patient.Id},{x},{y},{target},{probability.ToString("0.###", CultureInfo.InvariantCulture)}");
            if (withPaths) text.Append(',').Append(Path.Combine(patient.Id, target.ToString(CultureInfo.InvariantCulture), FileName(patient.Id, x, y, target)));
            text.Append('\n');
        }
        File.WriteAllText(path, text.ToString());
    }
}
