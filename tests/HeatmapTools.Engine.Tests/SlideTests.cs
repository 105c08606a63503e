using HeatmapTools.Engine.Slides;
using Xunit;

namespace HeatmapTools.Engine.Tests;

public class SlideTests
{
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
}
