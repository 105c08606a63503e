namespace HeatmapTools;

/// <summary>New-CamHeatmap's result for one (image, class, method): the files written and the map as managed data.</summary>
public sealed class CamHeatmap
{
    public string SourcePath { get; init; } = "";
    /// <summary>The table's Image column as a property (Select-Object Image); hidden so Export-Csv keeps one column per fact.</summary>
    [System.Management.Automation.Hidden, Newtonsoft.Json.JsonIgnore] public string Image => System.IO.Path.GetFileName(SourcePath);
    public string? OutputPath { get; init; }
    public string? MapPath { get; init; }
    public string Method { get; init; } = "";
    public string Layer { get; init; } = "";
    public string Model { get; init; } = "";
    /// <summary>The weights file the model was loaded from, wherever it was found; null for -Weights Random.</summary>
    public string? WeightsFile { get; init; }
    /// <summary>What the map was made with, named as the parameters, so the next command (Measure-CamFaithfulness,
    /// Test-CamSanity) binds the same model by property name.</summary>
    public string? WeightsPath { get; init; }
    public WeightsSource Weights { get; init; }
    public int? Seed { get; init; }
    public int NumClasses { get; init; }
    public TextList? Labels { get; init; }
    /// <summary>The class the map is filed under; -1 for a map of no one class (-Target Similarity).</summary>
    public int ClassIndex { get; init; }
    /// <summary>What the map explains (-Target): Logit, Softmax, Negative, Sum, Similarity or Segment; Label says of what.</summary>
    public string Target { get; init; } = "Logit";
    /// <summary>The same, under the name the next command binds by (a FileInfo's Target is something else).</summary>
    [System.Management.Automation.Hidden, Newtonsoft.Json.JsonIgnore] public string TargetKind => Target;
    /// <summary>The image a Similarity map compares with.</summary>
    public string? ReferenceImage { get; init; }
    /// <summary>A segmentation map's region: x, y, width, height in the image's pixels (-Region); null for the predicted pixels or a mask.</summary>
    public int[]? Region { get; init; }
    /// <summary>A segmentation map's region as a mask image (-RegionMask).</summary>
    public string? RegionMask { get; init; }
    /// <summary>A detector's map: the boxes it explains, in the photo's pixels (binds to -Detections, so the map can be made again); null for other models.</summary>
    public DetectionRecord[]? Detections { get; init; }
    /// <summary>The boxes as one line, for Export-Csv and the report ("cat 0.977 [267.4,178,314.9,220.1]; ..."); null for other models.</summary>
    public string? Boxes => Detections is null ? null : string.Join("; ", Detections.Select(d => d.ToString()));
    public string Label { get; init; } = "";
    /// <summary>The raw logit of the target class.</summary>
    public double Score { get; init; }
    /// <summary>What the map's 0 and 1 stood for before pytorch-grad-cam's per-image scaling (the layer map's range after ReLU),
    /// so maps of several images can share one scale (New-PatientPatchGrid's CAM mosaic does).</summary>
    public float MapMin { get; init; }
    public float MapMax { get; init; } = 1;
    /// <summary>Whether the map was smoothed (-AugSmooth, -EigenSmooth): Measure-CamFaithfulness and Test-CamSanity judge it as made.</summary>
    public bool AugSmooth { get; init; }
    public bool EigenSmooth { get; init; }
    /// <summary>A detector's map renormalised inside its boxes (-RenormalizeInBoxes).</summary>
    public bool RenormalizeInBoxes { get; init; }
    /// <summary>
    /// The preprocessing asked for (null: the model's own, or its settings file's), named as the parameters, so the next
    /// command (Measure-CamFaithfulness, Test-CamSanity) prepares the image alike and a map can be made again elsewhere.
    /// </summary>
    [System.Management.Automation.Hidden] public string? InputSize { get; init; }
    [System.Management.Automation.Hidden] public float[]? Mean { get; init; }
    [System.Management.Automation.Hidden] public float[]? Std { get; init; }
    [System.Management.Automation.Hidden] public Normalization? Normalization { get; init; }
    [System.Management.Automation.Hidden] public int? InputChannels { get; init; }
    [System.Management.Automation.Hidden] public ResizeMode? Resize { get; init; }
    [System.Management.Automation.Hidden] public StainMethod? StainNormalization { get; init; }
    [System.Management.Automation.Hidden] public string? StainTarget { get; init; }
    [System.Management.Automation.Hidden] public double[]? StainMatrix { get; init; }
    /// <summary>
    /// A pixel attribution's settings, named as the parameters, so the next command makes the same attribution; null for
    /// a CAM. The attribution's values themselves go to a file with -MapFormat (&lt;name&gt;_attribution.npy).
    /// </summary>
    [System.Management.Automation.Hidden] public int? Steps { get; init; }
    [System.Management.Automation.Hidden] public IntegrationMethod? Integration { get; init; }
    [System.Management.Automation.Hidden] public AttributionBaseline? Baseline { get; init; }
    [System.Management.Automation.Hidden] public string? BaselineImage { get; init; }
    [System.Management.Automation.Hidden] public int? Window { get; init; }
    [System.Management.Automation.Hidden] public int? Stride { get; init; }
    [System.Management.Automation.Hidden] public AttributionSign? Sign { get; init; }
    [System.Management.Automation.Hidden] public NoiseTunnel? NoiseTunnel { get; init; }
    [System.Management.Automation.Hidden] public int? TunnelSamples { get; init; }
    [System.Management.Automation.Hidden] public double? TunnelNoise { get; init; }
    [System.Management.Automation.Hidden] public int? TunnelSeed { get; init; }
    /// <summary>The map's size (the network input's, which need not be square).</summary>
    [System.Management.Automation.Hidden] public int MapWidth { get; init; }
    [System.Management.Automation.Hidden] public int MapHeight { get; init; }
    private readonly float[,]? _map;

    internal static CamHeatmap From(Engine.Cam.CamOutput r, Engine.Models.LayeredModel model, Engine.Models.WeightsRequest request, TextList? labels,
        Engine.Cam.CamOptions cam, Engine.Cam.Targets.TargetRequest target, Engine.Imaging.PreprocessRequest preprocess, Engine.Models.ClassLabels classNames) => new()
    {
        InputSize = preprocess.InputSize,
        Mean = preprocess.Mean,
        Std = preprocess.Std,
        Normalization = preprocess.Normalization,
        InputChannels = preprocess.Channels,
        Resize = preprocess.Resize,
        StainNormalization = preprocess.StainNormalization,
        StainTarget = preprocess.StainTarget,
        StainMatrix = preprocess.StainMatrix,
        MapWidth = r.MapWidth,
        MapHeight = r.MapHeight,
        SourcePath = r.SourcePath,
        OutputPath = r.OutputPath,
        MapPath = r.MapPath,
        Method = r.Method.Name,
        Layer = r.Layer,
        // An ONNX model by its path, so a later command finds it from anywhere.
        Model = model.Info.SourceFile ?? model.Name,
        WeightsFile = model.WeightsFile,
        WeightsPath = request.WeightsPath,
        Weights = request.Random ? WeightsSource.Random : WeightsSource.Pretrained,
        Seed = request.Seed,
        NumClasses = model.NumClasses,
        Labels = labels,
        ClassIndex = r.ClassIndex,
        Label = r.Label,
        Score = r.Score,
        MapMin = r.RawMin,
        MapMax = r.RawMax,
        Held = r.Held,
        AugSmooth = cam.AugSmooth,
        EigenSmooth = cam.EigenSmooth,
        RenormalizeInBoxes = cam.RenormalizeInBoxes,
        Steps = r.Method.IsAttribution ? cam.Attribution.Steps : null,
        Integration = r.Method.IsAttribution ? cam.Attribution.Integration : null,
        Baseline = r.Method.IsAttribution ? cam.Attribution.Baseline : null,
        BaselineImage = r.Method.IsAttribution ? cam.Attribution.BaselineImagePath : null,
        Window = r.Method.IsAttribution ? cam.Attribution.Window : null,
        Stride = r.Method.IsAttribution ? cam.Attribution.Stride : null,
        Sign = r.Method.IsAttribution ? cam.Attribution.Sign : null,
        NoiseTunnel = r.Method.IsAttribution ? cam.Attribution.NoiseTunnel : null,
        TunnelSamples = r.Method.IsAttribution ? cam.Attribution.TunnelSamples : null,
        TunnelNoise = r.Method.IsAttribution ? cam.Attribution.TunnelNoise : null,
        TunnelSeed = r.Method.IsAttribution ? cam.Attribution.TunnelSeed : null,
        Target = r.Target.Kind,
        ReferenceImage = target.ReferenceImage,
        Region = target.Region.Rect,
        RegionMask = target.Region.MaskFile,
        Detections = r.Target is Engine.Cam.Targets.BoxTarget boxes
            ? boxes.PhotoBoxes.Select(b => new DetectionRecord { ClassIndex = b.ClassIndex, Label = classNames[b.ClassIndex].Name, Box = BoxRecord.From(b.Box) }).ToArray() : null,
    };

    /// <summary>The map at the network's input resolution, [row, column], values in [0,1]. Hidden from Export-Csv,
    /// ConvertTo-Json and default formatting (50,176 numbers); $result.Map still reads it. A result of this session
    /// reads it from its held tensor, or, once the shared budget has released that, computes it again from the image.</summary>
    [System.Management.Automation.Hidden, Newtonsoft.Json.JsonIgnore]
    public float[,] Map
    {
        get => GetMap();
        init => _map = value;
    }

    /// <summary>
    /// The map, as <see cref="Map"/>; but where PowerShell turns a property's failure into $null, this says why the map
    /// cannot be had (MapSourceChanged: let go by the budget, and the image changed since).
    /// </summary>
    public float[,] GetMap() => _map ?? (Held is { } held ? ToGrid(held.Read(), held.Width, held.Height) : new float[0, 0]);

    /// <summary>The map as a tensor in the shared budget.</summary>
    internal IHeldMap? Held { get; init; }

    /// <summary>The held map for the next command (Measure-CamFaithfulness, Test-CamSanity bind it by name and use it
    /// when it is the very map they would compute).</summary>
    [System.Management.Automation.Hidden, Newtonsoft.Json.JsonIgnore]
    public IHeldMap? MapTensor => Held;

    /// <summary>The map, or the reason it cannot be had (MapSourceChanged), for commands that go on past one bad result.</summary>
    internal bool TryGetMap(out float[,] map, out HeatmapToolsException? problem)
    {
        try
        {
            (map, problem) = (GetMap(), null);
            return true;
        }
        catch (HeatmapToolsException ex)
        {
            (map, problem) = (new float[0, 0], ex);
            return false;
        }
    }

    /// <summary>Whether the map is still held as a tensor (false once the budget let it go, or in another process).</summary>
    [System.Management.Automation.Hidden, Newtonsoft.Json.JsonIgnore]
    public bool MapHeld => Held is { IsHeld: true };

    public static float[] Flatten(float[,] grid)
    {
        var map = new float[grid.Length];
        Buffer.BlockCopy(grid, 0, map, 0, map.Length * sizeof(float));
        return map;
    }

    public static float[,] ToGrid(float[] map, int width, int height)
    {
        var grid = new float[height, width];
        Buffer.BlockCopy(map, 0, grid, 0, map.Length * sizeof(float));
        return grid;
    }
}

/// <summary>Get-CamLayer's row: a layer a map can be computed at.</summary>
public sealed class CamLayer
{
    public string Model { get; init; } = "";
    public int Index { get; init; }
    public string Name { get; init; } = "";
    public string Type { get; init; } = "";
    public string OutputShape { get; init; } = "";
    public TextList Aliases { get; init; } = TextList.Empty;
    public bool IsDefault { get; init; }
    [System.Management.Automation.Hidden, Newtonsoft.Json.JsonIgnore] public string Default => IsDefault ? "*" : "";
    /// <summary>False for a submodule inside a stage: gradient methods, Eigen-CAM and Score-CAM work there; Ablation-CAM and CAM need a stage.</summary>
    public bool IsStage { get; init; }
}
