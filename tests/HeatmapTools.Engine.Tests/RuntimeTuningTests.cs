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
        var idle = new IdleAction(() => Interlocked.Increment(ref runs), TimeSpan.FromSeconds(1));

        // Two overlapping users: the first leaving starts nothing.
        idle.Enter();
        idle.Enter();
        idle.Exit();
        Thread.Sleep(300);
        Assert.Equal(0, Volatile.Read(ref runs));

        // A user arriving before the delay runs out (the next call in a loop) stops the clock.
        idle.Exit();
        idle.Enter();
        Thread.Sleep(300);
        Assert.Equal(0, Volatile.Read(ref runs));

        idle.Exit();
        // The timer fires on the thread pool, which the parallel tests around this one can keep busy for seconds on
        // two cores (one CI run waited over 10 s): the wait is generous and ends as soon as the release runs.
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref runs) > 0, TimeSpan.FromSeconds(90)), "no release after the last user left");
        Thread.Sleep(300);
        Assert.Equal(1, Volatile.Read(ref runs));
        // The module holds its IdleAction in a static field; here only this local does, and a collected Timer never fires.
        GC.KeepAlive(idle);
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
