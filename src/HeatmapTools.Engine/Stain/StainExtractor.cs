namespace HeatmapTools.Engine.Stain;

/// <summary>
/// Finds an image's stain matrix: one row per stain (haematoxylin first), each a unit vector of optical density in
/// R, G, B. One file per method, as TIAToolbox's stainextract.
/// </summary>
public abstract class StainExtractor
{
    /// <summary>Rows of unit length, haematoxylin first.</summary>
    public abstract double[][] Extract(StainImage image);

    /// <summary>Whether the matrix comes from the image (then each tile's and the target's must look like H&amp;E).</summary>
    public virtual bool FromImage => true;

    public static StainExtractor For(StainMethod method, double[][]? custom = null) => method switch
    {
        StainMethod.Macenko => new MacenkoExtractor(),
        StainMethod.Ruifrok => new RuifrokExtractor(),
        StainMethod.Vahadane => new VahadaneExtractor(),
        StainMethod.Custom => new CustomExtractor(custom ?? throw new HeatmapToolsException(ErrorIds.StainMatrixInvalid, ErrorKind.InvalidArgument,
            "-StainNormalization Custom needs -StainMatrix: six numbers (haematoxylin's R, G, B optical density, then eosin's) or nine with a third stain.")),
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Reinhard has no stain matrix."),
    };

    internal static double[][] UnitRows(double[][] rows) =>
        rows.Select(r =>
        {
            double norm = Math.Sqrt(r.Sum(v => v * v));
            return r.Select(v => v / norm).ToArray();
        }).ToArray();

    /// <summary>Optical densities of the masked pixels, three per row.</summary>
    internal static double[] MaskedDensities(StainImage image, bool[] mask, out int count)
    {
        count = mask.Count(m => m);
        var od = new double[3 * count];
        var rgb = image.Rgb;
        for (int i = 0, n = 0; i < mask.Length; i++)
        {
            if (!mask[i]) continue;
            od[3 * n] = StainImage.Density[rgb[3 * i]];
            od[3 * n + 1] = StainImage.Density[rgb[3 * i + 1]];
            od[3 * n + 2] = StainImage.Density[rgb[3 * i + 2]];
            n++;
        }
        return od;
    }
}
