using OpenCvSharp;
using TorchSharp;

namespace HeatmapTools.Engine.Held;

/// <summary>
/// The one budget for everything results keep alive after their command has finished (a prediction's prepared input,
/// a map): past it, the oldest is released, so a variable collecting thousands of results stays within the budget
/// and a released result recomputes what it needs from its file. Thread-safe: pipelines in other runspaces share it.
/// </summary>
public sealed class HeldMemory
{
    public const string BudgetVariable = "HEATMAPTOOLS_HELD_MB";

    /// <summary>512 MB unless HEATMAPTOOLS_HELD_MB says otherwise (0 holds nothing: every result reads its file again).</summary>
    public static HeldMemory Shared { get; } = new(
        Native.EnvironmentSettings.Number(BudgetVariable, 0, 512, "MB") << 20);

    private readonly object _gate = new();
    private readonly LinkedList<HeldItem> _order = new();
    private long _used, _released;

    public HeldMemory(long capacity) => Capacity = capacity;

    public long Capacity { get; }
    public long Used { get { lock (_gate) return _used; } }
    public int Count { get { lock (_gate) return _order.Count; } }
    /// <summary>How many items were let go to stay within the budget (or never fitted it).</summary>
    public long Released { get { lock (_gate) return _released; } }

    /// <summary>Takes ownership of <paramref name="value"/>: held within the budget, oldest items released to make room.</summary>
    public HeldTensor Hold(torch.Tensor value) => Add(new HeldTensor(this, value.DetachFromDisposeScope()));

    /// <summary>
    /// Holds a copy of <paramref name="values"/> as a tensor in native memory. A tensor made over the managed array
    /// would pin it: thousands of pinned arrays on the large-object heap keep its free space from being reused.
    /// </summary>
    public HeldTensor Hold(float[] values, params long[] shape)
    {
        var tensor = torch.empty(shape, torch.ScalarType.Float32);
        tensor.data<float>().CopyFrom(values);
        return Hold(tensor);
    }

    /// <summary>Takes ownership of a decoded image, as <see cref="Hold(torch.Tensor)"/>.</summary>
    public HeldImage Hold(Mat value) => Add(new HeldImage(this, value));

    private T Add<T>(T item) where T : HeldItem
    {
        lock (_gate)
        {
            if (item.Bytes > Capacity)
            {
                item.FreeLocked();
                _released++;
                return item;
            }
            item.Node = _order.AddLast(item);
            _used += item.Bytes;
            while (_used > Capacity) ReleaseLocked(_order.First!.Value);
        }
        return item;
    }

    /// <summary>Runs <paramref name="read"/> on a held value, or returns default when it was released; a read item counts as new again.</summary>
    internal TResult? Read<TValue, TResult>(HeldItem item, Func<TValue, TResult> read, Func<HeldItem, TValue?> value) where TValue : class
    {
        lock (_gate)
        {
            if (value(item) is not { } v) return default;
            _order.Remove(item.Node!);
            _order.AddLast(item.Node!);
            return read(v);
        }
    }

    internal void Release(HeldItem item)
    {
        lock (_gate) if (item.Node is not null) ReleaseLocked(item);
    }

    private void ReleaseLocked(HeldItem item)
    {
        _order.Remove(item.Node!);
        item.Node = null;
        _used -= item.Bytes;
        _released++;
        item.FreeLocked();
    }
}

/// <summary>Something held in a <see cref="HeldMemory"/>: its size, and how to let it go.</summary>
public abstract class HeldItem
{
    private protected HeldItem(HeldMemory memory, long bytes)
    {
        Memory = memory;
        Bytes = bytes;
    }

    private protected HeldMemory Memory { get; }
    internal LinkedListNode<HeldItem>? Node { get; set; }
    public long Bytes { get; }
    public abstract bool IsHeld { get; }
    internal abstract void FreeLocked();
    /// <summary>Lets the value go now (its owner is done with it); reads after this return nothing.</summary>
    public void Release() => Memory.Release(this);
}

/// <summary>A float tensor held for a later command.</summary>
public sealed class HeldTensor : HeldItem
{
    private torch.Tensor? _value;

    internal HeldTensor(HeldMemory memory, torch.Tensor value) : base(memory, value.NumberOfElements * value.ElementSize)
    {
        _value = value;
        Shape = value.shape;
    }

    public long[] Shape { get; }
    public override bool IsHeld => Volatile.Read(ref _value) is not null;

    /// <summary>The values, copied out, or null when the budget released them.</summary>
    public float[]? TryRead() => Memory.Read<torch.Tensor, float[]>(this, t => t.data<float>().ToArray(), i => ((HeldTensor)i)._value);

    internal override void FreeLocked()
    {
        _value?.Dispose();
        Volatile.Write(ref _value, null);
    }
}

/// <summary>A decoded original (8-bit BGR) held for a later command's overlay.</summary>
public sealed class HeldImage : HeldItem
{
    private Mat? _value;

    internal HeldImage(HeldMemory memory, Mat value) : base(memory, (long)value.Total() * value.ElemSize()) => _value = value;

    public override bool IsHeld => Volatile.Read(ref _value) is not null;

    /// <summary>A copy the caller owns, or null when the budget released it.</summary>
    public Mat? TryClone() => Memory.Read<Mat, Mat>(this, m => m.Clone(), i => ((HeldImage)i)._value);

    internal override void FreeLocked()
    {
        _value?.Dispose();
        Volatile.Write(ref _value, null);
    }
}
