namespace HeatmapTools.Engine.Native;

/// <summary>
/// One budget of native memory (decoded images, patient canvases) shared by every worker of the process: a worker
/// reserves what it is about to allocate and waits while others hold the rest, so peak memory follows the budget, not
/// the input. A reservation larger than the whole budget waits until it can run alone, so nothing is refused for size
/// here (the per-canvas and per-image limits do that). Waits end at cancellation (Ctrl+C) within a tenth of a second.
/// </summary>
public sealed class MemoryBudget
{
    public const string Variable = "HEATMAPTOOLS_MEMORY_MB";

    private readonly object _gate = new();
    private long _used;

    public MemoryBudget(long capacityBytes) => Capacity = Math.Max(1, capacityBytes);

    /// <summary>HEATMAPTOOLS_MEMORY_MB, or by default a quarter of the memory .NET sees (at least 1 GB, at most 8 GB).</summary>
    public static MemoryBudget Shared { get; } = new(DefaultBytes());

    public long Capacity { get; }

    /// <summary>Bytes reserved now.</summary>
    public long Used
    {
        get { lock (_gate) return _used; }
    }

    /// <summary>The largest total held at once since this budget was made.</summary>
    public long Peak { get; private set; }

    public Lease Acquire(long bytes, CancellationToken cancellation)
    {
        bytes = Math.Max(0, bytes);
        lock (_gate)
        {
            while (_used > 0 && _used + bytes > Capacity)
            {
                cancellation.ThrowIfCancellationRequested();
                Monitor.Wait(_gate, 100);
            }
            cancellation.ThrowIfCancellationRequested();
            _used += bytes;
            Peak = Math.Max(Peak, _used);
        }
        return new Lease(this, bytes);
    }

    private void Release(long bytes)
    {
        lock (_gate)
        {
            _used -= bytes;
            Monitor.PulseAll(_gate);
        }
    }

    private static long DefaultBytes()
    {
        long mb = EnvironmentSettings.Number(Variable, 1, 0, "MB", "a quarter of the memory (1 to 8 GB)");
        if (mb > 0) return mb << 20;
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return Math.Clamp(available / 4, 1L << 30, 8L << 30);
    }

    /// <summary>Bytes held until disposed.</summary>
    public sealed class Lease : IDisposable
    {
        private MemoryBudget? _owner;

        internal Lease(MemoryBudget owner, long bytes)
        {
            _owner = owner;
            Bytes = bytes;
        }

        public long Bytes { get; }

        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Release(Bytes);
    }
}
