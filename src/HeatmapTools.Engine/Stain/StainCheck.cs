namespace HeatmapTools.Engine.Stain;

/// <summary>
/// Whether a target looks like an H&amp;E stain at all, so a photo of something else (or another stain) is refused rather
/// than cast onto every tile. Its Macenko matrix must have non-negative absorption, an eosin that absorbs green most
/// (it is pink), a haematoxylin that absorbs green more than blue, and two stains at least 5 degrees apart. Measured on
/// TestData/stain: the three H&amp;E sites pass (18 to 29 degrees, eosin green 0.94 to 0.99); the immunohistochemistry
/// photo they were made from (haematoxylin and DAB), two photos of a cat and a cup, skimage's astronaut and a grey ramp
/// all fail (their second stain absorbs blue most, or the two coincide).
/// </summary>
public static class StainCheck
{
    public static void RequireHAndE(StainImage target)
    {
        var m = new MacenkoExtractor().Extract(target);
        double[] h = m[0], e = m[1];
        double angle = Math.Acos(Math.Clamp(h[0] * e[0] + h[1] * e[1] + h[2] * e[2], -1, 1)) * 180 / Math.PI;
        string? why =
            m.Any(r => r.Any(v => v < -0.15)) ? "a stain with negative absorption" :
            angle < 5 ? $"its two stains only {angle:0.#} degrees apart (one colour, not two dyes)" :
            !(e[1] >= e[0] && e[1] >= e[2]) ? "a second stain that absorbs green less than " + (e[2] > e[0] ? "blue" : "red") + " (eosin is pink: it absorbs green most)" :
            !(h[1] > h[2]) ? "a first stain that absorbs blue more than green (haematoxylin absorbs green)" : null;
        if (why is not null)
            throw new HeatmapToolsException(ErrorIds.StainNotHAndE, ErrorKind.InvalidData,
                $"'{target.Name}' does not look like H&E: its stain vectors (R, G, B optical density) {Format(h)} and {Format(e)} show {why}. " +
                "Give a tile of H&E-stained tissue as the target, or the Custom method with -StainMatrix for other stains.", target.Name);
    }

    /// <summary>
    /// Fewest degrees between a tile's own two stain vectors for its concentrations to mean anything: below it the
    /// least-squares split between the dyes is ill-conditioned (Gram condition number above 3,000 at 2 degrees) or
    /// undefined (a tile of one flat colour gives two equal vectors). The H&amp;E sites measure 18 to 29.
    /// </summary>
    public const double MinimumTileSeparation = 2;

    /// <summary>A tile whose extracted stains coincide is StainNotHAndE naming it: there are not two dyes to separate.</summary>
    public static void RequireSeparable(StainImage tile, double[][] matrix)
    {
        if (matrix.Length < 2) return;
        double[] h = matrix[0], e = matrix[1];
        double cosine = h[0] * e[0] + h[1] * e[1] + h[2] * e[2];
        double angle = double.IsFinite(cosine) ? Math.Acos(Math.Clamp(cosine, -1, 1)) * 180 / Math.PI : 0;
        if (!(angle >= MinimumTileSeparation))
            throw new HeatmapToolsException(ErrorIds.StainNotHAndE, ErrorKind.InvalidData,
                $"'{tile.Name}' has no two stains to separate: its stain vectors {Format(h)} and {Format(e)} are {angle:0.##} degrees apart " +
                $"(at least {MinimumTileSeparation} needed), as in a tile of one flat colour or of one dye alone. A fixed matrix (Ruifrok, Custom) normalises any tile, Reinhard one of one dye.", tile.Name);
    }

    private static string Format(double[] v) => "(" + string.Join(", ", v.Select(x => x.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture))) + ")";
}
