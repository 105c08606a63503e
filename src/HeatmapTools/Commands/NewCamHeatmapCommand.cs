using System.Diagnostics;
using System.Management.Automation;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Held;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Rendering;

namespace HeatmapTools.Commands;

public enum RawMapFormat { None, Npy, Png16, Csv }

/// <summary>Computes class activation maps and writes them as heatmap overlays on the original images.</summary>
[Cmdlet(VerbsCommon.New, "CamHeatmap", SupportsShouldProcess = true)]
[OutputType(typeof(CamHeatmap))]
public sealed class NewCamHeatmapCommand : CamCommandBase
{
    private readonly BatchQueue<(CamJobItem Item, CamSelection Selection)> _queue = new();
    private readonly Stopwatch _clock = new();
    private int _done;
    private readonly OutputRegistry _outputs = new();
    // Names that keep the inputs' tree need the folder all of them lie below: such runs start once the input has ended.
    private List<(string Key, WeightsRequest Request, (CamJobItem, CamSelection) Item)>? _deferred;
    private string? _root;

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

    [Parameter]
    public SwitchParameter IncludeOwnOutput { get; set; }

    [Parameter]
    public SwitchParameter SkipExisting { get; set; }

    [Parameter]
    public SwitchParameter Update { get; set; }

    private readonly System.Collections.Concurrent.ConcurrentQueue<(string Source, string Output)> _skipped = new();
    private int _skippedCount;

    /// <summary>A piped prediction's prepared image (ClassPrediction.PreparedInput): used instead of decoding the file again.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    public object? PreparedInput { get; set; }

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        RunEngine(() => Colormaps.Canonical(Colormap));
        _clock.Start();
    }

    protected override void ProcessRecord()
    {
        var request = CurrentWeightsRequest();
        var classes = ResolveClasses();
        var selection = CurrentSelection();
        foreach (var file in InputFiles())
        {
            // -NoOverlay without -MapFormat only hands the maps to the pipeline: nothing is written, so nothing to confirm.
            if (WritesFiles && !ShouldProcess(file, $"Write {string.Join(", ", selection.Methods)} heatmap(s)")) continue;
            var item = new CamJobItem(file, classes, Top, (PreparedInput as PSObject)?.BaseObject as HeldInput ?? PreparedInput as HeldInput);
            if (WritesFiles && OutputNaming.NeedsRoot(ResolvedOutputPath)) (_deferred ??= new()).Add((Key(request) + selection.Key, request, (item, selection)));
            else foreach (var ready in _queue.Add(Key(request) + selection.Key, request, (item, selection), BatchSize)) Flush(ready);
        }
    }

    protected override void EndProcessing()
    {
        _root = OutputNaming.CommonRoot(_deferred?.Select(d => d.Item.Item1.Path) ?? Enumerable.Empty<string>());
        if (_deferred?.Select(d => System.IO.Path.GetDirectoryName(d.Item.Item1.Path)).Distinct().Count() > 1)
            WriteVerbose($"The inputs come from several folders below '{_root}': their outputs keep that tree below '{OutputPath}'.");
        foreach (var (key, request, item) in _deferred ?? new()) foreach (var ready in _queue.Add(key, request, item, BatchSize)) Flush(ready);
        if (_queue.Drain() is { } rest) Flush(rest);
        WriteProgress(new ProgressRecord(2, "New-CamHeatmap", "Done") { RecordType = ProgressRecordType.Completed });
        if (SkipExisting || Update)
            WriteInformation($"New-CamHeatmap: {_done} image(s) taken, {_skippedCount} finished output(s) skipped (listed with -Verbose).", new[] { "HeatmapTools", "Summary" });
    }

    private string? ResolvedOutputPath => OutputPath is null ? null : GetUnresolvedProviderPathFromPSPath(OutputPath);

    private bool WritesFiles => !NoOverlay || MapFormat != RawMapFormat.None;

    private void Flush(BatchQueue<(CamJobItem Item, CamSelection Selection)>.Batch batch)
    {
        var model = LoadModel(batch.Request);
        var selection = batch.Items[0].Selection;
        var labels = LoadLabels(model);
        var options = new CamJobOptions
        {
            Methods = selection.Methods,
            Layers = selection.Layers,
            Preprocess = PreprocessFor(model),
            Colormap = Colormap,
            Alpha = Alpha,
            NoOverlay = NoOverlay,
            MapFormat = EnumMirror.To<MapFormat>(MapFormat),
            OutputPath = ResolvedOutputPath,
            OutputRoot = _root,
            Force = Force,
            SkipExisting = SkipExisting,
            Update = Update,
            Skipped = (source, output) => _skipped.Enqueue((source, output)),
            Outputs = _outputs,
            IncludeOwnOutputs = IncludeOwnOutput,
            OwnOutputSkipped = (path, note) => WriteVerbose($"Skipped '{path}': HeatmapTools wrote it ({note}). -IncludeOwnOutput explains it anyway."),
            // Score-CAM takes seconds per image: show how far into the batch it is, not only whole batches.
            Cam = CamOptionsFor(selection, share => WriteProgress(new ProgressRecord(2, "New-CamHeatmap",
                $"{_done} image(s) done; Score-CAM on the next {batch.Items.Count}: {share:P0}") { PercentComplete = (int)Math.Clamp(share * 100, 0, 100) })),
        };
        var started = _clock.Elapsed;
        var results = RunEngine(() => CamJob.Run(model, labels, batch.Items.Select(i => i.Item).ToList(), options, Cancellation));
        WriteVerbose($"Batch of {batch.Items.Count} image(s): {string.Join(", ", selection.Methods)} at {(selection.Layers.Count == 0 ? model.Info.DefaultLayer : string.Join(", ", selection.Layers))}, " +
            $"{(_clock.Elapsed - started).TotalSeconds:F2} s.");
        // What a result needs to make its map again, and no more: not this run's name registry, nor this cmdlet.
        for (; _skipped.TryDequeue(out var passed); _skippedCount++)
            WriteVerbose($"Skipped '{passed.Output}' (of '{passed.Source}'): finished{(Update ? " and newer than its source" : "")}.");
        var request = batch.Request;
        var again = options with { Outputs = null, OwnOutputSkipped = null, Skipped = null, Cam = options.Cam with { ScoreProgress = null } };
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
                // An ONNX model by its path, so a later command finds it from anywhere.
                Model = model.Info.SourceFile ?? model.Name,
                WeightsFile = model.WeightsFile,
                WeightsPath = batch.Request.WeightsPath,
                Weights = batch.Request.Random ? WeightsSource.Random : WeightsSource.Pretrained,
                Seed = batch.Request.Seed,
                NumClasses = model.NumClasses,
                Labels = LabelsAsGiven,
                ClassIndex = r.ClassIndex,
                Label = r.Label,
                Score = r.Score,
                MapMin = r.RawMin,
                MapMax = r.RawMax,
                Held = HeldMap.Of(r.Map, r.MapWidth, r.MapHeight, HeldMemory.Shared,
                    () => CamJob.Recompute(request, labels, r.SourcePath, r.ClassIndex, r.Method, again),
                    MapKey.Of(model, options.Preprocess, r.Method, r.Layer, r.ClassIndex, options.Cam), r.Score, r.SourcePath),
                AugSmooth = selection.AugSmooth,
                EigenSmooth = selection.EigenSmooth,
            });
            ResultWritten();
        }
        _done += batch.Items.Count;
        double rate = _done / Math.Max(_clock.Elapsed.TotalSeconds, 1e-6);
        WriteProgress(new ProgressRecord(2, "New-CamHeatmap", $"{_done} image(s) done ({rate:F1}/s) with {model.Name}"));
    }
}
