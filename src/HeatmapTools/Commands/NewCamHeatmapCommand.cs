using System.Diagnostics;
using System.Management.Automation;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Rendering;

namespace HeatmapTools.Commands;

public enum RawMapFormat { None, Npy, Png16, Csv }

/// <summary>Computes class activation maps and writes them as heatmap overlays on the original images.</summary>
[Cmdlet(VerbsCommon.New, "CamHeatmap", SupportsShouldProcess = true)]
[OutputType(typeof(CamHeatmap))]
public sealed class NewCamHeatmapCommand : ModelCommandBase
{
    private readonly BatchQueue<CamJobItem> _queue = new();
    private readonly Stopwatch _clock = new();
    private int _done;
    private readonly OutputRegistry _outputs = new();

    /// <summary>Method names as pytorch-grad-cam's classes are named; the engine's registry of methods is the list (completion offers it).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(CamMethodCompleter))]
    public string[] Method { get; set; } = { "GradCAM" };

    private IReadOnlyList<CamMethod> _methods = Array.Empty<CamMethod>();

    [Parameter]
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

    [Parameter]
    public string? OutputPath { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(ColormapCompleter))]
    public string Colormap { get; set; } = "Jet";

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double Alpha { get; set; } = 0.4;

    [Parameter]
    public RawMapFormat MapFormat { get; set; } = RawMapFormat.None;

    [Parameter]
    public SwitchParameter NoOverlay { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        RunEngine(() => Colormaps.Canonical(Colormap));
        _methods = RunEngine(() => Method.Select(CamMethods.Get).Distinct().ToList());
        _clock.Start();
    }

    protected override void ProcessRecord()
    {
        var request = CurrentWeightsRequest();
        var classes = ResolveClasses();
        foreach (var file in InputFiles())
        {
            // -NoOverlay without -MapFormat only hands the maps to the pipeline: nothing is written, so nothing to confirm.
            if (WritesFiles && !ShouldProcess(file, $"Write {string.Join(", ", _methods)} heatmap(s)")) continue;
            foreach (var ready in _queue.Add(Key(request), request, new CamJobItem(file, classes, Top), BatchSize)) Flush(ready);
        }
    }

    protected override void EndProcessing()
    {
        if (_queue.Drain() is { } rest) Flush(rest);
        WriteProgress(new ProgressRecord(2, "New-CamHeatmap", "Done") { RecordType = ProgressRecordType.Completed });
    }

    private bool WritesFiles => !NoOverlay || MapFormat != RawMapFormat.None;

    private IReadOnlyList<int>? ResolveClasses()
    {
        var classes = new List<int>();
        if (ClassIndex is { Length: > 0 }) classes.AddRange(ClassIndex);
        if (ClassName is { Length: > 0 })
        {
            var labels = LoadLabels(NumClasses);
            classes.AddRange(ClassName.Select(n => RunEngine(() => labels.Find(n))));
        }
        return classes.Count > 0 ? classes.Distinct().ToList() : null;
    }

    private void Flush(BatchQueue<CamJobItem>.Batch batch)
    {
        var model = LoadModel(batch.Request);
        var labels = LoadLabels(model.NumClasses);
        var options = new CamJobOptions
        {
            Methods = _methods,
            Layers = Layer ?? Array.Empty<string>(),
            Preprocess = PreprocessFor(model),
            Colormap = Colormap,
            Alpha = Alpha,
            NoOverlay = NoOverlay,
            MapFormat = EnumMirror.To<MapFormat>(MapFormat),
            OutputPath = OutputPath is null ? null : GetUnresolvedProviderPathFromPSPath(OutputPath),
            Force = Force,
            Outputs = _outputs,
            // Score-CAM takes seconds per image: show how far into the batch it is, not only whole batches.
            Cam = new CamOptions
            {
                ScoreProgress = share => WriteProgress(new ProgressRecord(2, "New-CamHeatmap",
                    $"{_done} image(s) done; Score-CAM on the next {batch.Items.Count}: {share:P0}")),
            },
        };
        var results = RunEngine(() => CamJob.Run(model, labels, batch.Items, options, Cancellation));
        foreach (var result in results)
        {
            if (result.Error is not null)
            {
                WriteError(ToErrorRecord(result.Error));
                continue;
            }
            var r = result.Value!;
            WriteObject(new CamHeatmap
            {
                SourcePath = r.SourcePath,
                OutputPath = r.OutputPath,
                MapPath = r.MapPath,
                Method = r.Method.Name,
                Layer = r.Layer,
                Model = model.Name,
                WeightsFile = model.WeightsFile,
                ClassIndex = r.ClassIndex,
                Label = r.Label,
                Score = r.Score,
                Map = CamHeatmap.ToGrid(r.Map, r.MapWidth, r.MapHeight),
            });
        }
        _done += batch.Items.Count;
        double rate = _done / Math.Max(_clock.Elapsed.TotalSeconds, 1e-6);
        WriteProgress(new ProgressRecord(2, "New-CamHeatmap", $"{_done} image(s) done ({rate:F1}/s) with {model.Name}"));
    }
}
