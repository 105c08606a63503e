using System.Collections.Concurrent;

namespace HeatmapTools.Engine.Stain;

/// <summary>
/// Normalisers fitted to reference files, once per file version and setting in a process: a run (and every batch of
/// it, and the next command of a pipeline) shares one fit.
/// </summary>
public static class StainTargets
{
    private static readonly ConcurrentDictionary<string, Lazy<StainNormalizer>> Fits = new(StringComparer.Ordinal);

    /// <summary>A normaliser of <paramref name="method"/> fitted to the image at <paramref name="targetPath"/>.</summary>
    public static StainNormalizer Fitted(StainMethod method, string? targetPath, double[]? matrix)
    {
        if (targetPath is null)
            throw new HeatmapToolsException(ErrorIds.PreprocessInvalid, ErrorKind.InvalidArgument,
                $"-StainNormalization {method} needs -StainTarget: a reference tile of the stain every image is brought to (in a model's settings file, 'stainTarget').");
        if (!File.Exists(targetPath))
            throw new HeatmapToolsException(ErrorIds.FileNotFound, ErrorKind.ObjectNotFound, $"The stain target '{targetPath}' does not exist.", targetPath);
        var rows = Rows(method, matrix);
        string key = $"{method}|{Path.GetFullPath(targetPath)}|{IO.FileStamp.Of(targetPath)}|{(matrix is null ? "" : string.Join(",", matrix))}";
        var lazy = Fits.GetOrAdd(key, _ => new Lazy<StainNormalizer>(() =>
        {
            using var bgr = Imaging.ImageReader.ReadBgr(targetPath);
            return StainNormalizer.Fitted(method, StainImage.FromBgr(bgr, targetPath), rows);
        }));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // A failed fit (an unusable target) is not kept: the file may be replaced and the command run again.
            Fits.TryRemove(key, out _);
            throw;
        }
    }

    private static double[][]? Rows(StainMethod method, double[]? matrix)
    {
        if (matrix is null) return null;
        if (method != StainMethod.Custom)
            throw new HeatmapToolsException(ErrorIds.StainMatrixInvalid, ErrorKind.InvalidArgument,
                $"-StainMatrix is the matrix of -StainNormalization Custom; {method} finds its own.");
        if (matrix.Length is not (6 or 9))
            throw new HeatmapToolsException(ErrorIds.StainMatrixInvalid, ErrorKind.InvalidArgument,
                $"-StainMatrix takes six numbers (haematoxylin's R, G, B optical density, then eosin's) or nine (a third stain); got {matrix.Length}.");
        return matrix.Chunk(3).ToArray();
    }
}
