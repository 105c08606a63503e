using HeatmapTools.Engine.Slides;
using Xunit;

namespace HeatmapTools.Engine.Tests;

public class SlideTests
{
    [Fact]
    public void A_raster_painted_window_by_window_equals_it_painted_whole_CAM_maps_included()
    {
        HeatmapTools.Engine.Native.Runtime.EnsureImaging();
        // Overlapping tiles, one past the raster's edge, with 7 x 5 maps (a gradient and a peak) resized to their squares:
        // the OME-TIFF paints 64-pixel windows that cut through squares; OpenCV's resize of the whole square is the reference.
        float[] Map(int seed) => Enumerable.Range(0, 35).Select(i => (float)((i * seed % 17) / 16.0)).ToArray();
        var tiles = new List<TileProbability>
        {
            new(0, 0, 300, 0.2),
            new(150, 90, 300, 0.9),
            new(400, 200, 300, 0.5) { Map = Map(3), MapWidth = 7, MapHeight = 5 },
            new(500, 330, 300, 0.5) { Map = Map(5), MapWidth = 7, MapHeight = 5 },
            new(40, 500, 260, 0.7) { Map = Map(7), MapWidth = 7, MapHeight = 5 },
        };
        const double scale = 0.37;
        const int width = 290, height = 280;
        var (whole, covered) = SlideHeatmap.Raster(tiles, scale, width, height);
        using var _w = whole;
        using var _c = covered;
        double worst = 0;
        int wrongCover = 0;
        for (int wy = 0; wy < height; wy += 64)
            for (int wx = 0; wx < width; wx += 64)
            {
                var window = new OpenCvSharp.Rect(wx, wy, 64, 64);
                var (part, partCovered) = SlideHeatmap.RasterWindow(tiles, scale, width, height, window);
                using (part)
                using (partCovered)
                    for (int y = 0; y < 64 && wy + y < height; y++)
                        for (int x = 0; x < 64 && wx + x < width; x++)
                        {
                            worst = Math.Max(worst, Math.Abs(part.At<float>(y, x) - whole.At<float>(wy + y, wx + x)));
                            if (partCovered.At<byte>(y, x) != covered.At<byte>(wy + y, wx + x)) wrongCover++;
                        }
            }
        Assert.Equal(0, wrongCover);
        Assert.True(worst < 1e-6, $"Window and whole differ by {worst}.");
    }

    [Fact]
    public void Auroc_is_the_Mann_Whitney_statistic_with_ties_counted_half()
    {
        // scikit-learn's roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) is 0.75.
        Assert.Equal(0.75, SlideAgreement.Auroc(new[] { 0.1, 0.4, 0.35, 0.8 }, new[] { false, false, true, true })!.Value, 12);
        // One tie between a positive and a negative: half a win of four pairs.
        Assert.Equal(0.875, SlideAgreement.Auroc(new[] { 0.1, 0.5, 0.5, 0.9 }, new[] { false, false, true, true })!.Value, 12);
        Assert.Null(SlideAgreement.Auroc(new[] { 0.1, 0.2 }, new[] { true, true }));
    }

    [Fact]
    public void A_tile_path_names_a_region_of_an_existing_slide_and_nothing_else()
    {
        string folder = Directory.CreateTempSubdirectory("hmt-tile").FullName;
        try
        {
            string slide = Path.Combine(folder, "s 1.tiff");
            File.WriteAllBytes(slide, new byte[] { 1 });
            string tile = SlideTilePath.Format(slide, 2, 1536, 512, 128);
            Assert.Equal(Path.Combine(folder, "s 1.tiff.tiles", "s 1_L2_x1536_y512_s128.png"), tile);
            Assert.True(SlideTilePath.TryParse(tile, out var parsed));
            Assert.Equal((slide, 2, 1536L, 512L, 128), parsed);
            Assert.False(SlideTilePath.IsTile(SlideTilePath.Format(Path.Combine(folder, "missing.tiff"), 0, 0, 0, 256)));
            Assert.False(SlideTilePath.IsTile(Path.Combine(folder, "s 1_L2_x1536_y512_s128.png")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Rows_are_placed_in_level_0_pixels_whatever_level_they_were_cut_at_and_a_row_that_cannot_be_placed_is_its_error()
    {
        string folder = Directory.CreateTempSubdirectory("hmt-place").FullName;
        try
        {
            string path = Path.Combine(folder, "s.tiff");
            HeatmapTools.TestData.SyntheticSlide.Write(path, HeatmapTools.TestData.SyntheticSlide.For(6000, 4000), 0.5);
            string other = Path.Combine(folder, "t.tiff");
            File.Copy(path, other);
            using var slide = Slide.Open(path);
            Assert.True(slide.Levels.Count > 1, "the synthetic slide has a pyramid");
            double downsample = slide.Levels[1].Downsample;
            var map = new float[2, 3] { { 0, 1, 2 }, { 3, 4, 5 } };
            var placed = TilePlacement.Place(slide, new[]
            {
                new SlideRow("level 1", SlideTilePath.Format(path, 1, 1024, 512, 128), null, null, null, 0.25, map, 1),
                new SlideRow("level 0", SlideTilePath.Format(path, 0, 256, 0, 256), null, null, null, 0.5),
                new SlideRow("other slide", SlideTilePath.Format(other, 0, 0, 0, 256), null, null, null, 0.5),
                new SlideRow("no side", null, 10, 20, null, 0.5),
                new SlideRow("table", null, 10, 20, 300, 0.75),
            });
            Assert.Equal(new[] { "level 1", "level 0", "other slide", "no side", "table" }, placed.Select(p => p.Path));
            var tile = placed[0].Value!;
            // A tile's path names its corner in level-0 pixels and its side at its level.
            Assert.Equal((1024L, 512L, (long)Math.Round(128 * downsample), 0.25, 1), (tile.X, tile.Y, tile.Extent, tile.Probability, tile.Label));
            Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5 }, tile.Map);
            Assert.Equal((2, 3), (tile.MapHeight, tile.MapWidth));
            Assert.Equal((256L, 0L, 256L), (placed[1].Value!.X, placed[1].Value!.Y, placed[1].Value!.Extent));
            Assert.Equal((10L, 20L, 300L, 0.75), (placed[4].Value!.X, placed[4].Value!.Y, placed[4].Value!.Extent, placed[4].Value!.Probability));
            foreach (var bad in new[] { placed[2], placed[3] })
            {
                Assert.Null(bad.Value);
                Assert.Equal(ErrorIds.SlideRegionInvalid, bad.Error!.ErrorId);
                Assert.Contains($"'{bad.Path}'", bad.Error.Message);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Writing_deep_zoom_tiles_says_how_far_it_is_through_the_runs_listener()
    {
        string folder = Directory.CreateTempSubdirectory("hmt-dzi").FullName;
        try
        {
            var listener = new RecordingListener();
            int tiles = 0;
            using (Running.RunScope.Enter(listener))
                Reporting.DeepZoom.Write(folder, "v", 600, 300, "png", (w, h, window) => new OpenCvSharp.Mat(window.Height, window.Width, OpenCvSharp.MatType.CV_8UC3),
                    _ => tiles++, CancellationToken.None);
            Assert.True(tiles > 1);
            Assert.Equal(0.0, listener.Shares.First());
            Assert.Equal(1.0, listener.Shares.Last());
            Assert.True(listener.Shares.Zip(listener.Shares.Skip(1)).All(p => p.First <= p.Second), "progress only goes forward");
            Assert.All(listener.Statuses, s => Assert.StartsWith("Deep-zoom tiles of v", s));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Reading_a_slide_says_how_far_it_is_through_the_runs_listener()
    {
        string folder = Directory.CreateTempSubdirectory("hmt-slides").FullName;
        try
        {
            string path = Path.Combine(folder, "s.tiff");
            HeatmapTools.TestData.SyntheticSlide.Write(path, HeatmapTools.TestData.SyntheticSlide.For(6000, 4000), 0.5);
            using var slide = Slide.Open(path);
            var listener = new RecordingListener();
            using (Running.RunScope.Enter(listener))
            using (slide.Thumbnail(1.0 / 2, CancellationToken.None)) { }
            Assert.Equal(0.0, listener.Shares.First());
            Assert.Equal(1.0, listener.Shares.Last());
            Assert.All(listener.Statuses, s => Assert.StartsWith("Reading s.tiff (level 1)", s));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_slide_the_cache_let_go_of_is_still_read_by_whoever_holds_it_and_a_deleted_one_is_named()
    {
        string folder = Directory.CreateTempSubdirectory("hmt-slides").FullName;
        try
        {
            var paths = Enumerable.Range(0, 10).Select(i => Path.Combine(folder, $"s{i}.tiff")).ToList();
            foreach (var path in paths) HeatmapTools.TestData.SyntheticSlide.Write(path, HeatmapTools.TestData.SyntheticSlide.For(600, 400), 0.5);
            // A reader holds the first slide while nine others pass through the cache, which keeps eight.
            var first = SlideCache.Get(paths[0]);
            foreach (var path in paths.Skip(1)) SlideCache.Get(path);
            using (var region = first.ReadRegion(0, 0, 0, 32, 32)) Assert.Equal(32, region.Width);
            // Let go of again (as the cache does) and then deleted: the next read names the slide, not a raw IO message.
            first.Release();
            File.Delete(paths[0]);
            var error = Assert.Throws<HeatmapToolsException>(() => first.ReadRegion(0, 0, 0, 32, 32));
            Assert.Equal(ErrorIds.SlideUnreadable, error.ErrorId);
            Assert.Contains("s0.tiff", error.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
