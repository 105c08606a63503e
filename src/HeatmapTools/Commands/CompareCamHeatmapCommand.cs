using System.Management.Automation;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Trust;

namespace HeatmapTools.Commands;

/// <summary>The same images under two weights files of one architecture: prediction changes and how alike the maps are, for release gates.</summary>
[Cmdlet(VerbsData.Compare, "CamHeatmap")]
[OutputType(typeof(CamComparison), typeof(CamComparisonSummary))]
public sealed class CompareCamHeatmapCommand : ModelCommandBase
{
    private readonly List<string> _files = new();
    private readonly List<CamComparison> _all = new();

    [Parameter(Mandatory = true)]
    public string ReferenceWeights { get; set; } = "";

    [Parameter(Mandatory = true)]
    public string DifferenceWeights { get; set; } = "";

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

    protected override void ProcessRecord() => _files.AddRange(InputFiles());

    protected override void EndProcessing()
    {
        var reference = LoadModel(CurrentWeightsRequest() with { WeightsPath = GetUnresolvedProviderPathFromPSPath(ReferenceWeights) });
        var difference = LoadModel(CurrentWeightsRequest() with { WeightsPath = GetUnresolvedProviderPathFromPSPath(DifferenceWeights) });
        var method = RunEngine(() => CamMethods.Get(Method));
        var layers = Layer ?? Array.Empty<string>();
        foreach (var batch in _files.Chunk(Math.Max(1, BatchSize)))
        {
            foreach (var r in RunEngine(() => MapComparison.Compare(reference, difference, batch, PreprocessFor(reference), method, layers, ClassIndex, Cancellation,
                PlotPath is null ? null : GetUnresolvedProviderPathFromPSPath(PlotPath), Force)))
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
                _all.Add(record);
                if (!Summary) WriteObject(record);
            }
        }
        if (Summary) WriteObject(CamComparisonSummary.Of(_all, ReferenceWeights, DifferenceWeights));
    }
}
