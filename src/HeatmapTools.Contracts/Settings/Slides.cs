namespace HeatmapTools;

/// <summary>How an OME-TIFF heatmap stores a pixel's value (New-SlideHeatmap -OmeTiffSampleType).</summary>
public enum OmeTiffSampleType
{
    /// <summary>uint8: 0 where no tile lies, else 1 + round(254 p), so p = (v - 1) / 254.</summary>
    Byte,
    /// <summary>float32: the value itself, NaN where no tile lies.</summary>
    Float,
}
