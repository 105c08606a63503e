namespace HeatmapTools;

/// <summary>One ranked class, shown like Keras's decode_predictions: (wordnet id, label, probability).</summary>
public sealed class RankedClass
{
    public int Rank { get; init; }
    public int ClassIndex { get; init; }
    public string? WordNetId { get; init; }
    public string Label { get; init; } = "";
    public double Probability { get; init; }
    public double Logit { get; init; }

    public override string ToString() =>
        WordNetId is null ? $"('{Label}', {Probability:F4})" : $"('{WordNetId}', '{Label}', {Probability:F4})";
}

/// <summary>
/// Get-ClassPrediction's result for one image. Besides the ranking it carries what New-CamHeatmap binds by property
/// name (the image path, model, weights, top-1 class), and no tensors.
/// </summary>
public sealed class ClassPrediction
{
    /// <summary>The table's Image column as a property (Select-Object Image); hidden so Export-Csv keeps one column per fact.</summary>
    [System.Management.Automation.Hidden, Newtonsoft.Json.JsonIgnore] public string Image => System.IO.Path.GetFileName(Path);
    public string Path { get; init; } = "";
    /// <summary>Lets New-CamHeatmap bind -LiteralPath from this object, as it does from Get-ChildItem's output.</summary>
    public string PSPath => Path;
    public string Model { get; init; } = "";
    public int ClassIndex { get; init; }
    public string? WordNetId { get; init; }
    public string Label { get; init; } = "";
    public double Probability { get; init; }
    /// <summary>The ranked classes; hidden from Export-Csv (Ranking carries them as text), shown by the default table.</summary>
    [System.Management.Automation.Hidden]
    public RankedClass[] Predictions { get; init; } = Array.Empty<RankedClass>();
    /// <summary>A segmentation model's categories present, by share of the pixels ("cat=0.6120; __background__=0.3880"); null for a classifier.</summary>
    public string? PixelShares { get; init; }
    /// <summary>The overlay of the predicted categories with its legend (-SegmentsPath); null when none was written.</summary>
    public string? SegmentsFile { get; init; }
    /// <summary>A detector's boxes, highest score first (binds to New-CamHeatmap's -Detections); null for other models.</summary>
    public DetectionRecord[]? Detections { get; init; }
    /// <summary>A detector's detections as one line, for Export-Csv and the report ("cat 0.977 [267.4,178,314.9,220.1]; ..."); null for other models.</summary>
    public string? Boxes => Detections is null ? null : string.Join("; ", Detections.Select(d => d.ToString()));
    /// <summary>The photo with the detections drawn (-BoxesPath); null when none was written.</summary>
    public string? BoxesFile { get; init; }
    /// <summary>The ranking as one line, for Export-Csv: ('n02123045', 'tabby', 0.7096), ...</summary>
    public string Ranking => string.Join(", ", Predictions.Select(p => p.ToString()));
    /// <summary>The -WeightsPath asked for (null when the weights were looked up); binds to New-CamHeatmap's parameter.</summary>
    public string? WeightsPath { get; init; }
    /// <summary>
    /// The file actually loaded, wherever it was found: for audits. Not named like a parameter, so piping into
    /// New-CamHeatmap with another -Model does not force this model's file on it.
    /// </summary>
    public string? WeightsFile { get; init; }
    public WeightsSource Weights { get; init; }
    public int? Seed { get; init; }
    public int NumClasses { get; init; }
    /// <summary>The -Labels given (a file as a full path, or the names), so New-CamHeatmap downstream names classes alike.</summary>
    public TextList? Labels { get; init; }
    /// <summary>Preprocessing and head as given to Get-ClassPrediction (null: the model's own), so commands downstream prepare the image alike.</summary>
    [System.Management.Automation.Hidden] public string? InputSize { get; init; }
    [System.Management.Automation.Hidden] public float[]? Mean { get; init; }
    [System.Management.Automation.Hidden] public float[]? Std { get; init; }
    [System.Management.Automation.Hidden] public Normalization? Normalization { get; init; }
    [System.Management.Automation.Hidden] public int? InputChannels { get; init; }
    [System.Management.Automation.Hidden] public ResizeMode? Resize { get; init; }
    [System.Management.Automation.Hidden] public StainMethod? StainNormalization { get; init; }
    [System.Management.Automation.Hidden] public string? StainTarget { get; init; }
    [System.Management.Automation.Hidden] public double[]? StainMatrix { get; init; }
    [System.Management.Automation.Hidden] public HeadActivation? HeadActivation { get; init; }
    /// <summary>How the head's outputs became probabilities (Softmax, Sigmoid or None), so New-PatientPatchGrid reads them alike.</summary>
    [System.Management.Automation.Hidden] public string? HeadUsed { get; init; }
    public int Width { get; init; }
    public int Height { get; init; }
    /// <summary>
    /// Every class's probability, in class order, for heads of at most 32 classes (null for bigger ones): a list to sort or
    /// index by label; Export-Csv writes it as JSON text {label: p} with every digit kept, and New-PatientPatchGrid reads
    /// P(positive) back from the CSV exactly.
    /// </summary>
    public ClassProbabilityList? ClassProbabilities { get; init; }
    /// <summary>Every class's raw score; hidden from Export-Csv and ConvertTo-Json (a thousand numbers), readable as $p.Logits.</summary>
    [System.Management.Automation.Hidden, Newtonsoft.Json.JsonIgnore]
    public float[] Logits { get; init; } = Array.Empty<float>();
    /// <summary>
    /// The prepared image (network input and decoded original) held in the shared budget for New-CamHeatmap, which binds
    /// it by name instead of decoding again; typed object so PowerShell's reflection never needs the engine early.
    /// </summary>
    [System.Management.Automation.Hidden, Newtonsoft.Json.JsonIgnore]
    public IHeldInput? PreparedInput { get; init; }
    /// <summary>Every class's name in class order, for -PositiveClass by label downstream (the ranking holds only the top ones).</summary>
    internal string[] ClassNames { get; init; } = Array.Empty<string>();
}
