using HeatmapTools.Engine.Cam.Output;
using System.Diagnostics;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Patches;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>Inputs that are not regular files, racing writers and temporaries of killed runs.</summary>
public class HostileInputTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("hmt-hostile").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Fifo(string name)
    {
        string path = Path.Combine(_folder, name);
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", new[] { path }) { UseShellExecute = false })!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }

    // Opening a FIFO for reading blocks until a writer comes: the test must end even if the code under test hangs.
    private static T Within<T>(Func<T> work)
    {
        var task = OwnThread.Run(work);
        Assert.True(task.Wait(TimeSpan.FromSeconds(20)), "still waiting after 20 s: the FIFO was opened");
        return task.Result;
    }

    [Fact]
    public void A_fifo_named_like_an_image_is_refused_at_once_for_every_kind_of_input()
    {
        if (!OperatingSystem.IsLinux()) return;
        string image = Fifo("x.png");
        Assert.Equal("a named pipe (FIFO)", RegularFile.Kind(image));
        var error = Within(() => Assert.Throws<HeatmapToolsException>(() => ImageReader.ReadBgr(image)));
        Assert.Equal(ErrorIds.ImageUnreadable, error.ErrorId);
        Assert.Contains("named pipe", error.Message);

        string csv = Fifo("predictions.csv");
        error = Within(() => Assert.Throws<HeatmapToolsException>(() => PatchTableReader.ReadCsv(csv, new PatchColumns(), null, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(ErrorIds.CsvRowInvalid, error.ErrorId);

        string weights = Fifo("resnet18.pth");
        error = Within(() => Assert.Throws<HeatmapToolsException>(() => ModelStore.CreateUncached(new WeightsRequest("resnet18", WeightsPath: weights))));
        Assert.Equal(ErrorIds.WeightsUnreadable, error.ErrorId);

        string labels = Fifo("labels.txt");
        error = Within(() => Assert.Throws<HeatmapToolsException>(() => ClassLabels.FromFile(labels)));
        Assert.Equal(ErrorIds.LabelsInvalid, error.ErrorId);
    }

    [Fact]
    public void Regular_files_links_to_them_and_missing_files_are_not_flagged()
    {
        string file = Path.Combine(_folder, "a.png");
        File.WriteAllBytes(file, new byte[] { 1 });
        string link = Path.Combine(_folder, "link.png");
        File.CreateSymbolicLink(link, file);
        Assert.Null(RegularFile.Kind(file));
        Assert.Null(RegularFile.Kind(link));
        Assert.Null(RegularFile.Kind(Path.Combine(_folder, "missing.png")));
        Assert.Equal("a directory", RegularFile.Kind(_folder));
    }

    [Fact]
    public void A_nul_character_in_a_path_is_an_error_id_not_a_raw_exception()
    {
        var error = Assert.Throws<HeatmapToolsException>(() => ImageReader.ReadBgr(Path.Combine(_folder, "a\0b.png")));
        Assert.Equal(ErrorIds.ImageUnreadable, error.ErrorId);
    }

    [Fact]
    public void Of_two_writers_racing_for_one_name_without_force_exactly_one_wins_and_its_file_stays()
    {
        for (int round = 0; round < 50; round++)
        {
            string path = Path.Combine(_folder, $"race{round}.bin");
            // Both writers pass the up-front existence check before either publishes: only the rename can decide.
            using var bothWriting = new Barrier(2);
            var outcomes = new string?[2];
            Parallel.For(0, 2, i =>
            {
                try
                {
                    AtomicFile.Write(path, overwrite: false, s =>
                    {
                        s.WriteByte((byte)i);
                        bothWriting.SignalAndWait(TimeSpan.FromSeconds(10));
                    });
                    outcomes[i] = "written";
                }
                catch (HeatmapToolsException ex)
                {
                    outcomes[i] = ex.ErrorId;
                }
            });
            Assert.Equal(1, outcomes.Count(o => o == "written"));
            Assert.Equal(1, outcomes.Count(o => o == ErrorIds.OutputExists));
            Assert.Equal((byte)Array.IndexOf(outcomes, "written"), File.ReadAllBytes(path)[0]);
        }
        Assert.Empty(Directory.EnumerateFiles(_folder, "*.tmp", new EnumerationOptions { AttributesToSkip = 0 }));
    }

    [Fact]
    public void Temporaries_of_a_killed_run_are_swept_and_those_of_running_processes_kept()
    {
        // A process id that is not running (the kernel's pid_max is 4194304 at most) and this process's own.
        string dead = Path.Combine(_folder, ".x.png.hmt-4194305-0123abcd.tmp");
        string alive = Path.Combine(_folder, $".y.png.hmt-{Environment.ProcessId}-0123abcd.tmp");
        string foreign = Path.Combine(_folder, ".z.png.other.tmp");
        foreach (var f in new[] { dead, alive, foreign }) File.WriteAllBytes(f, new byte[] { 1 });
        var removed = AtomicFile.SweepStale(_folder);
        Assert.Equal(new[] { dead }, removed);
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(alive));
        Assert.True(File.Exists(foreign));
    }

    [Fact]
    public void A_catastrophic_name_pattern_fails_within_its_timeout()
    {
        var parser = new PatchNameParser(@"^(?<patient>(a+)+)_x(?<x>\d+)_y(?<y>\d+)$");
        var names = new[] { "aa_x1_y2.png", new string('a', 40) + "!" };
        // The timeout's own ErrorId says the match was cut short (Within only guards against hanging).
        var error = Within(() => Assert.Throws<HeatmapToolsException>(() => parser.ParseAll(names)));
        Assert.Equal(ErrorIds.NamePatternTimeout, error.ErrorId);
        // The built-in pattern has no timeout to pay for, and still parses.
        Assert.NotNull(new PatchNameParser().Parse("10253_idx5_x1001_y1051_class0.png"));
    }

    [Fact]
    public void Unknown_placeholders_in_output_templates_are_refused_before_any_work()
    {
        var error = Assert.Throws<HeatmapToolsException>(() => new Cam.Output.OutputNaming("/tmp/{name}_{clas}.png", false));
        Assert.Equal(ErrorIds.OutputTemplateInvalid, error.ErrorId);
        Assert.Contains("{clas}", error.Message);
        error = Assert.Throws<HeatmapToolsException>(() => PatientFileNames.Validate("{patient}/{kind}_{date}"));
        Assert.Equal(ErrorIds.NameTemplateInvalid, error.ErrorId);
        Assert.Contains("{date}", error.Message);
        new Cam.Output.OutputNaming("/tmp/{name}_{class}_{label}_{method}_{layer}.{ext}", true);
        PatientFileNames.Validate("{Patient}/{kind}");
    }

    [Fact]
    public void A_patch_class_other_than_0_or_1_is_left_out_with_its_own_error_id()
    {
        var rows = new[] { 2, -1, 0, 1 }.Select((t, i) => new PatchRecord("p", 1 + 50 * i, 1, t, null, null, $"line {i + 2}")).ToList();
        var patient = PatientGrouping.Group(Array.Empty<PatchRecord>(), rows, 50, GridOrigin.OneBased)["p"];
        Assert.Equal(2, patient.Patches.Count);
        Assert.Equal(new[] { "line 2", "line 3" }, patient.Problems.Where(p => p.ErrorId == ErrorIds.PatchTargetInvalid).Select(p => p.Source));
    }

    [Fact]
    public void A_write_into_a_folder_that_is_a_file_fails_with_an_error_id()
    {
        string notAFolder = Path.Combine(_folder, "file");
        File.WriteAllText(notAFolder, "x");
        var error = Assert.Throws<HeatmapToolsException>(() => AtomicFile.WriteBytes(Path.Combine(notAFolder, "out.png"), false, new byte[] { 1 }));
        Assert.Equal(ErrorIds.OutputWriteFailed, error.ErrorId);
    }

    /// <summary>A PNG that declares <paramref name="width"/> x <paramref name="height"/> pixels and holds almost nothing (the header is all the check reads).</summary>
    private static byte[] DeclaredPng(int width, int height)
    {
        var bytes = new List<byte> { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R' };
        bytes.AddRange(BitConverter.GetBytes(width).Reverse());
        bytes.AddRange(BitConverter.GetBytes(height).Reverse());
        bytes.AddRange(new byte[] { 8, 2, 0, 0, 0, 0, 0, 0, 0 });
        return bytes.ToArray();
    }

    [Fact]
    public void Declared_sizes_are_read_from_png_and_jpeg_headers_as_opencv_decodes_them()
    {
        using var image = new OpenCvSharp.Mat(37, 53, OpenCvSharp.MatType.CV_8UC3, OpenCvSharp.Scalar.All(90));
        Assert.Equal((53, 37), ImageHeader.Size(image.ImEncode(".png")));
        Assert.Equal((53, 37), ImageHeader.Size(image.ImEncode(".jpg")));
        Assert.Equal((30000, 30000), ImageHeader.Size(DeclaredPng(30000, 30000)));
        Assert.Null(ImageHeader.Size(new byte[] { 1, 2, 3 }));
    }

    [Fact]
    public void An_image_declaring_more_pixels_than_the_limit_is_refused_before_decoding()
    {
        string bomb = Path.Combine(_folder, "bomb.png");
        File.WriteAllBytes(bomb, DeclaredPng(30000, 30000));
        var error = Assert.Throws<HeatmapToolsException>(() => ImageReader.ReadBgr(bomb));
        Assert.Equal(ErrorIds.ImageUnreadable, error.ErrorId);
        Assert.Contains("900 megapixels", error.Message);
    }

    [Fact]
    public void A_bomb_patch_is_left_blank_and_its_patient_drawn()
    {
        string patches = Path.Combine(_folder, "p");
        Directory.CreateDirectory(patches);
        using var tissue = new OpenCvSharp.Mat(50, 50, OpenCvSharp.MatType.CV_8UC3, OpenCvSharp.Scalar.All(120));
        string good = Path.Combine(patches, "7_idx5_x1_y1_class0.png"), bad = Path.Combine(patches, "7_idx5_x51_y1_class1.png");
        tissue.SaveImage(good);
        File.WriteAllBytes(bad, DeclaredPng(30000, 30000));
        var parser = new PatchNameParser();
        var patients = PatientGrouping.Group(new[] { parser.Parse(good)!, parser.Parse(bad)! }, Array.Empty<PatchRecord>(), 50, GridOrigin.OneBased);
        var result = PatchGridJob.Render(patients.Values.ToList(), new PatchGridOptions { OutputDirectory = Path.Combine(_folder, "out") }, CancellationToken.None).Drawn().Single();
        Assert.Contains(result.Problems, p => p.ErrorId == ErrorIds.PatchUnreadable && p.Message.Contains("30,000"));
        Assert.NotEmpty(result.Files);
    }
}

/// <summary>Environment variables are process-wide: this runs with the other tests that change them, one at a time.</summary>
[Collection("Environment")]
public class CacheFolderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("hmt-cache").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_cache_that_is_a_file_is_named_when_a_download_would_need_it()
    {
        string cacheFile = Path.Combine(_folder, "cache");
        File.WriteAllText(cacheFile, "x");
        string? offline = Environment.GetEnvironmentVariable(WeightsLocator.OfflineVariable);
        string? before = Environment.GetEnvironmentVariable(WeightsLocator.CacheVariable);
        string? path = Environment.GetEnvironmentVariable(WeightsLocator.ModelPathVariable);
        try
        {
            Environment.SetEnvironmentVariable(WeightsLocator.OfflineVariable, null);
            Environment.SetEnvironmentVariable(WeightsLocator.CacheVariable, cacheFile);
            Environment.SetEnvironmentVariable(WeightsLocator.ModelPathVariable, _folder);
            var error = Assert.Throws<HeatmapToolsException>(() => WeightsLocator.Locate(new WeightsRequest("alexnet"), CancellationToken.None));
            Assert.Equal(ErrorIds.CacheUnusable, error.ErrorId);
        }
        finally
        {
            Environment.SetEnvironmentVariable(WeightsLocator.OfflineVariable, offline);
            Environment.SetEnvironmentVariable(WeightsLocator.CacheVariable, before);
            Environment.SetEnvironmentVariable(WeightsLocator.ModelPathVariable, path);
        }
    }
}
