using System.Globalization;
using HeatmapTools.Engine.Patches;
using HeatmapTools.TestData;
using OpenCvSharp;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>Pixel-level checks of patient reconstruction on a synthetic IDC-shaped dataset with known tumours and known defects.</summary>
public class PatchGridTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hmt-idc").FullName;
    private readonly string _output;
    private readonly IReadOnlyList<SyntheticIdc.Patient> _layout;

    public PatchGridTests()
    {
        _layout = SyntheticIdc.Layout(3, 20, seed: 2);
        SyntheticIdc.Write(Path.Combine(_root, "data"), _layout, 2);
        _output = Path.Combine(_root, "out");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private List<PatchRecord> ParseAll(string folder)
    {
        var parser = new PatchNameParser();
        return Directory.EnumerateFiles(folder, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => parser.Parse(f)!).ToList();
    }

    private PatchGridOptions Options(bool confusion = false) => new() { OutputDirectory = _output, Confusion = confusion };

    private static Vec3b Pixel(string path, int x, int y)
    {
        using var image = Cv2.ImRead(path, ImreadModes.Color);
        return image.At<Vec3b>(y, x);
    }

    private static void Close(Vec3b expected, Vec3b actual)
    {
        Assert.True(Math.Abs(expected.Item0 - actual.Item0) <= 1 && Math.Abs(expected.Item1 - actual.Item1) <= 1 && Math.Abs(expected.Item2 - actual.Item2) <= 1,
            $"expected {expected} got {actual}");
    }

    [Fact]
    public void Every_patch_lands_exactly_at_x_minus_1_y_minus_1_and_labels_are_coloured_where_the_tumour_is()
    {
        var patients = PatientGrouping.Group(ParseAll(Path.Combine(_root, "data")), Array.Empty<PatchRecord>(), 50, GridOrigin.OneBased);
        var results = PatchGridJob.Render(PatchGridJob.Select(patients, new PatientSelection()), Options(), CancellationToken.None).Drawn().ToList();
        Assert.Equal(3, results.Count);
        foreach (var patient in _layout)
        {
            var result = results.Single(r => r.PatientId == patient.Id);
            int present = patient.Columns * patient.Rows - patient.Skipped;
            int tumour = Enumerable.Range(0, patient.Rows).Sum(r => Enumerable.Range(0, patient.Columns)
                .Count(c => SyntheticIdc.IsPresent(patient, c, r) && SyntheticIdc.IsTumour(patient, c, r)));
            Assert.Equal(present, result.PatchCount);
            Assert.Equal(tumour, result.PositiveCount);
            Assert.Equal((double)tumour / present, result.PositiveFraction, 12);
            Assert.Equal(patient.Columns * 50, result.Width);
            Assert.Empty(result.Problems);

            string tissue = result.Files.Single(f => f.EndsWith("_tissue.png"));
            string labels = result.Files.Single(f => f.EndsWith("_labels.png"));
            for (int row = 0; row < patient.Rows; row++)
            for (int column = 0; column < patient.Columns; column++)
            {
                if (!SyntheticIdc.IsPresent(patient, column, row)) continue;
                int x = column * 50, y = row * 50; // the file says x+1, y+1
                int target = SyntheticIdc.IsTumour(patient, column, row) ? 1 : 0;
                Assert.Equal(new Vec3b(0, 0, 0), Pixel(tissue, x, y));
                var color = SyntheticIdc.ColorOf(column, row, target);
                Assert.Equal(color, Pixel(tissue, x + 7, y));
                Assert.Equal(color, Pixel(tissue, x + 49, y));
                // Label overlay: 0.6 * patch + 0.4 * (red for 1, pink for 0), in BGR.
                var paint = target == 1 ? (B: 0, G: 0, R: 255) : (B: 203, G: 192, R: 255);
                var expected = new Vec3b((byte)Math.Round(0.6 * color.Item0 + 0.4 * paint.B), (byte)Math.Round(0.6 * color.Item1 + 0.4 * paint.G), (byte)Math.Round(0.6 * color.Item2 + 0.4 * paint.R));
                Close(expected, Pixel(labels, x + 7, y));
            }
        }
    }

    [Fact]
    public void Places_without_data_look_different_from_a_score_of_zero()
    {
        var patient = new PatientPatches { PatientId = "p" };
        var data = Path.Combine(_root, "data");
        var one = ParseAll(data).First(r => r.PatientId == _layout[0].Id && r.X == 1 && r.Y == 1);
        patient.Patches.Add(one with { Probability = 0.0 });
        var far = ParseAll(data).First(r => r.PatientId == _layout[0].Id && r.X == 101 && r.Y == 51);
        patient.Patches.Add(far with { Probability = 1.0 });
        var result = PatientRenderer.Render(patient, Options(), null, false, CancellationToken.None);
        string map = result.Files.Single(f => f.EndsWith("_probability.png"));
        var zero = Pixel(map, 10, 10);
        var noData = Pixel(map, 60, 10); // cell (1,0) has no patch
        Assert.Equal(new Vec3b(200, 200, 200), noData);
        Assert.NotEqual(noData, zero);
        Assert.NotEqual(Pixel(map, 110, 60), zero);
        // The canvas is 150x100; its colour bar strip (70 wide, at least 120 high) is white around the bar, below the map too.
        var white = new Vec3b(255, 255, 255);
        Assert.Equal(white, Pixel(map, 152, 50));
        Assert.Equal(white, Pixel(map, 50, 110));
        Assert.Equal(white, Pixel(map, 215, 115));
    }

    [Fact]
    public void The_confusion_map_colours_and_counts_each_patch_by_its_label_and_the_threshold()
    {
        var records = ParseAll(Path.Combine(_root, "data")).Where(r => r.PatientId == _layout[0].Id && r.Y == 1).OrderBy(r => r.X).Take(5).ToList();
        // (label, probability): TP, FP, FN, TN, and a score exactly at the threshold, which counts as predicted positive.
        (int Target, double Probability)[] cases = { (1, 0.9), (0, 0.6), (1, 0.3), (0, 0.1), (0, 0.5) };
        var patient = new PatientPatches { PatientId = "confusion" };
        for (int i = 0; i < cases.Length; i++) patient.Patches.Add(records[i] with { Target = cases[i].Target, Probability = cases[i].Probability });
        var result = PatientRenderer.Render(patient, Options(confusion: true) with { Threshold = 0.5 }, null, false, CancellationToken.None);
        Assert.Equal(new ConfusionCounts(1, 2, 1, 1), result.Confusion);

        string map = result.Files.Single(f => f.EndsWith("_confusion.png"));
        // BGR: TP red, FP orange, FN blue, TN green, blended 0.4 over the patch; the map sits under a 22-pixel legend.
        var paints = new[] { (0, 0, 220), (0, 165, 255), (220, 80, 0), (0, 160, 0), (0, 165, 255) };
        for (int i = 0; i < cases.Length; i++)
        {
            int column = (records[i].X - 1) / 50;
            var tissue = SyntheticIdc.ColorOf(column, 0, SyntheticIdc.IsTumour(_layout[0], column, 0) ? 1 : 0);
            var (b, g, r) = paints[i];
            var expected = new Vec3b((byte)Math.Round(0.6 * tissue.Item0 + 0.4 * b), (byte)Math.Round(0.6 * tissue.Item1 + 0.4 * g), (byte)Math.Round(0.6 * tissue.Item2 + 0.4 * r));
            Close(expected, Pixel(map, records[i].X - 1 + 49, 22 + 0));
        }
    }

    [Theory]
    [InlineData(ProbabilityScale.Fixed, 0.0, 1.0)]
    [InlineData(ProbabilityScale.Patient, 0.2, 0.7)]
    [InlineData(ProbabilityScale.Cohort, 0.1, 0.9)]
    public void The_result_reports_the_data_range_and_the_colour_scale_apart(ProbabilityScale scale, double scaleMin, double scaleMax)
    {
        var patient = new PatientPatches { PatientId = "p" };
        var records = ParseAll(Path.Combine(_root, "data")).Where(r => r.PatientId == _layout[0].Id).Take(3).ToList();
        double[] probabilities = { 0.2, 0.7, 0.45 };
        for (int i = 0; i < 3; i++) patient.Patches.Add(records[i] with { Probability = probabilities[i] });
        var result = PatientRenderer.Render(patient, Options() with { Scale = scale }, (0.1, 0.9), false, CancellationToken.None);
        Assert.Equal((0.2, 0.7), result.Probabilities);
        Assert.Equal((scaleMin, scaleMax), result.ColorScale);
    }

    [Fact]
    public void Duplicates_broken_undersized_off_grid_and_misfiled_patches_are_reported_and_the_rest_drawn()
    {
        var data = Path.Combine(_root, "data");
        var patient = _layout[0];
        // The public download holds every patient twice: copy one patient's tree.
        CopyTree(Path.Combine(data, patient.Id), Path.Combine(_root, "copy", patient.Id));
        int copies = Directory.EnumerateFiles(Path.Combine(_root, "copy"), "*.png", SearchOption.AllDirectories).Count();
        var extra = Path.Combine(_root, "extra", patient.Id, "0");
        Directory.CreateDirectory(extra);
        // Broken PNG, an undersized patch, one off the grid, and a class-1 file in folder 0: all at cells the patient lacks.
        File.WriteAllBytes(Path.Combine(extra, SyntheticIdc.FileName(patient.Id, 5001, 1, 0)), new byte[] { 0x89, 0x50, 0x4e, 0x47, 0, 1, 2 });
        using (var small = new Mat(25, 25, MatType.CV_8UC3, new Scalar(10, 20, 30)))
            Cv2.ImWrite(Path.Combine(extra, SyntheticIdc.FileName(patient.Id, 5051, 1, 0)), small);
        using (var patch = new Mat(50, 50, MatType.CV_8UC3, new Scalar(40, 50, 60)))
        {
            Cv2.ImWrite(Path.Combine(extra, SyntheticIdc.FileName(patient.Id, 5107, 1, 0)), patch);
            Cv2.ImWrite(Path.Combine(extra, SyntheticIdc.FileName(patient.Id, 5151, 1, 1)), patch);
        }

        var records = ParseAll(data).Concat(ParseAll(Path.Combine(_root, "copy"))).Concat(ParseAll(Path.Combine(_root, "extra"))).ToList();
        var patients = PatientGrouping.Group(records, Array.Empty<PatchRecord>(), 50, GridOrigin.OneBased);
        var result = PatientRenderer.Render(patients[patient.Id], Options(), null, false, CancellationToken.None);

        Assert.Equal(copies, result.Problems.Count(p => p.ErrorId == ErrorIds.PatchDuplicate));
        var unreadable = Assert.Single(result.Problems, p => p.ErrorId == ErrorIds.PatchUnreadable);
        Assert.True(unreadable.IsError);
        Assert.Contains("x5001", unreadable.Message);
        Assert.Contains(result.Problems, p => p.ErrorId == ErrorIds.PatchSizeUnexpected && p.Message.Contains("25x25"));
        Assert.Contains(result.Problems, p => p.ErrorId == ErrorIds.PatchOffGrid && p.Message.Contains("x=5107"));
        Assert.Contains(result.Problems, p => p.ErrorId == ErrorIds.PatchClassConflict && p.Message.Contains("folder class 0"));

        // The rest is drawn: the undersized patch fills its own 25x25 corner only, and regular patches are in place.
        string tissue = result.Files.Single(f => f.EndsWith("_tissue.png"));
        Assert.Equal(new Vec3b(10, 20, 30), Pixel(tissue, 5050 + 24, 24));
        Assert.Equal(new Vec3b(255, 255, 255), Pixel(tissue, 5050 + 30, 30));
        Assert.Equal(SyntheticIdc.ColorOf(1, 0, SyntheticIdc.IsTumour(patient, 1, 0) ? 1 : 0), Pixel(tissue, 57, 0));
        Assert.Equal(new Vec3b(255, 255, 255), Pixel(tissue, 5000 + 10, 10)); // the broken patch leaves its place blank
    }

    [Fact]
    public void Csv_rows_join_patch_files_and_bad_rows_are_reported_with_their_line()
    {
        var csv = Path.Combine(_root, "probs.csv");
        SyntheticIdc.WriteCsv(csv, _layout, withPaths: false, _root);
        var lines = File.ReadAllLines(csv).ToList();
        lines.Insert(3, $"{_layout[0].Id},abc,51,1,0.5");
        lines.Insert(5, $"{_layout[0].Id},51,101,0,");
        File.WriteAllLines(csv, lines);
        var (rows, problems) = PatchTableReader.ReadCsv(csv, new PatchColumns(), null, CultureInfo.InvariantCulture);
        var bad = Assert.Single(problems);
        Assert.Equal(ErrorIds.CsvRowInvalid, bad.ErrorId);
        Assert.Contains("line 4", bad.Message);
        Assert.Contains("x 'abc'", bad.Message);

        var patients = PatientGrouping.Group(ParseAll(Path.Combine(_root, "data")), rows, 50, GridOrigin.OneBased);
        var first = patients[_layout[0].Id];
        Assert.All(first.Patches, p => Assert.NotNull(p.Path));
        Assert.Contains(first.Patches, p => p.Probability is > 0.5);
        var result = PatientRenderer.Render(first, Options(confusion: true), null, false, CancellationToken.None);
        Assert.NotNull(result.Confusion);
        // The synthetic model errs near the tumour border; the expected counts come from the table itself.
        int Count(int target, bool predicted) => first.Patches.Count(p => p.Target == target && p.Probability is double q && q >= 0.5 == predicted);
        Assert.Equal(new ConfusionCounts(Count(1, true), Count(0, true), Count(1, false), Count(0, false)), result.Confusion);
        Assert.Contains(result.Files, f => f.EndsWith("_confusion.png"));
    }

    [Fact]
    public void Results_come_back_in_selection_order_whichever_patient_finishes_first()
    {
        // The first patient is slow (2,000 patch images to decode), the 30 after it are tiny label-only ones, so on
        // four workers the later ones finish long before it.
        var images = Directory.GetFiles(Path.Combine(_root, "data"), "*.png", SearchOption.AllDirectories);
        var slow = Enumerable.Range(0, 2000).Select(k => new PatchRecord("1000", 1 + 50 * (k % 50), 1 + 50 * (k / 50), k % 2, null, images[k % images.Length], "test"));
        var fast = Enumerable.Range(1, 30).SelectMany(p => Enumerable.Range(0, 3).Select(k => new PatchRecord($"{1000 + p}", 1 + 50 * k, 1, k % 2, null, null, "test")));
        var patients = PatientGrouping.Group(slow.Concat(fast).ToList(), Array.Empty<PatchRecord>(), 50, GridOrigin.OneBased);
        var chosen = PatchGridJob.Select(patients, new PatientSelection());
        var options = Options() with { WritePatients = false, ThrottleLimit = 4 };
        // Enough pool threads that all four workers run at once even while other tests hold some.
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 16), io);
        try
        {
            var order = PatchGridJob.Render(chosen, options, CancellationToken.None).Drawn().Select(r => r.PatientId).ToList();
            Assert.Equal(chosen.Select(p => p.PatientId), order);
        }
        finally
        {
            ThreadPool.SetMinThreads(workers, io);
        }
    }

    [Fact]
    public void Without_patch_images_each_cell_is_a_CellSize_square_of_its_label()
    {
        var csv = Path.Combine(_root, "labels.csv");
        SyntheticIdc.WriteCsv(csv, _layout, withPaths: false, _root);
        var (rows, _) = PatchTableReader.ReadCsv(csv, new PatchColumns(), null, CultureInfo.InvariantCulture);
        var patients = PatientGrouping.Group(Array.Empty<PatchRecord>(), rows, 50, GridOrigin.OneBased);
        var patient = _layout[1];
        foreach (int cell in new[] { 1, 10 })
        {
            var result = PatientRenderer.Render(patients[patient.Id], Options() with { CellSize = cell, OutputDirectory = Path.Combine(_root, $"cells{cell}") },
                null, false, CancellationToken.None);
            string labels = Assert.Single(result.Files, f => f.EndsWith("_labels.png"));
            using var image = Cv2.ImRead(labels);
            Assert.Equal(patient.Columns * cell, image.Width);
            Assert.Equal(patient.Rows * cell, image.Height);
            Assert.Equal((image.Width, image.Height), (result.ImageWidth, result.ImageHeight));
            for (int row = 0; row < patient.Rows; row++)
            for (int column = 0; column < patient.Columns; column++)
                Assert.Equal(SyntheticIdc.IsTumour(patient, column, row) ? new Vec3b(0, 0, 255) : new Vec3b(203, 192, 255),
                    image.At<Vec3b>(row * cell + cell / 2, column * cell + cell / 2));
        }
    }

    [Fact]
    public void MaxSize_caps_the_canvas_and_the_montage_has_one_titled_panel_per_patient()
    {
        var patients = PatientGrouping.Group(ParseAll(Path.Combine(_root, "data")), Array.Empty<PatchRecord>(), 50, GridOrigin.OneBased);
        var chosen = PatchGridJob.Select(patients, new PatientSelection(First: 2));
        var options = Options() with { MaxSize = 120, Montage = true, Rows = 1, Columns = 2, PanelSize = 100 };
        var results = PatchGridJob.Render(chosen, options, CancellationToken.None).Drawn().ToList();
        using (var tissue = Cv2.ImRead(results[0].Files.Single(f => f.EndsWith("_tissue.png"))))
            Assert.Equal(120, Math.Max(tissue.Width, tissue.Height));
        var montage = PatchGridJob.WriteMontage(results, chosen, options);
        Assert.Equal(chosen.Select(p => p.PatientId), montage.PatientIds);
        using var image = Cv2.ImRead(montage.Path);
        Assert.Equal(2 * 100 + 3 * 6, image.Width);
        Assert.Equal(100 + 24 + 2 * 6, image.Height);
    }

    [Fact]
    public void Names_that_do_not_match_are_reported_by_name_then_counted()
    {
        var good = SyntheticIdc.FileName("p1", 1, 51, 1);
        var paths = new[] { good }.Concat(Enumerable.Range(0, 8).Select(i => $"/data/notes_{i}.png")).ToList();
        var (records, problems) = new PatchNameParser().ParseAll(paths, named: 5);
        var record = Assert.Single(records);
        Assert.Equal(("p1", 1, 51, 1), (record.PatientId, record.X, record.Y, record.Target!.Value));
        Assert.Equal(6, problems.Count);
        Assert.All(problems, p => Assert.Equal(ErrorIds.PatchNameUnparsed, p.ErrorId));
        Assert.Contains("notes_0.png", problems[0].Message);
        Assert.Contains("3 more", problems[5].Message);
    }

    [Fact]
    public void Custom_patterns_read_class_probability_and_folder_or_leave_them_out()
    {
        var withAll = new PatchNameParser(@"^(?<patient>\w+)-(?<x>\d+)-(?<y>\d+)-c(?<class>\d)-p(?<probability>[\d.]+)\.png$");
        var r = withAll.Parse("/data/slide7/1/s7-100-250-c1-p0.875.png")!;
        Assert.Equal(("s7", 100, 250, 1, 0.875, 1), (r.PatientId, r.X, r.Y, r.Target!.Value, r.Probability!.Value, r.FolderTarget!.Value));

        var bare = new PatchNameParser(@"^(?<patient>\w+)_(?<x>\d+)_(?<y>\d+)\.png$");
        var b = bare.Parse("/data/tiles/s7_0_50.png")!;
        Assert.Equal(("s7", 0, 50), (b.PatientId, b.X, b.Y));
        Assert.Null(b.Target);
        Assert.Null(b.Probability);
        Assert.Null(b.FolderTarget);
        Assert.Null(bare.Parse("/data/tiles/s7_0_x.png"));
    }

    [Fact]
    public void Random_selection_is_reproducible_with_a_seed_differs_between_seeds_and_is_not_the_first_ids()
    {
        // Twenty patients with one row each: enough that a selection without the shuffle, or one ignoring the seed, shows.
        var rows = Enumerable.Range(1, 20).Select(i => new PatchRecord($"{i}", 1, 1, 0, null, null, $"line {i}")).ToList();
        var patients = PatientGrouping.Group(Array.Empty<PatchRecord>(), rows, 50, GridOrigin.OneBased);
        List<string> Pick(int seed) => PatchGridJob.Select(patients, new PatientSelection(Random: 4, Seed: seed)).Select(p => p.PatientId).ToList();
        Assert.Equal(Pick(9), Pick(9));
        Assert.Equal(4, Pick(9).Count);
        var bySeed = Enumerable.Range(1, 8).Select(Pick).ToList();
        Assert.True(bySeed.Select(p => string.Join(",", p)).Distinct().Count() > 1, "every seed picked the same patients");
        var first = new[] { "1", "2", "3", "4" };
        Assert.Contains(bySeed, p => !p.SequenceEqual(first));
        // Picked patients come back in natural order, whichever the shuffle chose.
        Assert.All(bySeed, p => Assert.Equal(p.OrderBy(id => int.Parse(id)), p));
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}

/// <summary>Coordinates near 2^31 and canvases too large to allocate: the patient alone is affected, and says why.</summary>
public class PatchGridLimitsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hmt-limits").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static PatchRecord Row(string patient, int x, int y, int line) =>
        new(patient, x, y, 1, 0.5, null, $"predictions.csv line {line}");

    [Fact]
    public void A_row_at_2_to_the_31_is_refused_and_its_patient_drawn_at_the_right_size()
    {
        var rows = Enumerable.Range(0, 40).Select(i => Row("p1", 1 + 50 * (i % 8), 1 + 50 * (i / 8), i + 2)).ToList();
        rows.Add(Row("p1", int.MaxValue, int.MaxValue, 42));
        var patients = PatientGrouping.Group(Array.Empty<PatchRecord>(), rows, 50, GridOrigin.OneBased);
        Assert.Single(patients["p1"].Problems, p => p.ErrorId == ErrorIds.PatchCoordinateOutOfRange && p.Message.Contains("line 42"));
        var result = PatchGridJob.Render(patients.Values.ToList(), new PatchGridOptions { OutputDirectory = _root }, CancellationToken.None).Drawn().Single();
        Assert.Equal(40, result.PatchCount);
        Assert.Equal(8 * 50, result.Width);
        Assert.Equal(5 * 50, result.Height);
        Assert.NotEmpty(result.Files);
    }

    [Fact]
    public void A_canvas_over_the_budget_fails_its_patient_only()
    {
        var rows = new List<PatchRecord>
        {
            Row("huge", 1, 1, 2), Row("huge", 30001, 30001, 3),
            Row("small", 1, 1, 4), Row("small", 51, 1, 5),
        };
        var patients = PatchGridJob.Select(PatientGrouping.Group(Array.Empty<PatchRecord>(), rows, 50, GridOrigin.OneBased), new PatientSelection());
        // Patch images make a canvas one pixel per image pixel: 30,050 squared is 903 megapixels, over a 100-megapixel budget.
        var withImages = patients.Select(p => { var copy = new PatientPatches { PatientId = p.PatientId }; copy.Patches.AddRange(p.Patches.Select(r => r with { Path = "/nonexistent.png" })); return copy; }).ToList();
        var results = PatchGridJob.Render(withImages, new PatchGridOptions { OutputDirectory = _root, CanvasPixelBudget = 100_000_000 }, CancellationToken.None).ToList();
        var huge = results.Single(r => r.Path == "huge");
        Assert.Equal(ErrorIds.CanvasTooLarge, huge.Error?.ErrorId);
        Assert.Equal(ErrorKind.LimitsExceeded, huge.Error!.Category);
        Assert.Contains("-MaxSize", huge.Error.Message);
        // The failed patient still reports its counts, so a table of patients lists it.
        Assert.Equal(2, huge.Value!.PatchCount);
        Assert.Empty(huge.Value.Files);
        Assert.NotEmpty(results.Single(r => r.Path == "small").Value!.Files);
        // With -MaxSize the same patient fits and is drawn.
        var scaled = PatchGridJob.Render(withImages.Where(p => p.PatientId == "huge").ToList(),
            new PatchGridOptions { OutputDirectory = Path.Combine(_root, "scaled"), CanvasPixelBudget = 100_000_000, MaxSize = 4000 }, CancellationToken.None).Drawn().Single();
        Assert.DoesNotContain(scaled.Problems, p => p.ErrorId == ErrorIds.CanvasTooLarge);
        Assert.NotEmpty(scaled.Files);
    }
}

/// <summary>One patient going wrong never stops the others.</summary>
public class PatientIsolationTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hmt-isolation").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void A_patient_whose_files_cannot_be_written_fails_alone_and_every_other_patient_is_drawn()
    {
        string hugeId = new string('7', 5 * 1024 * 1024);
        var rows = new[] { "100", hugeId, "300" }
            .SelectMany(id => Enumerable.Range(0, 4).Select(i => new PatchRecord(id, 1 + 50 * i, 1, i % 2, 0.3, null, $"{id[..3]} line {i}"))).ToList();
        var patients = PatchGridJob.Select(PatientGrouping.Group(Array.Empty<PatchRecord>(), rows, 50, GridOrigin.OneBased), new PatientSelection());
        var results = PatchGridJob.Render(patients, new PatchGridOptions { OutputDirectory = _root, ThrottleLimit = 2 }, CancellationToken.None).ToList();
        Assert.Equal(3, results.Count);
        var bad = results.Single(r => r.Path == hugeId);
        // Each refused file is a problem of the patient (the other kinds are still written); a failure before any file, its error.
        var reported = bad.Error?.ErrorId ?? bad.Value!.Problems.FirstOrDefault(p => p.IsError)?.ErrorId;
        Assert.True(reported is ErrorIds.OutputWriteFailed or ErrorIds.PatientFailed, reported ?? "not reported");
        Assert.Empty(bad.Value!.Files);
        foreach (var good in results.Where(r => r.Path != hugeId).Select(r => r.Value!))
        {
            Assert.NotEmpty(good.Files);
            Assert.All(good.Files, f => Assert.True(File.Exists(f)));
        }
    }
}

/// <summary>The run the cmdlet drives: inputs in any order, then patients, selection and drawing.</summary>
public class PatchIntakeTests
{
    [Fact]
    public void Patient_id_wildcards_expand_in_natural_order_and_plain_or_unmatched_ids_stay_as_typed()
    {
        var present = new[] { "1025", "1020", "10210", "1021", "1035" };
        Assert.Equal(new[] { "1020", "1021", "1025", "10210" }, PatchIntake.ExpandPatientIds(new[] { "102*" }, present));
        Assert.Equal(new[] { "1025", "1035" }, PatchIntake.ExpandPatientIds(new[] { "10?5" }, present));
        Assert.Equal(new[] { "1020", "1021" }, PatchIntake.ExpandPatientIds(new[] { "102[0-1]" }, present));
        Assert.Equal(new[] { "999", "77*" }, PatchIntake.ExpandPatientIds(new[] { "999", "77*" }, present));
        Assert.Null(PatchIntake.ExpandPatientIds(null, present));
    }

    [Fact]
    public void Files_tables_and_rows_become_patients_with_every_input_protected()
    {
        var folder = Directory.CreateTempSubdirectory("hmt-run").FullName;
        try
        {
            var layout = SyntheticIdc.Layout(2, 10, seed: 4);
            SyntheticIdc.Write(Path.Combine(folder, "data"), layout, 2);
            string csv = Path.Combine(folder, "extra.csv");
            File.WriteAllText(csv, "patient_id,x,y,target,probability\n555,1,1,1,0.9\n555,51,1,0,0.2\n");
            var run = new PatchIntake();
            run.AddPath(Path.Combine(folder, "data"));
            run.AddFile(csv);
            Assert.Null(run.AddRow(new PatchTableReader.RowValues("556", "1", "1", "0", "0.1", null), CultureInfo.InvariantCulture, folder));
            Assert.NotNull(run.AddRow(new PatchTableReader.RowValues("557", "x", "1", "0", "0.1", null), CultureInfo.InvariantCulture, folder));
            var prepared = run.Prepare(new PatchInputSettings(new PatchColumns(), null, CultureInfo.InvariantCulture, null, 50, GridOrigin.OneBased));
            Assert.Equal(layout.Select(p => p.Id).Concat(new[] { "555", "556" }).Order(), prepared.Patients.Keys.Order());
            Assert.Equal(2, prepared.Patients["555"].Patches.Count);
            Assert.Contains(Path.GetFullPath(csv), prepared.Inputs);
            Assert.All(Directory.EnumerateFiles(Path.Combine(folder, "data"), "*.png", SearchOption.AllDirectories), f => Assert.Contains(f, prepared.Inputs));
            Assert.Single(prepared.ProblemsByPatient["557"]);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

internal static class DrawnPatients
{
    /// <summary>The patients' results, failing the test on the first patient that could not be drawn.</summary>
    public static IEnumerable<PatientResult> Drawn(this IEnumerable<ItemResult<PatientResult>> items) =>
        items.Select(item => item.Error is null ? item.Value! : throw new Xunit.Sdk.XunitException($"patient {item.Path}: [{item.Error.ErrorId}] {item.Error.Message}"));
}
