using HeatmapTools.Engine.Scaling;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>-Shard k/N: every item in exactly one shard, the same on every machine and run.</summary>
public class ShardTests
{
    private static readonly string[] Keys = Enumerable.Range(0, 10_000).Select(i => $"photos/batch{i % 37}/img_{i:D5}.jpg").ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void Shards_are_disjoint_and_cover_every_item(int count)
    {
        var shards = Enumerable.Range(1, count).Select(k => new Shard(k, count)).ToList();
        Assert.All(Keys, key => Assert.Single(shards, s => s.Contains(key)));
    }

    [Fact]
    public void Shards_share_the_items_about_evenly()
    {
        var sizes = Enumerable.Range(1, 4).Select(k => Keys.Count(key => new Shard(k, 4).Contains(key))).ToList();
        Assert.All(sizes, n => Assert.InRange(n, 2_200, 2_800));
    }

    [Fact]
    public void The_split_is_XXH64_of_the_UTF8_key_so_every_machine_agrees()
    {
        // The published XXH64 test vectors (seed 0): "" and "abc".
        Assert.Equal((int)(0xEF46DB3751D8E999UL % 7) + 1, Shard.Of("", 7));
        Assert.Equal((int)(0x44BC2CF5AD770999UL % 5) + 1, Shard.Of("abc", 5));
    }

    [Fact]
    public void Images_are_keyed_by_their_full_path_or_their_path_below_the_shard_root()
    {
        string root = Path.Combine(Path.GetTempPath(), "share");
        Assert.Equal(Path.Combine(root, "a", "b.png").Replace('\\', '/'), Shard.ImageKey(Path.Combine(root, "a", "b.png"), null));
        Assert.Equal("a/b.png", Shard.ImageKey(Path.Combine(root, "a", "b.png"), root));
        // The same file seen from another mount point gets the same key below its own root.
        Assert.Equal(Shard.ImageKey(Path.Combine(root, "a", "b.png"), root), Shard.ImageKey("/mnt/other/a/b.png", "/mnt/other"));
        Assert.Null(Shard.ImageKey("/elsewhere/c.png", root));
    }

    [Theory]
    [InlineData("0/3")]
    [InlineData("4/3")]
    [InlineData("1/0")]
    [InlineData("a/b")]
    [InlineData("2")]
    [InlineData("1/100001")]
    public void Malformed_shards_are_refused_with_ShardInvalid(string text)
    {
        var error = Assert.Throws<HeatmapToolsException>(() => Shard.Parse(text));
        Assert.Equal(ErrorIds.ShardInvalid, error.ErrorId);
        Assert.Equal(new Shard(2, 3), Shard.Parse(" 2 / 3 "));
    }
}
