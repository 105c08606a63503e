using System.Globalization;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;

namespace HeatmapTools.Engine.Cam;

/// <summary>
/// What a map was made with, named as a New-CamHeatmap result names it: enough to make the map again where the result
/// carries none (one that crossed a process, Start-Job or remoting, arrives as properties only).
/// </summary>
public sealed record CamRecipe(string SourcePath, string Model, string? WeightsPath, bool Random, int? Seed, int NumClasses,
    string Method, string Layer, int ClassIndex, bool AugSmooth, bool EigenSmooth)
{
    /// <summary>What a carried map's 0 and 1 stood for (the result's MapMin and MapMax).</summary>
    public float RawMin { get; init; }
    public float RawMax { get; init; } = 1;
    /// <summary>What the map explained (the result's Target and ReferenceImage); Logit when the result names none.</summary>
    public string? Target { get; init; }
    public string? ReferenceImage { get; init; }

    /// <summary>The recipe in an object's properties, looked up by name; null when the object is not a map result.</summary>
    public static CamRecipe? From(Func<string, string?> property)
    {
        if (property("SourcePath") is not { } source || property("Method") is not { } method || property("Model") is not { } model
            || property("Layer") is not { } layer || !int.TryParse(property("ClassIndex"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int classIndex))
            return null;
        int? seed = int.TryParse(property("Seed"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int s) ? s : null;
        int classes = int.TryParse(property("NumClasses"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : 1000;
        bool Flag(string name) => bool.TryParse(property(name), out bool value) && value;
        // Live objects give invariant text; an Export-Csv row was written in the session's culture (0,5 in de-DE).
        float Number(string name, float fallback) =>
            float.TryParse(property(name), NumberStyles.Float, CultureInfo.InvariantCulture, out float v) ||
            float.TryParse(property(name), NumberStyles.Float, CultureInfo.CurrentCulture, out v) ? v : fallback;
        return new CamRecipe(source, model, string.IsNullOrEmpty(property("WeightsPath")) ? null : property("WeightsPath"),
            string.Equals(property("Weights"), "Random", StringComparison.OrdinalIgnoreCase), seed, classes, method, layer, classIndex,
            Flag("AugSmooth"), Flag("EigenSmooth"))
        {
            RawMin = Number("MapMin", 0), RawMax = Number("MapMax", 1),
            Target = string.IsNullOrEmpty(property("Target")) ? null : property("Target"),
            ReferenceImage = string.IsNullOrEmpty(property("ReferenceImage")) ? null : property("ReferenceImage"),
        };
    }

    /// <summary>
    /// The map the result carried (a deserialised float[,] arrives flattened; maps are square, at the model's input
    /// size), or, when it carried none, the map made again: nothing written, resized as New-CamHeatmap does by default.
    /// </summary>
    public (float[] Map, int Width, int Height, float RawMin, float RawMax) Compute(float[]? carried, CancellationToken cancellation)
    {
        int side = carried is null ? 0 : (int)Math.Round(Math.Sqrt(carried.Length));
        if (side > 0 && side * side == carried!.Length) return (carried, side, side, RawMin, RawMax);
        var model = ModelStore.Get(new WeightsRequest(Model, WeightsPath, Random, Seed, NumClasses: NumClasses), null, cancellation);
        var method = CamMethods.Get(Method);
        var options = new CamJobOptions
        {
            Methods = new[] { method },
            Layers = LayerSelection.Parse(new[] { Layer }),
            Preprocess = PreprocessOptions.ImageNet(ResizeMode.Stretch, model.Info.InputSize),
            Cam = new CamOptions { AugSmooth = AugSmooth, EigenSmooth = EigenSmooth },
            Target = Targets.TargetRequest.Parse(Target, ReferenceImage),
        };
        // A similarity target is made by the run from its reference image; the others from the class the result names.
        var target = options.Target.Kind.UsesClasses || options.Target.ReferenceImage is null
            ? options.Target.Kind.For(new Targets.TargetContext(null, () => Array.Empty<float>()), new[] { ClassIndex }).Single() : null;
        if (target is Targets.SumTarget)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidData,
                $"The Sum map of '{SourcePath}' arrived without its values, and its result names only its first class: it cannot be made again here. " +
                "Pass the results with their maps (ConvertTo-Json -Depth 3 keeps Map), or run New-CamHeatmap in this process.", SourcePath);
        var map = CamJob.MapOf(model, ClassLabels.Numbered(model.NumClasses), SourcePath, target, method, options, cancellation);
        return (map.Map, map.MapWidth, map.MapHeight, map.RawMin, map.RawMax);
    }
}
