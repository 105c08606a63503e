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
    public object? MapTensor { get; set; }

    private protected abstract string Activity { get; }

    // Not generic over the engine's result types: PowerShell reflects over cmdlet base types before the module's load
    // context can supply the engine.
    /// <summary>One entry per map: the error, or the record to write.</summary>
    private protected abstract IEnumerable<(Engine.HeatmapToolsException? Error, object? Record)> Judge(LayeredModel model, ClassLabels labels,
        IReadOnlyList<CamJobItem> items, TrustJobOptions options, IProgress<double> progress);

    protected override void ProcessRecord()
    {
        var request = CurrentWeightsRequest();
        var classes = ResolveClasses();
        var selection = CurrentSelection();
        foreach (var file in InputFiles())
        {
            var item = new CamJobItem(file, classes, Top) { Map = (MapTensor as PSObject)?.BaseObject as Engine.Held.HeldMap ?? MapTensor as Engine.Held.HeldMap };
            foreach (var ready in _queue.Add(Key(request) + selection.Key, request, (item, selection), BatchSize)) Flush(ready);
        }
    }

    protected override void EndProcessing()
    {
        if (_queue.Drain() is { } rest) Flush(rest);
        WriteProgress(new ProgressRecord(3, Activity, "Done") { RecordType = ProgressRecordType.Completed });
    }

    private void Flush(BatchQueue<(CamJobItem Item, CamSelection Selection)>.Batch batch)
    {
        var model = LoadModel(batch.Request);
        var labels = LoadLabels(model);
        var selection = batch.Items[0].Selection;
        string? plots = PlotPath is null ? null : GetUnresolvedProviderPathFromPSPath(PlotPath);
        if (plots is not null && !ShouldProcess(plots, $"Write {Activity} figures")) plots = null;
        var options = new TrustJobOptions
        {
            Methods = selection.Methods,
            Layers = selection.Layers,
            Preprocess = PreprocessFor(model),
            Cam = CamOptionsFor(selection),
            PlotFolder = plots,
            Force = Force,
            ClassName = i => labels[i].Name,
            MapsTaken = (method, taken, all) => WriteVerbose($"{method.Name}: {taken} of {all} map(s) taken from the piped results, {all - taken} computed."),
        };
        // The engine reports on this thread, so progress can be written as it comes.
        var progress = new Reporter(share => WriteProgress(new ProgressRecord(3, Activity, $"{batch.Items.Count} image(s) with {model.Name}")
            { PercentComplete = (int)Math.Clamp(share * 100, 0, 100) }));
        foreach (var (error, record) in RunEngine(() => Judge(model, labels, batch.Items.Select(i => i.Item).ToList(), options, progress).ToList()))
        {
            if (error is not null) WriteError(ToErrorRecord(error));
            else WriteObject(record);
        }
    }

    private sealed class Reporter(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
