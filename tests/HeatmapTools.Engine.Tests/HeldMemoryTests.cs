using HeatmapTools.Engine.Held;
using OpenCvSharp;
using Xunit;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Tests;

/// <summary>The budget results hold their tensors in: oldest out first, never over, and what was let go reads as nothing.</summary>
public class HeldMemoryTests
{
    private static Tensor Floats(int count, float value) => full(new long[] { count }, value);

    [Fact]
    public void Past_the_budget_the_least_recently_used_item_is_released_first()
    {
        var memory = new HeldMemory(3 * 400);
        var a = memory.Hold(Floats(100, 1));
        var b = memory.Hold(Floats(100, 2));
        var c = memory.Hold(Floats(100, 3));
        Assert.Equal(1200, memory.Used);
        // Reading a counts as using it: b is now the oldest and goes when d arrives.
        Assert.Equal(1f, a.TryRead()![0]);
        var d = memory.Hold(Floats(100, 4));
        Assert.False(b.IsHeld);
        Assert.Null(b.TryRead());
        Assert.True(a.IsHeld && c.IsHeld && d.IsHeld);
        Assert.Equal(1200, memory.Used);
        Assert.Equal(1, memory.Released);
        // Many more: never over the budget, the newest always held.
        HeldTensor last = d;
        for (int i = 0; i < 1000; i++) last = memory.Hold(Floats(100, i));
        Assert.Equal(1200, memory.Used);
        Assert.Equal(3, memory.Count);
        Assert.Equal(999f, last.TryRead()![99]);
    }

    [Fact]
    public void An_item_larger_than_the_budget_is_not_held_and_a_released_one_frees_its_share()
    {
        var memory = new HeldMemory(1000);
        var big = memory.Hold(Floats(300, 1));
        Assert.False(big.IsHeld);
        Assert.Equal(0, memory.Used);
        using var image = new Mat(10, 10, MatType.CV_8UC3, new Scalar(1, 2, 3));
        var held = memory.Hold(image.Clone());
        Assert.Equal(300, memory.Used);
        using (var copy = held.TryClone()!) Assert.Equal(new Vec3b(1, 2, 3), copy.Get<Vec3b>(5, 5));
        held.Release();
        Assert.Equal(0, memory.Used);
        Assert.Null(held.TryClone());
        // A budget of nothing holds nothing: every result reads its file again.
        Assert.False(new HeldMemory(0).Hold(Floats(1, 1)).IsHeld);
    }

    [Fact]
    public void Readers_and_holders_on_many_threads_never_see_a_released_tensor_half_way()
    {
        var memory = new HeldMemory(20 * 4000);
        var items = new System.Collections.Concurrent.ConcurrentBag<(HeldTensor Item, float Value)>();
        Parallel.For(0, 2000, i =>
        {
            items.Add((memory.Hold(Floats(1000, i)), i));
            foreach (var (item, value) in items.Take(5))
                if (item.TryRead() is { } read) Assert.All(read, v => Assert.Equal(value, v));
        });
        Assert.InRange(memory.Used, 0, memory.Capacity);
        Assert.Equal(memory.Used, items.Where(i => i.Item.IsHeld).Sum(i => i.Item.Bytes));
    }

    [Fact]
    public void A_released_map_is_made_again_only_from_the_unchanged_image()
    {
        string image = Path.Combine(Path.GetTempPath(), $"hmt-held-{Guid.NewGuid():N}.png");
        File.WriteAllBytes(image, new byte[] { 1, 2, 3 });
        try
        {
            var memory = new HeldMemory(1000);
            int recomputed = 0;
            var map = HeldMap.Of(new float[] { 0.5f, 0.25f }, 2, 1, memory, () => { recomputed++; return new float[] { 0.5f, 0.25f }; }, source: image);
            Assert.Equal(0.25f, map.Read()[1]);
            Assert.Equal(0, recomputed);
            memory.Hold(Floats(250, 0));
            Assert.False(map.IsHeld);
            Assert.Equal(0.25f, map.Read()[1]);
            Assert.Equal(1, recomputed);
            File.WriteAllBytes(image, new byte[] { 1, 2, 3, 4 });
            Assert.Equal(ErrorIds.MapSourceChanged, Assert.Throws<HeatmapToolsException>(() => map.Read()).ErrorId);
            File.Delete(image);
            Assert.Equal(ErrorIds.MapSourceChanged, Assert.Throws<HeatmapToolsException>(() => map.Read()).ErrorId);
            Assert.Equal(1, recomputed);
        }
        finally
        {
            File.Delete(image);
        }
    }
}
