namespace HeatmapTools.Engine.Held;

/// <summary>
/// A result's map as a held tensor, with the way to make it again from the source image once the budget has let it go
/// (the same model, method, layer and class: the same map).
/// </summary>
public sealed class HeldMap : IHeldMap
{
    private readonly HeldTensor _tensor;
    private readonly Func<float[]> _recompute;
    private readonly (string Path, IO.FileStamp? Stamp)? _source;

    /// <param name="source">The image the map was made from: a recomputation first checks it is unchanged (null: no check).</param>
    public HeldMap(HeldTensor tensor, int width, int height, Func<float[]> recompute, string key = "", float score = 0, string? source = null)
    {
        _tensor = tensor;
        _source = source is null ? null : (source, IO.FileStamp.Of(source));
        Key = key;
        Score = score;
        Width = width;
        Height = height;
        _recompute = recompute;
    }

    /// <summary>Holds a freshly computed map (row-major, <paramref name="width"/> x <paramref name="height"/>) in <paramref name="memory"/>.</summary>
    public static HeldMap Of(float[] map, int width, int height, HeldMemory memory, Func<float[]> recompute, string key = "", float score = 0,
        string? source = null) =>
        new(memory.Hold(map, height, width), width, height, recompute, key, score, source);

    /// <summary>Which map this is (<see cref="Cam.MapKey"/>): a command uses it in place of its own only when the keys agree.</summary>
    public string Key { get; }

    /// <summary>The class's raw score the map was made for.</summary>
    public float Score { get; }

    /// <summary>The held values, or null once released (no recomputation: the caller computes what it needs itself).</summary>
    public float[]? TryRead() => _tensor.TryRead();

    public int Width { get; }
    public int Height { get; }
    public bool IsHeld => _tensor.IsHeld;

    /// <summary>
    /// The map, row-major, from the tensor while it is held, computed again from the file after, as long as the file
    /// is as it was when the map was made (otherwise it would be another image's map under this result's name).
    /// </summary>
    public float[] Read()
    {
        if (_tensor.TryRead() is { } held) return held;
        if (_source is { } source && IO.FileStamp.Of(source.Path) != source.Stamp)
            throw new HeatmapToolsException(ErrorIds.MapSourceChanged, ErrorKind.InvalidData,
                $"The map of '{source.Path}' was let go to stay within the held budget, and the image has changed since it was made; " +
                "run New-CamHeatmap on it again.", source.Path);
        return _recompute();
    }

}
