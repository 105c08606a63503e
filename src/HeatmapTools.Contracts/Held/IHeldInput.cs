namespace HeatmapTools;

/// <summary>
/// A prediction's prepared image kept for the next command in the pipeline (ClassPrediction.PreparedInput): the engine
/// uses it instead of decoding the file again while it is held and was prepared the same way.
/// </summary>
public interface IHeldInput
{
    /// <summary>The image file it was prepared from.</summary>
    string Path { get; }
    int Width { get; }
    int Height { get; }
    /// <summary>False once the held budget has let it go (the file is then read again).</summary>
    bool IsHeld { get; }
}
