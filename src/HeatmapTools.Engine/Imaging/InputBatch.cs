using HeatmapTools.Engine.Native;
using OpenCvSharp;

namespace HeatmapTools.Engine.Imaging;

/// <summary>One image prepared for a network, or the reason it could not be.</summary>
public sealed class PreparedImage
{
    public required string Path { get; init; }
    public float[]? Chw { get; init; }
    /// <summary>The network input's shape: the preprocessing's, or with a native size the image's own.</summary>
    public InputShape Shape { get; init; }
    public int Width { get; init; }
    public int Height { get; init; }
    public HeatmapToolsException? Error { get; init; }
    /// <summary>
    /// The decoded original, kept only when asked for (overlays need it) and while the batch's originals fit their
    /// budget; null otherwise, and the overlay reads the file again. The caller disposes it.
    /// </summary>
    public Mat? Image { get; init; }

    /// <summary>This image with an error instead of its input (its decoded original is let go).</summary>
    internal PreparedImage Failed(HeatmapToolsException error)
    {
        Image?.Dispose();
        return new PreparedImage { Path = Path, Shape = Shape, Width = Width, Height = Height, Error = error };
    }
}

/// <summary>Decodes and preprocesses a batch of files in parallel; a bad file becomes an error entry, not an exception.</summary>
public static class InputBatch
{
    /// <summary>
    /// Bytes of decoded originals a batch keeps for its overlays. Eight phone photos (12 MP, 36 MB each) fit; a batch
    /// of 48-megapixel scans would not, and those beyond the budget are read again when their overlay is drawn, so
    /// memory stays bounded by the budget rather than by the batch size times the largest image.
    /// </summary>
    public const long DefaultKeepBudget = 512L * 1024 * 1024;

    public static PreparedImage[] Prepare(IReadOnlyList<string> paths, PreprocessOptions options, CancellationToken cancellation,
        bool keepImages = false, long keepBudget = DefaultKeepBudget, IReadOnlyList<Held.HeldInput?>? held = null)
    {
        Runtime.EnsureImaging();
        var result = new PreparedImage[paths.Count];
        long kept = 0;
        bool Keep(Mat image)
        {
            if (!keepImages) return false;
            long bytes = (long)image.Total() * image.ElemSize();
            if (Interlocked.Add(ref kept, bytes) <= keepBudget) return true;
            Interlocked.Add(ref kept, -bytes);
            return false;
        }
        Parallel.For(0, paths.Count, new ParallelOptions { CancellationToken = cancellation, MaxDegreeOfParallelism = Scaling.CpuAllocation.Current.Threads }, i =>
        {
            // A previous command's prepared input (a piped prediction): no second decoding while it is held.
            if (held?[i] is { } input && input.Fits(paths[i], options) && input.Chw.TryRead() is { } kept)
            {
                var original = keepImages ? input.Original?.TryClone() : null;
                result[i] = new PreparedImage { Path = paths[i], Chw = kept, Width = input.Width, Height = input.Height, Image = original,
                    Shape = options.Native ? new InputShape(options.Channels, input.Height, input.Width) : options.Shape };
                return;
            }
            try
            {
                // The network needs only a small version: a huge JPEG is decoded reduced, and kept for no overlay (the
                // overlay reads it again at full size, alone within the budget).
                Mat bgr = ImageReader.ReadBgr(paths[i], MemoryBudget.Shared, options.Size, cancellation, out var lease, out int reduction);
                using var reserved = lease;
                bool reduced = reduction > 1;
                bool keep = false;
                try
                {
                    var chw = Preprocessor.ToChw(bgr, options, paths[i]);
                    keep = !reduced && Keep(bgr);
                    result[i] = new PreparedImage { Path = paths[i], Chw = chw, Width = bgr.Width * reduction, Height = bgr.Height * reduction, Image = keep ? bgr : null,
                        Shape = options.Native ? new InputShape(options.Channels, bgr.Height, bgr.Width) : options.Shape };
                }
                finally
                {
                    if (!keep) bgr.Dispose();
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
                    Error = new HeatmapToolsException(ErrorIds.ImageUnreadable, ErrorKind.ReadError, $"Image '{paths[i]}' could not be read: {ex.Message}", paths[i], ex),
                };
            }
        });
        return result;
    }
}
