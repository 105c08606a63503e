using HeatmapTools.Engine.Native;
using System.Runtime.InteropServices;
using HeatmapTools.Engine.Rendering;
using OpenCvSharp;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>The process-wide speed settings: that they take effect, and that they change no output.</summary>
public class RuntimeTuningTests
{
    [Fact]
    public void Cached_colormap_tables_colour_exactly_like_applyColorMap()
    {
        // A float map covering every 8-bit level and values between them.
        const int rows = 37, cols = 300;
        using var map = new Mat(rows, cols, MatType.CV_32FC1);
        for (int y = 0; y < rows; y++)
            for (int x = 0; x < cols; x++) map.Set(y, x, (float)((x * 37 + y) % 1000 / 999.0));
        using var eightBit = new Mat();
        map.ConvertTo(eightBit, MatType.CV_8U, 255.0);
        foreach (var colormap in Enum.GetValues<ColormapTypes>())
        {
            using var expected = new Mat();
            Cv2.ApplyColorMap(eightBit, expected, colormap);
            using var actual = Colormaps.Apply(map, colormap);
            using var diff = new Mat();
            Cv2.Absdiff(expected, actual, diff);
            Assert.True(Cv2.CountNonZero(diff.Reshape(1)) == 0, $"{colormap} differs from applyColorMap");
        }
    }

    [Fact]
    public void Large_freed_blocks_are_reused_instead_of_faulted_in_again()
    {
        if (!OperatingSystem.IsLinux()) return;
        Runtime.EnsureInitialised();
        Assert.True(NativeHeap.Tuned, "glibc's allocator was not tuned (or HEATMAPTOOLS_NATIVE_HEAP=default is set)");

        // 24 MB, the size of one SqueezeNet conv1 output at batch 8: glibc's defaults would mmap it afresh each time.
        const int size = 24 << 20;
        Touch(size);
        long before = ThreadMinorFaults();
        for (int i = 0; i < 20; i++) Touch(size);
        long faults = ThreadMinorFaults() - before;
        // Faulting the block in once costs size / 4 KiB = 6,144 faults; twenty fresh mappings would cost 120,000.
        Assert.True(faults < 3 * 6144, $"{faults} page faults over 20 allocations of 24 MB");
    }

    [Fact]
    public void Kept_memory_is_released_only_after_the_last_user_has_been_gone_for_the_delay()
    {
        int runs = 0;
        // A fake clock: the timer fires when the test moves time on, synchronously, whatever the thread pool is doing.
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var idle = new IdleAction(() => Interlocked.Increment(ref runs), TimeSpan.FromSeconds(1), clock);

        // Two overlapping users: the first leaving starts nothing.
        idle.Enter();
        idle.Enter();
        idle.Exit();
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, runs);

        // A user arriving before the delay runs out (the next call in a loop) stops the clock.
        idle.Exit();
        clock.Advance(TimeSpan.FromMilliseconds(900));
        idle.Enter();
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, runs);

        // The last user leaves: nothing until the full delay has passed, then exactly one release.
        idle.Exit();
        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(0, runs);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, runs);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, runs);
    }

    private static unsafe void Touch(int size)
    {
        byte* block = (byte*)NativeMemory.Alloc((nuint)size);
        try
        {
            new Span<byte>(block, size).Fill(1);
        }
        finally
        {
            NativeMemory.Free(block);
        }
    }

    // Minor faults of the calling thread only (field 10 of /proc/thread-self/stat), so tests running in parallel
    // on other threads do not count.
    private static long ThreadMinorFaults()
    {
        string stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7]);
    }
}
