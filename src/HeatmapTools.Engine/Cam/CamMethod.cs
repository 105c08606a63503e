namespace HeatmapTools.Engine.Cam;

/// <summary>The class activation map methods, named as pytorch-grad-cam names them.</summary>
public enum CamMethod
{
    GradCAM,
    GradCAMPlusPlus,
    XGradCAM,
    HiResCAM,
    LayerCAM,
    GradCAMElementWise,
    EigenCAM,
    EigenGradCAM,
    ScoreCAM,
    AblationCAM,
    /// <summary>Classic CAM (Zhou et al. 2016): the classifier's own weights on the last feature maps of a GAP head.</summary>
    CAM,
}

public static class CamMethodInfo
{
    public static bool UsesGradients(CamMethod method) => method switch
    {
        CamMethod.GradCAM or CamMethod.GradCAMPlusPlus or CamMethod.XGradCAM or CamMethod.HiResCAM or CamMethod.LayerCAM
            or CamMethod.GradCAMElementWise or CamMethod.EigenGradCAM => true,
        _ => false,
    };
}
