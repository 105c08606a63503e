using System.IO.Hashing;
using OpenCvSharp;

namespace HeatmapTools.Engine.Stain;

/// <summary>
/// Brings images to a target's stain, fitted once on the target (TIAToolbox's StainNormalizer: fit, then transform
/// each tile). Fitted normalisers are immutable and shared by threads.
/// </summary>
public abstract class StainNormalizer
{
    public StainMethod Method { get; }
    /// <summary>Method, target pixels and any matrix: two normalisers with one signature transform alike.</summary>
    public string Signature { get; private set; } = "";
    public string TargetName { get; private set; } = "";

    protected StainNormalizer(StainMethod method) => Method = method;

    /// <summary>A normaliser fitted to <paramref name="target"/>; an unusable target is StainNoTissue or StainNotHAndE naming it.</summary>
    public static StainNormalizer Fitted(StainMethod method, StainImage target, double[][]? matrix = null)
    {
        StainNormalizer normalizer = method == StainMethod.Reinhard ? new ReinhardNormalizer() : new StainMatrixNormalizer(method, StainExtractor.For(method, matrix));
        // A user's own matrix may be of other stains (haematoxylin and DAB); every other target must look like H&E.
        if (method != StainMethod.Custom) StainCheck.RequireHAndE(target);
        normalizer.FitTo(target);
        var hash = new XxHash64();
        hash.Append(target.Rgb);
        hash.Append(BitConverter.GetBytes(target.Width));
        string matrixText = matrix is null ? "" : string.Join(";", matrix.Select(r => string.Join(",", r.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))));
        normalizer.Signature = $"{method}:{Convert.ToHexString(hash.GetCurrentHash())}:{matrixText}";
        normalizer.TargetName = target.Name;
        return normalizer;
    }

    protected abstract void FitTo(StainImage target);

    /// <summary>The image in the target's stain; a tile without tissue is StainNoTissue naming it.</summary>
    public abstract StainImage Transform(StainImage source);

    /// <summary>An 8-bit BGR image in the target's stain; the caller disposes the result.</summary>
    public Mat Transform(Mat bgr, string name) => Transform(StainImage.FromBgr(bgr, name)).ToBgr();
}
