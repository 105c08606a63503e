using System.Globalization;
using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Patches.ImageKinds;
using HeatmapTools.Engine.Rendering.MapFormats;
using OpenCvSharp;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>Raw map formats and patient image kinds are found by name, each one file: what -MapFormat and -Kind take.</summary>
public sealed class RegistryTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hmt-registry-" + Guid.NewGuid().ToString("N")[..8]);

    public RegistryTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Map_formats_are_found_by_name_and_None_asks_for_none()
    {
        Assert.Equal(new[] { "None", "Csv", "Npy", "Png16", "Tiff32" }, RawMapFormat.Names);
        Assert.Null(RawMapFormat.Parse("none"));
        Assert.Equal(".npy", RawMapFormat.Parse("NPY")!.Extension);
        var error = Assert.Throws<HeatmapToolsException>(() => RawMapFormat.Parse("Npz"));
        Assert.Equal(ErrorIds.UnknownMapFormat, error.ErrorId);
        Assert.Contains("'Npy'", error.Message);
    }

    [Fact]
    public void Every_map_format_writes_a_map_its_reader_gets_back()
    {
        // A 3 x 2 map with values a 16-bit PNG keeps exactly (k / 65535).
        var map = new[] { 0f, 1f, 0.5f, 0.25f, 1f / 65535, 0.75f };
        var npy = Path.Combine(_root, "m.npy");
        RawMapFormat.Parse("Npy")!.Write(npy, map, 3, 2, overwrite: false);
        var read = Npy.ReadFloat32(npy);
        Assert.Equal(new[] { 2, 3 }, read.Shape);
        Assert.Equal(map, read.Data);

        var png = Path.Combine(_root, "m.png");
        RawMapFormat.Parse("Png16")!.Write(png, map, 3, 2, overwrite: false);
        using var sixteen = Cv2.ImRead(png, ImreadModes.Unchanged);
        Assert.Equal(MatType.CV_16UC1, sixteen.Type());
        for (int i = 0; i < map.Length; i++) Assert.Equal((ushort)Math.Round(map[i] * 65535), sixteen.At<ushort>(i / 3, i % 3));

        var csv = Path.Combine(_root, "m.csv");
        RawMapFormat.Parse("Csv")!.Write(csv, map, 3, 2, overwrite: false);
        var rows = File.ReadAllLines(csv);
        Assert.Equal(2, rows.Length);
        Assert.Equal(map, rows.SelectMany(r => r.Split(',')).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray());

        var tif = Path.Combine(_root, "m.tif");
        RawMapFormat.Parse("Tiff32")!.Write(tif, map, 3, 2, overwrite: false);
        using (var exact = Cv2.ImRead(tif, ImreadModes.Unchanged))
        {
            Assert.Equal(MatType.CV_32FC1, exact.Type());
            for (int i = 0; i < map.Length; i++) Assert.Equal(map[i], exact.At<float>(i / 3, i % 3));
        }

        // Never over an existing file without being told.
        Assert.Equal(ErrorIds.OutputExists, Assert.Throws<HeatmapToolsException>(() => RawMapFormat.Parse("Csv")!.Write(csv, map, 3, 2, overwrite: false)).ErrorId);
    }

    [Fact]
    public void Patient_image_kinds_are_found_by_name_in_drawing_order()
    {
        Assert.Equal(new[] { "Tissue", "Labels", "Probability", "Cam", "Confusion" }, PatientImageKind.All.Select(k => k.Name));
        Assert.Equal(new[] { "Labels", "Confusion" }, PatientImageKind.Parse(new[] { "confusion", "LABELS", "Labels" }).Select(k => k.Name));
        Assert.Equal("probability", PatientImageKind.Parse(new[] { "Probability" }).Single().FileKind);
        var error = Assert.Throws<HeatmapToolsException>(() => PatientImageKind.Parse(new[] { "Lables" }));
        Assert.Equal(ErrorIds.UnknownImageKind, error.ErrorId);
        Assert.Contains("'Labels'", error.Message);
    }
}
