using HeatmapTools.Engine.Imaging;

namespace HeatmapTools.Engine.Held;

/// <summary>
/// A prediction's prepared image, kept for the next command in the pipeline: the network input (CHW, normalised) as a
/// tensor and the decoded original for an overlay. Used only with the same preprocessing and while the file is as it
/// was; otherwise, or once the budget has released it, the file is read again.
/// </summary>
public sealed class HeldInput : IHeldInput
{
    private readonly IO.FileStamp? _stamp;

    public HeldInput(string path, PreprocessOptions options, int width, int height, HeldTensor chw, HeldImage? original)
    {
        Path = path;
        Options = options;
        Width = width;
        Height = height;
        Chw = chw;
        Original = original;
        _stamp = IO.FileStamp.Of(path);
    }

    public string Path { get; }
    public PreprocessOptions Options { get; }
    public int Width { get; }
    public int Height { get; }
    public HeldTensor Chw { get; }
    public HeldImage? Original { get; }
    public bool IsHeld => Chw.IsHeld;

    /// <summary>Whether this input can stand for <paramref name="path"/> prepared with <paramref name="options"/>.</summary>
    public bool Fits(string path, PreprocessOptions options)
    {
        if (!string.Equals(System.IO.Path.GetFullPath(path), System.IO.Path.GetFullPath(Path), StringComparison.Ordinal)) return false;
        if (!options.Equivalent(Options))
            return false;
        // A file rewritten since it was read is read again.
        return _stamp is not null && IO.FileStamp.Of(path) == _stamp;
    }
}
