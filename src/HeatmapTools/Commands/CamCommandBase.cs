using System.Management.Automation;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Cam.Targets;

namespace HeatmapTools.Commands;

/// <summary>The maps one pipeline record asks for: methods, layers and smoothing; records asking alike share a batch.</summary>
internal sealed record CamSelection(IReadOnlyList<CamMethod> Methods, LayerSelection Layers, bool AugSmooth, bool EigenSmooth, TargetRequest Target,
    Engine.Attribution.AttributionOptions Attribution)
{
    /// <summary>A detector's maps renormalised inside their boxes (-RenormalizeInBoxes).</summary>
    public bool RenormalizeInBoxes { get; init; }

    public bool Equals(CamSelection? other) => other is not null && Methods.SequenceEqual(other.Methods) && Layers.Equals(other.Layers)
        && AugSmooth == other.AugSmooth && EigenSmooth == other.EigenSmooth && Target == other.Target && Attribution == other.Attribution
        && RenormalizeInBoxes == other.RenormalizeInBoxes;

    public override int GetHashCode() => HashCode.Combine(Methods.Count, Layers, AugSmooth, EigenSmooth, Target);
}

/// <summary>
/// What New-CamHeatmap, Measure-CamFaithfulness and Test-CamSanity share: which maps (methods, layers, classes,
/// smoothing). Bound by property name too, so a New-CamHeatmap result piped on is judged as it was made.
/// </summary>
public abstract class CamCommandBase : ModelCommandBase
{
    /// <summary>Method names as pytorch-grad-cam's classes are named; the engine's registry of methods is the list (completion offers it).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(CamMethodCompleter))]
    public string[] Method { get; set; } = { "GradCAM" };

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(LayerNameCompleter))]
    public string[]? Layer { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int[]? ClassIndex { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(ClassNameCompleter))]
    public string[]? ClassName { get; set; }

    [Parameter]
    [ValidateRange(1, 1000)]
    public int Top { get; set; } = 1;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SwitchParameter AugSmooth { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SwitchParameter EigenSmooth { get; set; }

    // Pixel attributions' settings (-Method IntegratedGradients, Occlusion, ...); nullable, so a CAM result piped on binds
    // none (and no ValidateRange, which refuses the null such a result carries: AttributionSettings checks the range).
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? Steps { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public IntegrationMethod? Integration { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public AttributionBaseline? Baseline { get; set; }

    /// <summary>The image of -Baseline Image (given alone, it implies it), prepared for the network as the input is.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? BaselineImage { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? Window { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? Stride { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public AttributionSign? Sign { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public NoiseTunnel? NoiseTunnel { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? TunnelSamples { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public double? TunnelNoise { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? TunnelSeed { get; set; }

    /// <summary>What each map explains: a class's Logit (default), its Softmax probability, a one-logit head's Negative, the Sum of the classes, Similarity to -ReferenceImage, or a segmentation model's category over a region (Segment).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(TargetCompleter))]
    public string? Target { get; set; }

    /// <summary>
    /// A piped result's target (CamHeatmap.TargetKind). Not bound from a property named Target: a FileInfo of a symbolic
    /// link has one too (the file it points to).
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    public string? TargetKind { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ReferenceImage { get; set; }

    /// <summary>A segmentation model's region: x, y, width, height in the image's pixels.</summary>
    // Bound from piped results too, where a map of no rectangle carries null: four values are checked where it is parsed.
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull, AllowEmptyCollection]
    public int[]? Region { get; set; }

    /// <summary>A segmentation model's region as a mask image of the photo's size (its nonzero pixels).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? RegionMask { get; set; }

    /// <summary>A detector's boxes to explain, x1, y1, x2, y2 in the photo's pixels, four numbers a box; each box's class from -ClassIndex.</summary>
    [Parameter]
    public double[]? Box { get; set; }

    /// <summary>A detector's map renormalised inside each box it explains, as pytorch-grad-cam's Faster R-CNN tutorial shows it.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SwitchParameter RenormalizeInBoxes { get; set; }

    /// <summary>A detector's map per box it explains (named {target} "box1", "box2"... in the boxes' order), not one map for all an image's boxes.</summary>
    [Parameter]
    public SwitchParameter PerBox { get; set; }

    /// <summary>A detector's boxes piped on (Get-ClassPrediction's detections, or a map's): explained instead of detecting again.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public object[]? Detections { get; set; }

    /// <summary>Whether -Region and -RegionMask choose a segmentation target (they say where explanations should point in Measure-Explanation).</summary>
    private protected virtual bool RegionIsTarget => true;

    /// <summary>This record's methods, layers and smoothing (unknown method names stop the command with UnknownMethod).</summary>
    private protected CamSelection CurrentSelection()
    {
        var methods = RunEngine(() => Method.Select(CamMethods.Get).Distinct().ToList());
        // Attributions are taken at the input: a result of one piped on names its layer "input", which is no layer to resolve.
        var layers = methods.All(m => m.IsAttribution) && Layer is { Length: > 0 }
            ? Layer.Where(l => !string.Equals(l, Engine.Attribution.AttributionMethod.InputLayer, StringComparison.OrdinalIgnoreCase)).ToArray() : Layer;
        if (methods.All(m => m.IsAttribution) && layers is { Length: > 0 })
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException(
                $"{string.Join(", ", methods.Select(m => m.Name))} attribute{(methods.Count == 1 ? "s" : "")} the network input and read{(methods.Count == 1 ? "s" : "")} no layer: -Layer {string.Join(", ", layers)} does not apply."),
                ErrorIds.MethodNotApplicable, ErrorCategory.InvalidArgument, layers));
        return Select(methods, layers);
    }

    private CamSelection Select(IReadOnlyList<CamMethod> methods, string[]? layers) => new(
        methods,
        LayerSelection.Parse(layers),
        AugSmooth, EigenSmooth,
        RunEngine(() => TargetRequest.Parse(!string.IsNullOrEmpty(Target) ? Target : string.IsNullOrEmpty(TargetKind) ? null : TargetKind,
            string.IsNullOrEmpty(ReferenceImage) ? null : GetUnresolvedProviderPathFromPSPath(ReferenceImage),
            RegionIsTarget && Region is { Length: > 0 } ? Region : null,
            !RegionIsTarget || string.IsNullOrEmpty(RegionMask) ? null : GetUnresolvedProviderPathFromPSPath(RegionMask))) with
        {
            Boxes = TypedBoxes(),
            PerBox = PerBox,
            Detection = GivenDetection(),
        },
        AttributionSettings()) { RenormalizeInBoxes = RenormalizeInBoxes };

    /// <summary>-Box's boxes with their classes: -ClassIndex gives one class for every box, or one per box.</summary>
    private IReadOnlyList<LabelledBox>? TypedBoxes()
    {
        if (Box is null) return null;
        return RunEngine(() =>
        {
            if (Box.Length == 0 || Box.Length % 4 != 0)
                throw new HeatmapToolsException(ErrorIds.BoxInvalid, ErrorKind.InvalidArgument,
                    $"-Box takes four numbers a box (x1, y1, x2, y2 in the photo's pixels); {Box.Length} were given.", Box.Length);
            int count = Box.Length / 4;
            if (ClassIndex is not { Length: > 0 } classes || (classes.Length != 1 && classes.Length != count))
                throw new HeatmapToolsException(ErrorIds.BoxInvalid, ErrorKind.InvalidArgument,
                    $"-Box needs each box's class: -ClassIndex with one class for all {count} box(es), or one per box ({ClassIndex?.Length ?? 0} given).", "ClassIndex");
            return Enumerable.Range(0, count).Select(k => new LabelledBox(classes[classes.Length == 1 ? 0 : k], Engine.Detection.BoxCorners.Parse(Box, 4 * k))).ToList();
        });
    }

    /// <summary>The boxes piped with this record (DetectionRecords, or their JSON: ClassIndex and Box with X1, Y1, X2, Y2); null when none were.</summary>
    private protected IReadOnlyList<LabelledBox>? PipedBoxes()
    {
        if (Detections is null) return null;
        return RunEngine(() => Detections.Select(d =>
        {
            var o = PSObject.AsPSObject(d);
            if (o.BaseObject is DetectionRecord record) return new LabelledBox(record.ClassIndex, record.Box.ToCorners());
            object? Read(PSObject from, string name) => from.Properties[name]?.Value
                ?? throw new HeatmapToolsException(ErrorIds.BoxInvalid, ErrorKind.InvalidArgument, $"A detection piped in has no {name}: it takes ClassIndex and Box (X1, Y1, X2, Y2).", name);
            var box = PSObject.AsPSObject(Read(o, "Box"));
            try
            {
                var corners = new[] { "X1", "Y1", "X2", "Y2" }.Select(n => Convert.ToDouble(Read(box, n), System.Globalization.CultureInfo.InvariantCulture)).ToArray();
                return new LabelledBox(Convert.ToInt32(Read(o, "ClassIndex"), System.Globalization.CultureInfo.InvariantCulture), Engine.Detection.BoxCorners.Parse(corners));
            }
            catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException)
            {
                throw new HeatmapToolsException(ErrorIds.BoxInvalid, ErrorKind.InvalidArgument, $"A detection piped in is not one: {e.Message}", d);
            }
        }).ToList());
    }

    /// <summary>The attribution settings given, over the defaults (Captum's where it has them).</summary>
    private Engine.Attribution.AttributionOptions AttributionSettings()
    {
        foreach (var (name, value) in new[] { ("Steps", Steps), ("Window", Window), ("Stride", Stride), ("TunnelSamples", TunnelSamples) })
            if (value is < 1 or > 4096)
                ThrowTerminatingError(new ErrorRecord(new PSArgumentOutOfRangeException(name, value, $"-{name} must be 1 to 4096; {value} was given."),
                    "ParameterArgumentValidationError", ErrorCategory.InvalidArgument, value));
        if (TunnelNoise is double level && (!double.IsFinite(level) || level < 0 || level > 10))
            ThrowTerminatingError(new ErrorRecord(new PSArgumentOutOfRangeException("TunnelNoise", level, $"-TunnelNoise is a share of the input's range, 0 to 10; {level} was given."),
                "ParameterArgumentValidationError", ErrorCategory.InvalidArgument, level));
        var defaults = new Engine.Attribution.AttributionOptions();
        if (BaselineImage is not null && Baseline is not (null or AttributionBaseline.Image))
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException($"-BaselineImage is the image of -Baseline Image; -Baseline {Baseline} was given with it."),
                ErrorIds.BaselineInvalid, ErrorCategory.InvalidArgument, BaselineImage));
        var baseline = Baseline ?? (BaselineImage is null ? defaults.Baseline : AttributionBaseline.Image);
        return defaults with
        {
            BaselineImagePath = baseline == AttributionBaseline.Image && BaselineImage is not null ? GetUnresolvedProviderPathFromPSPath(BaselineImage) : null,
            NoiseTunnel = NoiseTunnel ?? defaults.NoiseTunnel, TunnelSamples = TunnelSamples ?? defaults.TunnelSamples,
            TunnelNoise = TunnelNoise ?? defaults.TunnelNoise, TunnelSeed = TunnelSeed ?? defaults.TunnelSeed,
            Steps = Steps ?? defaults.Steps, Integration = Integration ?? defaults.Integration, Baseline = baseline,
            Window = Window ?? defaults.Window, Stride = Stride ?? defaults.Stride, Sign = Sign ?? defaults.Sign,
        };
    }

    /// <summary>The classes asked for by index or name; null means the top class (or -Top classes).</summary>
    protected IReadOnlyList<int>? ResolveClasses()
    {
        var classes = new List<int>();
        if (ClassIndex is { Length: > 0 }) classes.AddRange(ClassIndex);
        if (ClassName is { Length: > 0 })
        {
            var labels = LoadLabels(ClassCount, Engine.Models.ModelCatalog.TryGet(Model, out var info) && info.IsSegmentation);
            classes.AddRange(ClassName.Select(n => RunEngine(() => labels.Find(n))));
        }
        return classes.Count > 0 ? classes.Distinct().ToList() : null;
    }

    /// <summary>The selection's map settings for a model: an image baseline is prepared with the preprocessing its inputs get.</summary>
    private protected CamOptions CamOptionsFor(CamSelection selection, Engine.Imaging.PreprocessOptions preprocess) =>
        new()
        {
            AugSmooth = selection.AugSmooth, EigenSmooth = selection.EigenSmooth, RenormalizeInBoxes = selection.RenormalizeInBoxes,
            Attribution = RunEngine(() => Engine.Attribution.AttributionBaselines.Prepare(selection.Attribution, preprocess, Cancellation)),
        };
}
