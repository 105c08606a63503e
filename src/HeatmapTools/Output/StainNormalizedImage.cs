namespace HeatmapTools;

/// <summary>
/// ConvertTo-StainNormalized's result: an image written in the stain of a reference. Its Path binds the model cmdlets'
/// -LiteralPath; its stain facts are not named like their parameters, so a normalised file is not normalised twice.
/// </summary>
public sealed class StainNormalizedImage
{
    /// <summary>The written image.</summary>
    public string Path { get; init; } = "";
    public string PSPath => Path;
    /// <summary>The image it was made from (not named SourcePath, which would bind the model cmdlets to the original).</summary>
    public string OriginalPath { get; init; } = "";
    public StainMethod NormalizedWith { get; init; }
    /// <summary>The reference tile whose stain the image now has.</summary>
    public string StainReference { get; init; } = "";
    public int Width { get; init; }
    public int Height { get; init; }
}
