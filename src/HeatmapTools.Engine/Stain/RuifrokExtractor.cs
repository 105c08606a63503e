namespace HeatmapTools.Engine.Stain;

/// <summary>
/// Ruifrok and Johnston's H&amp;E vectors, measured once on slides stained with each dye alone: Ruifrok A.C., Johnston
/// D.A. "Quantification of histochemical staining by color deconvolution", Anal Quant Cytol Histol 23(4), 2001.
/// The values (as TIAToolbox's) are used as given, not renormalised.
/// </summary>
public sealed class RuifrokExtractor : StainExtractor
{
    public override bool FromImage => false;

    public override double[][] Extract(StainImage image) => new[] { new[] { 0.65, 0.70, 0.29 }, new[] { 0.07, 0.99, 0.11 } };
}
