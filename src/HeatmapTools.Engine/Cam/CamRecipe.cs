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
    /// <summary>The preprocessing the result was made with, as asked (the model's settings file fills the rest when made again).</summary>
    public PreprocessRequest Preprocess { get; init; } = new();
    /// <summary>The carried map's size (MapWidth, MapHeight); 0 when the result does not say.</summary>
    public int MapWidth { get; init; }
    public int MapHeight { get; init; }
    /// <summary>A pixel attribution's settings (Steps, Baseline, Window, the noise tunnel ...); null for a CAM.</summary>
    public Attribution.AttributionOptions? Attribution { get; init; }
    /// <summary>A segmentation map's region (the result's Region, x, y, width, height, or RegionMask); none: the predicted pixels.</summary>
    public int[]? Region { get; init; }
    public string? RegionMask { get; init; }
    /// <summary>A detector's map names its boxes (the result's Detections); such a map is not made again here.</summary>
    public bool Detections { get; init; }
    public bool RenormalizeInBoxes { get; init; }
    /// <summary>
    /// Whether the result brought the settings it was made with (its hidden properties: preprocessing, attribution, map
    /// size). A live result, ConvertTo-Json and remoting keep them; Export-Csv leaves hidden properties out.
    /// </summary>
    public bool SettingsCarried { get; init; }

    /// <summary>The recipe in an object's properties, looked up by name; null when the object is not a map result.</summary>
    public static CamRecipe? From(Func<string, string?> property, Func<string, float[]?> numbers)
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
            // Random by name (a live object, a CSV) or by value (ConvertTo-Json writes enums as numbers).
            Enum.TryParse<WeightsSource>(property("Weights"), true, out var weights) && weights == WeightsSource.Random, seed, classes, method, layer, classIndex,
            Flag("AugSmooth"), Flag("EigenSmooth"))
        {
            RawMin = Number("MapMin", 0), RawMax = Number("MapMax", 1),
            Target = string.IsNullOrEmpty(property("Target")) ? null : property("Target"),
            ReferenceImage = string.IsNullOrEmpty(property("ReferenceImage")) ? null : property("ReferenceImage"),
            Preprocess = new PreprocessRequest
            {
                InputSize = string.IsNullOrEmpty(property("InputSize")) ? null : property("InputSize"),
                Mean = numbers("Mean"),
                Std = numbers("Std"),
                Normalization = Enum.TryParse<Normalization>(property("Normalization"), true, out var normalization) ? normalization : null,
                Channels = int.TryParse(property("InputChannels"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int channels) ? channels : null,
                Resize = Enum.TryParse<ResizeMode>(property("Resize"), true, out var resize) ? resize : null,
                StainNormalization = Enum.TryParse<StainMethod>(property("StainNormalization"), true, out var stain) ? stain : null,
                StainTarget = string.IsNullOrEmpty(property("StainTarget")) ? null : property("StainTarget"),
                StainMatrix = numbers("StainMatrix")?.Select(v => (double)v).ToArray(),
            },
            MapWidth = int.TryParse(property("MapWidth"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int w) ? w : 0,
            MapHeight = int.TryParse(property("MapHeight"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int h) ? h : 0,
            Attribution = AttributionFrom(property),
            Region = numbers("Region")?.Select(v => (int)v).ToArray() is { Length: > 0 } region ? region : null,
            RegionMask = string.IsNullOrEmpty(property("RegionMask")) ? null : property("RegionMask"),
            Detections = !string.IsNullOrEmpty(property("Detections")),
            RenormalizeInBoxes = Flag("RenormalizeInBoxes"),
            // Every result names its map's size; a row without it lost the hidden settings beside it.
            SettingsCarried = !string.IsNullOrEmpty(property("MapWidth")),
        };
    }

    /// <summary>The attribution settings a result names (each one it omits at its default); null when it names none (a CAM).</summary>
    private static Attribution.AttributionOptions? AttributionFrom(Func<string, string?> property)
    {
        string[] names = { "Steps", "Integration", "Baseline", "BaselineImage", "Window", "Stride", "Sign", "NoiseTunnel", "TunnelSamples", "TunnelNoise", "TunnelSeed" };
        if (names.All(name => string.IsNullOrEmpty(property(name)))) return null;
        var defaults = new Attribution.AttributionOptions();
        // In double, as the parameter is: through float, 0.15 would come back as 0.15000000596 and the noise with it.
        double Fraction(string name, double fallback) =>
            double.TryParse(property(name), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ||
            double.TryParse(property(name), NumberStyles.Float, CultureInfo.CurrentCulture, out v) ? v : fallback;
        int Whole(string name, int fallback) => int.TryParse(property(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : fallback;
        T Choice<T>(string name, T fallback) where T : struct, Enum => Enum.TryParse<T>(property(name), true, out var v) ? v : fallback;
        var baseline = Choice("Baseline", defaults.Baseline);
        return defaults with
        {
            Steps = Whole("Steps", defaults.Steps), Integration = Choice("Integration", defaults.Integration), Baseline = baseline,
            BaselineImagePath = baseline == AttributionBaseline.Image && !string.IsNullOrEmpty(property("BaselineImage")) ? property("BaselineImage") : null,
            Window = Whole("Window", defaults.Window), Stride = Whole("Stride", defaults.Stride), Sign = Choice("Sign", defaults.Sign),
            NoiseTunnel = Choice("NoiseTunnel", defaults.NoiseTunnel), TunnelSamples = Whole("TunnelSamples", defaults.TunnelSamples),
            TunnelNoise = Fraction("TunnelNoise", defaults.TunnelNoise), TunnelSeed = Whole("TunnelSeed", defaults.TunnelSeed),
        };
    }

    /// <summary>
    /// The map the result carried (a deserialised float[,] arrives flattened, its size in MapWidth and MapHeight), or, when
    /// it carried none, the map made again with the preprocessing the result was made with (its settings over the
    /// model's settings file), nothing written.
    /// </summary>
    public (float[] Map, int Width, int Height, float RawMin, float RawMax) Compute(float[]? carried, CancellationToken cancellation)
    {
        if (carried is { Length: > 0 })
        {
            if (MapWidth > 0 && MapHeight > 0 && MapWidth * MapHeight == carried.Length) return (carried, MapWidth, MapHeight, RawMin, RawMax);
            // A result of an older session names no size: its maps were square.
            int side = (int)Math.Round(Math.Sqrt(carried.Length));
            if (MapWidth == 0 && side * side == carried.Length) return (carried, side, side, RawMin, RawMax);
            throw new HeatmapToolsException(ErrorIds.CsvRowInvalid, ErrorKind.InvalidData,
                $"The map of '{SourcePath}' arrived with {carried.Length} values, not the {MapWidth} x {MapHeight} its result names.", SourcePath);
        }
        if (!SettingsCarried)
            throw new HeatmapToolsException(ErrorIds.CsvRowInvalid, ErrorKind.InvalidData,
                $"The map of '{SourcePath}' arrived without its values and without the settings it was made with (its input size, normalisation, " +
                "attribution settings: Export-Csv leaves a result's hidden properties out), so it cannot be made again as it was made. " +
                "Pass the results themselves, or through ConvertTo-Json or Export-Clixml, which keep them.", SourcePath);
        if (Detections)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidData,
                $"The detector's map of '{SourcePath}' arrived without its values: its boxes are not made again here. " +
                "Pass the results with their maps (ConvertTo-Json -Depth 3 keeps Map), or run New-CamHeatmap in this process.", SourcePath);
        var model = ModelStore.Get(new WeightsRequest(Model, WeightsPath, Random, Seed, NumClasses: NumClasses), cancellation);
        var method = CamMethods.Get(Method);
        var preprocess = Preprocess.Over(ModelSidecar.For(model.Info.SourceFile ?? model.WeightsFile)?.Preprocess).Resolve(model.Info);
        var options = new CamJobOptions
        {
            Methods = new[] { method },
            // An attribution's Layer names the input, which no model lists: it takes the default layer and ignores it.
            Layers = method.IsAttribution ? LayerSelection.Default : LayerSelection.Parse(new[] { Layer }),
            Preprocess = preprocess,
            Cam = new CamOptions
            {
                AugSmooth = AugSmooth, EigenSmooth = EigenSmooth, RenormalizeInBoxes = RenormalizeInBoxes,
                // An image baseline is prepared as the inputs are, as the first run prepared it.
                Attribution = Attribution is { } attribution ? Engine.Attribution.AttributionBaselines.Prepare(attribution, preprocess, cancellation) : new(),
            },
            Target = Targets.TargetRequest.Parse(Target, ReferenceImage, Region, RegionMask),
        };
        bool segment = options.Target.Kind.KindName == Targets.SegmentTarget.Maker.Name;
        // A similarity target is made by the run from its reference image, a segment target from the image's own
        // prediction over the region; the others from the class the result names.
        var target = !segment && (options.Target.Kind.UsesClasses || options.Target.ReferenceImage is null)
            ? options.Target.Kind.For(new Targets.TargetContext(null, () => Array.Empty<float>()), new[] { ClassIndex }).Single() : null;
        if (target is Targets.SumTarget)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidData,
                $"The Sum map of '{SourcePath}' arrived without its values, and its result names only its first class: it cannot be made again here. " +
                "Pass the results with their maps (ConvertTo-Json -Depth 3 keeps Map), or run New-CamHeatmap in this process.", SourcePath);
        var map = CamJob.MapOf(model, ClassLabels.Numbered(model.NumClasses), SourcePath, target, method, options, cancellation,
            segment ? new[] { ClassIndex } : null);
        return (map.Map, map.MapWidth, map.MapHeight, map.RawMin, map.RawMax);
    }
}
