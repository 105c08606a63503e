using HeatmapTools.Engine.Models;
using Xunit;

namespace HeatmapTools.Engine.Tests;

public class ClassLabelsTests
{
    [Theory]
    [InlineData("tabby", "tabby", 0)]
    [InlineData("tabby", "tabbby", 1)]
    [InlineData("espresso", "espersso", 1)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    public void Edit_distance_counts_insertions_deletions_substitutions_and_swaps(string a, string b, int expected)
    {
        Assert.Equal(expected, ClassLabels.EditDistance(a, b));
        Assert.Equal(expected, ClassLabels.EditDistance(b, a));
    }

    private static readonly ClassLabels ImageNet = ClassLabels.FromFile(Path.Combine(SharedData.Models, ClassLabels.ImageNetIndexFile));

    [Fact]
    public void Partial_names_match_by_start_first_then_anywhere_then_by_WordNet_id()
    {
        var tab = ImageNet.Matching("tab").Select(m => m.Label.Name).ToList();
        Assert.Equal(new[] { "tabby", "table_lamp" }, tab.Take(2));
        Assert.Contains("dining_table", tab);
        Assert.True(tab.IndexOf("table_lamp") < tab.IndexOf("dining_table"), "names starting with the text come first");

        var cats = ImageNet.Matching("egyptian cat").Select(m => m.Label.Index).ToList();
        Assert.Equal(new[] { 285 }, cats);

        var ids = ImageNet.Matching("n0212315").ToList();
        Assert.All(ids, m => Assert.True(m.ByWordNetId));
        Assert.Contains(ids, m => m.Label.Index == 282 && m.Label.WordNetId == "n02123159");

        // "crane" is both a bird (134) and a machine (517): offered once by name.
        Assert.Single(ImageNet.Matching("crane"), m => m.Label.Name == "crane");
    }

    [Fact]
    public void An_unknown_name_suggests_close_ones()
    {
        var error = Assert.Throws<HeatmapToolsException>(() => ImageNet.Find("tabby cat"));
        Assert.Equal(ErrorIds.UnknownClass, error.ErrorId);
        var bare = Assert.Throws<HeatmapToolsException>(() => ImageNet.Find("lamp"));
        Assert.Contains("table_lamp (846)", bare.Message);
        // Nothing contains a misspelt name: names a typo or two away are offered instead, nearest first.
        var typo = Assert.Throws<HeatmapToolsException>(() => ImageNet.Find("tabbby"));
        Assert.Contains("Did you mean: tabby (281)", typo.Message);
        var swapped = Assert.Throws<HeatmapToolsException>(() => ImageNet.Find("espersso"));
        Assert.Contains("Did you mean: espresso (967)", swapped.Message);
        Assert.DoesNotContain("Did you mean", Assert.Throws<HeatmapToolsException>(() => ImageNet.Find("qqqqqqqq")).Message);
        Assert.Equal(281, ImageNet.Find("Tabby"));
        Assert.Equal(281, ImageNet.Find("n02123045"));
    }
}
