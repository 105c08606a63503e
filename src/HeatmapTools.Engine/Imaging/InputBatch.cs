using OpenCvSharp;

namespace HeatmapTools.Engine.Imaging;

/// <summary>One image prepared for a network, or the reason it could not be.</summary>
public sealed class PreparedImage
{
    public required string Path { get; init; }
    public float[]? Chw { get; init; }
    public int Width { get; init; }
    public int Height { get; init; }
    public HeatmapToolsException? Error { get; init; }
    /// <summary>The decoded original, kept only when asked for (overlays need it); the caller disposes it.</summary>
    public Mat? Image { get; init; }
}

/// <summary>Decodes and preprocesses a batch of files in parallel; a bad file becomes an error entry, not an exception.</summary>
public static class InputBatch
{
    public static PreparedImage[] Prepare(IReadOnlyList<string> paths, PreprocessOptions options, CancellationToken cancellation, bool keepImages = false)
    {
        Runtime.EnsureImaging();
        var result = new PreparedImage[paths.Count];
        Parallel.For(0, paths.Count, new ParallelOptions { CancellationToken = cancellation }, i =>
        {
            try
            {
                Mat bgr = ImageReader.ReadBgr(paths[i]);
                try
                {
                    result[i] = new PreparedImage
                    {
                        Path = paths[i], Chw = Preprocessor.ToChw(bgr, options), Width = bgr.Width, Height = bgr.Height,
                        Image = keepImages ? bgr : null,
                    };
                }
                finally
                {
                    if (!keepImages) bgr.Dispose();
                }
            }
            catch (HeatmapToolsException ex)
            {
                result[i] = new PreparedImage { Path = paths[i], Error = ex };
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or OpenCVException)
            {
                result[i] = new PreparedImage
                {
                    Path = paths[i],
                    Error = new HeatmapToolsException(ErrorIds.ImageUnreadable, "ReadError", $"Image '{paths[i]}' could not be read: {ex.Message}", paths[i], ex),
                };
            }
        });
        return result;
    }
}
