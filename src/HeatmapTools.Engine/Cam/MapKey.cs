using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;

namespace HeatmapTools.Engine.Cam;

/// <summary>
/// Says which map a held one is: model and weights, input preparation, method, layer, class and smoothing. A later
/// command uses a held map instead of computing it only when every part matches what it would compute.
/// </summary>
public static class MapKey
{
    public static string Of(LayeredModel model, PreprocessOptions preprocess, CamMethod method, string layer, Targets.CamTarget target, CamOptions cam) =>
        string.Join("|", model.Name, model.NumClasses, model.WeightsDescription, preprocess.Signature, method.Name, layer, target.Key, cam.AugSmooth, cam.EigenSmooth)
        + (method.IsAttribution ? "|" + cam.Attribution : "") + (cam.RenormalizeInBoxes ? "|inboxes" : "");
}
