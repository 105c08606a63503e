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

    protected override void ProcessRecord()
    {
        // Two sets of maps are given whole as parameters; images are read only to compare weights.
        if (ParameterSetName != "Results") _files.AddRange(InputFiles());
    }

    protected override void EndProcessing()
    {
        if (ParameterSetName == "Results") CompareResults();
        else CompareWeights();
        if (Summary) WriteObject(CamComparisonSummary.Of(_all, ReferenceWeights, DifferenceWeights));
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
        var layers = Layer ?? Array.Empty<string>();
        foreach (var batch in _files.Chunk(Math.Max(1, BatchSize)))
        {
            foreach (var r in RunEngine(() => MapComparison.Compare(reference, difference, batch, PreprocessFor(reference), method, layers, ClassIndex, Cancellation,
                PlotPath is null ? null : GetUnresolvedProviderPathFromPSPath(PlotPath), Force, _figures)))
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
                };
                Add(record);
            }
        }
    }
}
