using System.Runtime.InteropServices;

namespace HeatmapTools.Engine.Native;

/// <summary>
/// Keeps glibc's allocator from handing libtorch's large tensor buffers back to the kernel between batches.
/// </summary>
/// <remarks>
/// libtorch allocates every intermediate tensor with plain <c>posix_memalign</c>. With glibc's defaults a buffer of
/// a few megabytes or more is a fresh <c>mmap</c>, or sits at the top of the heap and is trimmed when freed, so the
/// next batch page-faults (and the kernel zeroes) the same memory again; <c>./build.ps1 -Task Bench</c>'s "Native heap"
/// lines measure the gain side by side in child processes (SqueezeNet batch 16, forward-only and Grad-CAM). PyTorch's own tuning guide answers this
/// with jemalloc or tcmalloc through <c>LD_PRELOAD</c>, which a PowerShell module cannot do; glibc's <c>mallopt</c>
/// gives the same reuse in process: no <c>mmap</c> for large blocks, a high trim threshold and a large top pad,
/// so freed buffers are reused. Once no cmdlet has used the engine for two seconds, <c>malloc_trim</c> gives the memory
/// back, so an idle PowerShell session does not keep a run's peak, while a script calling a cmdlet once per file in a
/// loop keeps its blocks from one call to the next. Set <c>HEATMAPTOOLS_NATIVE_HEAP=default</c> to leave
/// the allocator alone; the cmdlets say it once per session with -Verbose, and Get-HeatmapToolsInfo shows it.
/// Elsewhere than Linux with glibc this does nothing.
/// </remarks>
public static class NativeHeap
{
    private const int M_TRIM_THRESHOLD = -1;
    private const int M_TOP_PAD = -2;
    private const int M_MMAP_MAX = -4;
    private const int RetainedBytes = 512 << 20;
    // A thread other than the main one allocates from 64 MB heaps; one that becomes empty is unmapped whatever the trim
    // threshold says, unless the arena's previous heap lacks this much room. With 64 MB that is always so.
    private const int HeapPadBytes = 64 << 20;

    private static int _tuned;

    /// <summary>True once the allocator was tuned in this process.</summary>
    public static bool Tuned => Volatile.Read(ref _tuned) == 2;

    /// <summary>Applies the allocator settings once per process; later calls do nothing.</summary>
    public static void Tune()
    {
        if (Interlocked.CompareExchange(ref _tuned, 1, 0) != 0) return;
        if (EnvironmentSettings.Choice("HEATMAPTOOLS_NATIVE_HEAP", "default") is not null) return;
        if (!Glibc.TryGet(out var glibc)) return;
        if (glibc.Mallopt(M_MMAP_MAX, 0) == 1 && glibc.Mallopt(M_TRIM_THRESHOLD, RetainedBytes) == 1 && glibc.Mallopt(M_TOP_PAD, HeapPadBytes) == 1)
            Volatile.Write(ref _tuned, 2);
    }

    private static readonly IdleAction TrimWhenIdle = new(Release, TimeSpan.FromSeconds(2));

    /// <summary>A cmdlet starts using the engine: no trimming until it is done.</summary>
    public static void BeginUse() => TrimWhenIdle.Enter();

    /// <summary>A cmdlet is done; when no other one starts within the idle delay, the kept memory is returned.</summary>
    public static void EndUse() => TrimWhenIdle.Exit();

    /// <summary>Returns the free memory the allocator kept for reuse to the operating system.</summary>
    public static void Release()
    {
        if (Tuned && Glibc.TryGet(out var glibc)) glibc.MallocTrim(0);
    }

    /// <summary>glibc's tuning entry points, found at run time so other C libraries (musl, macOS, Windows) just skip tuning.</summary>
    private sealed unsafe class Glibc
    {
        private static readonly Glibc? Instance = Load();

        private readonly delegate* unmanaged<int, int, int> _mallopt;
        private readonly delegate* unmanaged<nuint, int> _mallocTrim;

        private Glibc(nint mallopt, nint mallocTrim)
        {
            _mallopt = (delegate* unmanaged<int, int, int>)mallopt;
            _mallocTrim = (delegate* unmanaged<nuint, int>)mallocTrim;
        }

        public static bool TryGet(out Glibc glibc)
        {
            glibc = Instance!;
            return Instance is not null;
        }

        public int Mallopt(int option, int value) => _mallopt(option, value);

        public int MallocTrim(nuint pad) => _mallocTrim(pad);

        private static Glibc? Load()
        {
            if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out var libc)) return null;
            // gnu_get_libc_version exists only in glibc; a libc.so.6 without it is not the allocator this is about.
            if (!NativeLibrary.TryGetExport(libc, "gnu_get_libc_version", out _)) return null;
            if (!NativeLibrary.TryGetExport(libc, "mallopt", out var mallopt)) return null;
            if (!NativeLibrary.TryGetExport(libc, "malloc_trim", out var trim)) return null;
            return new Glibc(mallopt, trim);
        }
    }
}
