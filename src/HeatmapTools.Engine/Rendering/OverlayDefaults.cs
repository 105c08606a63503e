namespace HeatmapTools.Engine.Rendering;

/// <summary>
/// The drawing defaults of every cmdlet that lays colour over an image, in one place so they cannot drift apart.
/// Two opacities, on purpose: a map over a photo follows the Keras recipe (jet(heatmap) * 0.4 + img); categories and
/// slide tiles, solid patches that hide what is under them, are drawn half and half.
/// </summary>
public static class OverlayDefaults
{
    public const string Colormap = "Jet";

    /// <summary>New-CamHeatmap's and the patient grid's map overlays.</summary>
    public const double MapAlpha = 0.4;

    /// <summary>Get-ClassPrediction's segment overlay and New-SlideHeatmap's tiles.</summary>
    public const double RegionAlpha = 0.5;
}
