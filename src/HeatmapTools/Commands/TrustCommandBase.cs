using System.Management.Automation;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;
using HeatmapTools.Engine.Trust;

namespace HeatmapTools.Commands;

/// <summary>
/// Measure-CamFaithfulness and Test-CamSanity: images (or New-CamHeatmap results) in batches of one model and one map
/// selection, judged by the engine's TrustJob, one result object per map.
/// </summary>
public abstract class TrustCommandBase : CamCommandBase
{
    private readonly BatchQueue<(CamJobItem Item, CamSelection Selection)> _queue = new();

    /// <summary>A folder for one figure per map.</summary>
    [Parameter]
    public string? PlotPath { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>A piped New-CamHeatmap result's held map (CamHeatmap.MapTensor), used when it is the very map asked for.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    public IHeldMap? MapTensor { get; set; }

    private protected abstract string Activity { get; }

    /// <summary>One entry per map: the record to write, or the error of that map alone.</summary>
    private protected abstract IEnumerable<ItemResult<CamJudgement>> Judge(LayeredModel model, ClassLabels labels,
        IReadOnlyList<CamJobItem> items, TrustJobOptions options);

    private protected override int ProgressId => 3;

    /// <summary>An input as this command needs it (with what the record says of it beyond the map).</summary>
    private protected virtual CamJobItem Itemise(CamJobItem item) => item;

    /// <summary>What is written for a record (a view of it that shows what was asked).</summary>
    private protected virtual object Present(CamJudgement record) => record;

    protected override void ProcessRecord()
    {
        var request = CurrentWeightsRequest();
        var classes = ResolveClasses();
        var selection = CurrentSelection();
        foreach (var file in InputFiles())
        {
            var item = Itemise(new CamJobItem(file, classes, Top) { Map = MapTensor, Boxes = PipedBoxes() });
            foreach (var ready in _queue.Add((Key(request), selection), request, (item, selection), BatchSize)) Flush(ready);
        }
    }

    protected override void EndProcessing()
    {
        if (_queue.Drain() is { } rest) Flush(rest);
        WriteProgress(new ProgressRecord(ProgressId, Activity, "Done") { RecordType = ProgressRecordType.Completed });
    }

    private void Flush(BatchQueue<(CamJobItem Item, CamSelection Selection)>.Batch batch)
    {
        var model = LoadModel(batch.Request);
        var labels = LoadLabels(model);
        DetectionFor(model);
        var selection = batch.Items[0].Selection;
        string? plots = PlotPath is null ? null : GetUnresolvedProviderPathFromPSPath(PlotPath);
        if (plots is not null && !ShouldProcess(plots, $"Write {Activity} figures")) plots = null;
        var options = new TrustJobOptions
        {
            Methods = selection.Methods,
            Layers = selection.Layers,
            Preprocess = PreprocessFor(model),
            Cam = CamOptionsFor(selection, PreprocessFor(model)),
            Target = selection.Target,
            PlotFolder = plots,
            Force = Force,
            ClassName = i => labels[i].Name,
        };
        foreach (var result in RunEngine(() => Judge(model, labels, batch.Items.Select(i => i.Item).ToList(), options).ToList()))
        {
            if (result.Error is not null) WriteError(ToErrorRecord(result.Error));
            else WriteObject(Present(result.Value!));
        }
    }
}
