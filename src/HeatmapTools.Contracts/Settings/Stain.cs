namespace HeatmapTools;

/// <summary>How tiles are brought to a reference tile's stain before a model sees them (TIAToolbox's names).</summary>
public enum StainMethod
{
    /// <summary>Stain vectors from the optical-density plane's extreme angles (Macenko et al., ISBI 2009).</summary>
    Macenko,
    /// <summary>Mean and standard deviation of each LAB channel (Reinhard et al., IEEE CG&amp;A 2001).</summary>
    Reinhard,
    /// <summary>Ruifrok and Johnston's fixed H&amp;E vectors (Anal Quant Cytol Histol 2001).</summary>
    Ruifrok,
    /// <summary>Sparse non-negative factorisation of optical density (Vahadane et al., IEEE TMI 2016).</summary>
    Vahadane,
    /// <summary>A stain matrix the user gives (-StainMatrix).</summary>
    Custom,
}
