using System.Management.Automation;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Trust;

namespace HeatmapTools.Commands;

/// <summary>
/// The same images under two weights files of one architecture (or two sets of New-CamHeatmap results): prediction
/// changes and how alike the maps are, for release gates.
/// </summary>
[Cmdlet(VerbsData.Compare, "CamHeatmap", DefaultParameterSetName = "Weights")]
[OutputType(typeof(CamComparison), typeof(CamComparisonSummary))]
public sealed class CompareCamHeatmapCommand : ModelCommandBase
{
    private readonly List<string> _files = new();
    private readonly List<CamComparison> _all = new();
    private readonly HashSet<string> _figures = new(StringComparer.Ordinal);

    [Parameter(Mandatory = true, ParameterSetName = "Weights")]
    public string ReferenceWeights { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = "Weights")]
    public string DifferenceWeights { get; set; } = "";

    /// <summary>New-CamHeatmap results of the reference model, paired with -Difference's by image, method and layer.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Results")]
    public CamHeatmap[] Reference { get; set; } = Array.Empty<CamHeatmap>();

    [Parameter(Mandatory = true, ParameterSetName = "Results")]
    public CamHeatmap[] Difference { get; set; } = Array.Empty<CamHeatmap>();

    [Parameter]
    [ArgumentCompleter(typeof(CamMethodCompleter))]
    public string Method { get; set; } = "GradCAM";

    [Parameter]
    public string[]? Layer { get; set; }

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int? ClassIndex { get; set; }

    /// <summary>A folder for each image's two overlays side by side (&lt;name&gt;_compare.png).</summary>
    [Parameter]
    public string? PlotPath { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Only the summary over all images, for a gate to assert on.</summary>
    [Parameter]
    public SwitchParameter Summary { get; set; }

    /// <summary>Quantus's metrics (Measure-Explanation's names) to judge both models' explanations by.</summary>
    [Parameter]
    [ValidateSet("Sparseness", "Complexity", "EffectiveComplexity", "PixelFlipping", "RegionPerturbation", "FaithfulnessCorrelation", "IROF", "Monotonicity",
        "MaxSensitivity", "AvgSensitivity", "RandomLogit")]
    public string[]? Metric { get; set; }

    /// <summary>The largest change of each metric's mean the summary passes (metric name = tolerance); its names are judged too.</summary>
    [Parameter]
    public System.Collections.Hashtable? MetricTolerance { get; set; }

    private Engine.Explanation.ExplanationMetric[] _metrics = Array.Empty<Engine.Explanation.ExplanationMetric>();
    private Dictionary<string, double>? _tolerances;

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        var names = (Metric ?? Array.Empty<string>()).Concat(MetricTolerance?.Keys.Cast<object>().Select(k => k.ToString()!) ?? Array.Empty<string>());
        _metrics = RunEngine(() => names.Select(Engine.Explanation.ExplanationMetrics.ByName).Distinct().ToArray());
        var regional = _metrics.Where(m => m.NeedsMask).Select(m => m.Name).ToList();
        if (regional.Count > 0)
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException(
                $"{string.Join(", ", regional)} need{(regional.Count == 1 ? "s" : "")} a region each image's explanation should point at; Compare-CamHeatmap has none. Use Measure-Explanation -Mask under each model."),
                ErrorIds.ExplanationSettingInvalid, ErrorCategory.InvalidArgument, regional));
        if (_metrics.Length > 0 && ParameterSetName == "Results")
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException(
                "-Metric judges each model's explanation with the model itself, so it needs -ReferenceWeights and -DifferenceWeights, not two sets of maps."),
                ErrorIds.ExplanationSettingInvalid, ErrorCategory.InvalidArgument, Metric));
        if (MetricTolerance is not null)
        {
            _tolerances = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
            foreach (System.Collections.DictionaryEntry entry in MetricTolerance)
            {
                if (!double.TryParse(Convert.ToString(entry.Value, System.Globalization.CultureInfo.InvariantCulture), System.Globalization.NumberStyles.Float,
                        System.Globalization.CultureInfo.InvariantCulture, out var tolerance) || !double.IsFinite(tolerance) || tolerance < 0)
                    ThrowTerminatingError(new ErrorRecord(new PSArgumentException($"-MetricTolerance's {entry.Key} is '{entry.Value}'; a tolerance is a number of 0 or more."),
                        ErrorIds.ExplanationSettingInvalid, ErrorCategory.InvalidArgument, entry.Value));
                _tolerances[Engine.Explanation.ExplanationMetrics.ByName(entry.Key.ToString()!).Name] = tolerance;
            }
        }
    }

    protected override void ProcessRecord()
    {
        // Two sets of maps are given whole as parameters; images are read only to compare weights.
        if (ParameterSetName != "Results") _files.AddRange(InputFiles());
    }

    protected override void EndProcessing()
    {
        if (ParameterSetName == "Results") CompareResults();
        else CompareWeights();
        if (Summary) WriteObject(CamComparisonSummary.Of(_all, ReferenceWeights, DifferenceWeights, _metrics.Select(m => m.Name).ToList(), _tolerances));
    }

    /// <summary>Two sets of maps already made: each reference map with the difference map of the same image, method and layer.</summary>
    private void CompareResults()
    {
        static string KeyOf(CamHeatmap m) => $"{m.SourcePath}|{m.Method}|{m.Layer}";
        var others = Difference.GroupBy(KeyOf).ToDictionary(g => g.Key, g => g.First());
        var referenced = Reference.Select(KeyOf).ToHashSet(StringComparer.Ordinal);
        foreach (var a in Reference)
        {
            if (!others.TryGetValue(KeyOf(a), out var b))
            {
                WriteError(ToErrorRecord(new HeatmapToolsException(ErrorIds.MapsNotComparable, ErrorKind.ObjectNotFound,
                    $"No map of '{a.SourcePath}' ({a.Method}, {a.Layer}) among -Difference: it is left out.", a.SourcePath)));
                continue;
            }
            var (ma, mb) = (a.Map, b.Map);
            if (ma.GetLength(0) != mb.GetLength(0) || ma.GetLength(1) != mb.GetLength(1))
            {
                WriteError(ToErrorRecord(new HeatmapToolsException(ErrorIds.MapsNotComparable, ErrorKind.InvalidData,
                    $"The maps of '{a.SourcePath}' are {ma.GetLength(1)} x {ma.GetLength(0)} and {mb.GetLength(1)} x {mb.GetLength(0)}: made at other input sizes, they cannot be compared pixel by pixel.", a.SourcePath)));
                continue;
            }
            var (spearman, ssim) = MapComparison.Agreement(ma.Cast<float>().ToArray(), mb.Cast<float>().ToArray(), ma.GetLength(0), ma.GetLength(1));
            Add(new CamComparison
            {
                Path = a.SourcePath, Method = a.Method, ClassIndex = a.ClassIndex, ReferenceClass = a.ClassIndex, DifferenceClass = b.ClassIndex,
                PredictionChanged = a.ClassIndex != b.ClassIndex, Spearman = spearman, Ssim = ssim,
            });
        }
        // Unpaired either way: a map only among -Difference is said as well, not dropped.
        foreach (var b in Difference.Where(m => !referenced.Contains(KeyOf(m))).GroupBy(KeyOf).Select(g => g.First()))
            WriteError(ToErrorRecord(new HeatmapToolsException(ErrorIds.MapsNotComparable, ErrorKind.ObjectNotFound,
                $"No map of '{b.SourcePath}' ({b.Method}, {b.Layer}) among -Reference: it is left out.", b.SourcePath)));
    }

    private void Add(CamComparison record)
    {
        _all.Add(record);
        if (!Summary) WriteObject(record);
    }

    private void CompareWeights()
    {
        var reference = LoadModel(CurrentWeightsRequest() with { WeightsPath = GetUnresolvedProviderPathFromPSPath(ReferenceWeights) });
        var difference = LoadModel(CurrentWeightsRequest() with { WeightsPath = GetUnresolvedProviderPathFromPSPath(DifferenceWeights) });
        var method = RunEngine(() => CamMethods.Get(Method));
        // One request for both models: -Layer read as New-CamHeatmap reads it (a result's comma-joined value included),
        // resolved once on the reference before any image; the candidate runs the same plan.
        var plan = RunEngine(() => MapPlan.Resolve(reference, new MapRequest { Methods = new[] { method }, Layers = LayerSelection.Parse(Layer), Preprocess = PreprocessFor(reference) }));
        foreach (var batch in _files.Chunk(Math.Max(1, BatchSize)))
        {
            foreach (var r in RunEngine(() => MapComparison.Compare(plan, difference, batch, method, ClassIndex, Cancellation,
                PlotPath is null ? null : GetUnresolvedProviderPathFromPSPath(PlotPath), Force, _figures,
                _metrics.Length == 0 ? null : new ComparisonMetrics(_metrics, new Engine.Explanation.ExplanationOptions()))))
            {
                if (r.Error is not null)
                {
                    WriteError(ToErrorRecord(r.Error));
                    continue;
                }
                var v = r.Value!;
                var record = new CamComparison
                {
                    Path = v.Path, Method = method.Name, ClassIndex = v.ClassIndex, ReferenceClass = v.ReferenceClass, DifferenceClass = v.DifferenceClass,
                    PredictionChanged = v.ReferenceClass != v.DifferenceClass, ReferenceProbability = v.ReferenceProbability,
                    DifferenceProbability = v.DifferenceProbability, Spearman = v.Spearman, Ssim = v.Ssim, PlotPath = v.Figure,
                    ReferenceMetrics = v.ReferenceMetrics, DifferenceMetrics = v.DifferenceMetrics,
                };
                Add(record);
            }
        }
    }
}
