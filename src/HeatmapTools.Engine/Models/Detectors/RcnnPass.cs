namespace HeatmapTools.Engine.Models.Detectors;

/// <summary>
/// What one forward pass of a torchvision detector decided on its way (the photo's size, the size the transform resized
/// it to, the padded batch, the feature levels' sizes), for the stages after the transform and for reading the
/// backbone's packed levels as maps. Per thread: a loaded model is shared by every runspace, and a pass runs its stages
/// on one thread, so the stages rerun above a layer (Ablation-CAM, Score-CAM) read their own pass's.
/// </summary>
internal sealed record RcnnPass(int PhotoHeight, int PhotoWidth, int Height, int Width, int PaddedHeight, int PaddedWidth)
{
    [ThreadStatic] private static RcnnPass? _current;
    [ThreadStatic] private static IReadOnlyList<(long C, long H, long W)>? _levels;

    public static RcnnPass Current => _current ?? throw new InvalidOperationException("A detector's heads ran before its transform on this thread.");

    public static void Begin(RcnnPass pass)
    {
        _current = pass;
        _levels = null;
    }

    /// <summary>The backbone's levels' shapes (finest first), as it packed them.</summary>
    public static IReadOnlyList<(long C, long H, long W)> Levels
    {
        get => _levels ?? throw new InvalidOperationException("A detector's heads ran before its backbone on this thread.");
        set => _levels = value;
    }

    /// <summary>
    /// torchvision's GeneralizedRCNNTransform size rule: the scale that brings the short side to minSize unless the long
    /// side would pass maxSize, in single precision as torchvision computes it (a number over a tensor is PyTorch's
    /// reciprocal times the number: 320 / 400 gives 0.79999995, and 400 x 300 pixels become 319 x 479), each side
    /// floored (interpolate's recompute_scale_factor); the batch padded up to a multiple of 32.
    /// </summary>
    public static RcnnPass For(int height, int width, int minSize, int maxSize)
    {
        float scale = MathF.Min(1f / Math.Min(height, width) * minSize, 1f / Math.Max(height, width) * maxSize);
        int h = (int)Math.Floor(height * (double)scale), w = (int)Math.Floor(width * (double)scale);
        return new RcnnPass(height, width, h, w, (h + 31) / 32 * 32, (w + 31) / 32 * 32);
    }

    /// <summary>The pass of a detector's transform: by min/max size, or SSD's fixed square (the photo stretched to it, nothing padded).</summary>
    public static RcnnPass For(int height, int width, IDetectorSettings settings) =>
        settings.FixedSize is { } side ? new RcnnPass(height, width, side, side, side, side) : For(height, width, settings.MinSize, settings.MaxSize);
}
