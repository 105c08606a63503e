using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Native;
using HeatmapTools.Engine.Rendering;

namespace HeatmapTools.Engine.Stain;

/// <summary>One image written in the target's stain.</summary>
public sealed record StainOutput(string SourcePath, string OutputPath, int Width, int Height);

/// <summary>
/// ConvertTo-StainNormalized's run: reads, normalises and writes images in parallel (as many at once as the allocation
/// has threads, each image's decoding reserved in the shared memory budget), atomically, never over an input or the
/// target, never over an existing file without <c>force</c>. Results come in input order; an image that fails is its error.
/// </summary>
public static class StainJob
{
    public static IEnumerable<(StainOutput? Output, HeatmapToolsException? Error)> Run(IReadOnlyList<string> sources, StainNormalizer normalizer,
        Func<string, string> outputFor, bool force, CancellationToken cancellation)
    {
        Runtime.EnsureImaging();
        var inputs = new HashSet<string>(sources.Select(Path.GetFullPath)) { Path.GetFullPath(normalizer.TargetName) };
        int threads = Scaling.CpuAllocation.Current.Threads;
        foreach (var chunk in sources.Chunk(Math.Max(1, 2 * threads)))
        {
            var results = new (StainOutput?, HeatmapToolsException?)[chunk.Length];
            Parallel.For(0, chunk.Length, new ParallelOptions { CancellationToken = cancellation, MaxDegreeOfParallelism = threads },
                i => results[i] = One(chunk[i], normalizer, outputFor, force, inputs, cancellation));
            foreach (var result in results) yield return result;
        }
    }

    private static (StainOutput?, HeatmapToolsException?) One(string source, StainNormalizer normalizer, Func<string, string> outputFor, bool force,
        IReadOnlySet<string> inputs, CancellationToken cancellation)
    {
        try
        {
            string output = outputFor(source);
            using var image = ImageReader.ReadBgr(source, MemoryBudget.Shared, 0, cancellation, out var lease, out _);
            using var reserved = lease;
            using var normalised = normalizer.Transform(image, source);
            AtomicFile.Write(output, force, stream => ImageEncoder.Encode(normalised, Path.GetExtension(output), stream,
                note: $"ConvertTo-StainNormalized; {normalizer.Method} stain of '{normalizer.TargetName}'"), inputs);
            return (new StainOutput(source, output, image.Width, image.Height), null);
        }
        catch (HeatmapToolsException error)
        {
            return (null, error);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or OpenCvSharp.OpenCVException)
        {
            return (null, new HeatmapToolsException(ErrorIds.ImageUnreadable, ErrorKind.ReadError, $"Image '{source}' could not be normalised: {error.Message}", source, error));
        }
    }
}
