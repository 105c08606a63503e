using System.Diagnostics;
using System.Management.Automation;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Cam.Output;
using HeatmapTools.Engine.Held;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Rendering;
using HeatmapTools.Engine.Rendering.MapFormats;

namespace HeatmapTools.Commands;

/// <summary>Computes class activation maps and writes them as heatmap overlays on the original images.</summary>
[Cmdlet(VerbsCommon.New, "CamHeatmap", SupportsShouldProcess = true)]
[OutputType(typeof(CamHeatmap))]
public class NewCamHeatmapCommand : CamCommandBase
{
    private readonly BatchQueue<(CamJobItem Item, CamSelection Selection)> _queue = new();
    private readonly Stopwatch _clock = new();
    private int _done;
    private readonly OutputRegistry _outputs = new();
    // Names that keep the inputs' tree need the folder all of them lie below: such runs start once the input has ended.
    private List<(object Key, WeightsRequest Request, (CamJobItem, CamSelection) Item)>? _deferred;
    private string? _root;

    [Parameter]
    public string? OutputPath { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(ColormapCompleter))]
    public string Colormap { get; set; } = Engine.Rendering.OverlayDefaults.Colormap;

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double Alpha { get; set; } = Engine.Rendering.OverlayDefaults.MapAlpha;

    [Parameter]
    [ArgumentCompleter(typeof(MapFormatCompleter))]
    public string MapFormat { get; set; } = RawMapFormat.NoneName;

    private RawMapFormat? _mapFormat;

    [Parameter]
    public SwitchParameter NoOverlay { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter IncludeOwnOutput { get; set; }

    [Parameter]
    public SwitchParameter SkipExisting { get; set; }

    /// <summary>
    /// A JSON Lines file this run appends its account to (each input done, skipped as finished, or failed with its ErrorId),
    /// for gathering a scheduler array's tasks (Get-HeatmapRunRecord).
    /// </summary>
    [Parameter]
    public string? RecordPath { get; set; }

    private Engine.Scaling.TaskRecord? _record;

    [Parameter]
    public SwitchParameter Update { get; set; }

    /// <summary>A piped prediction's prepared image (ClassPrediction.PreparedInput): used instead of decoding the file again.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    public IHeldInput? PreparedInput { get; set; }

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        RunEngine(() => Colormaps.Canonical(Colormap));
        _mapFormat = RunEngine(() => RawMapFormat.Parse(MapFormat));
        _record = OpenRecord(RecordPath, ShardOf(Shard, ShardCount));
        if (_record is { } record) Listener.Skipped = (source, output) => record.Item(source, Engine.Scaling.TaskRecord.Skipped, new[] { output });
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
            var item = new CamJobItem(file, classes, Top, PreparedInput) { Boxes = PipedBoxes() };
            if (WritesFiles && OutputNaming.NeedsRoot(ResolvedOutputPath)) (_deferred ??= new()).Add(((Key(request), selection), request, (item, selection)));
            else foreach (var ready in _queue.Add((Key(request), selection), request, (item, selection), BatchSize)) Flush(ready);
        }
    }

    protected override void EndProcessing()
    {
        _root = OutputNaming.CommonRoot(_deferred?.Select(d => d.Item.Item1.Path) ?? Enumerable.Empty<string>());
        if (_deferred?.Select(d => System.IO.Path.GetDirectoryName(d.Item.Item1.Path)).Distinct().Count() > 1)
            WriteVerbose($"The inputs come from several folders below '{_root}': their outputs keep that tree below '{OutputPath}'.");
        foreach (var (key, request, item) in _deferred ?? new()) foreach (var ready in _queue.Add(key, request, item, BatchSize)) Flush(ready);
        if (_queue.Drain() is { } rest) Flush(rest);
        WriteProgress(new ProgressRecord(ProgressId, MyInvocation.MyCommand.Name, "Done") { RecordType = ProgressRecordType.Completed });
        _record?.Complete();
        _record?.Dispose();
        if (SkipExisting || Update)
            WriteInformation($"{MyInvocation.MyCommand.Name}: {_done} image(s) taken, {Listener.SkippedCount} finished output(s) skipped (listed with -Verbose).", new[] { "HeatmapTools", "Summary" });
    }

    private protected override int ProgressId => 2;

    private string? ResolvedOutputPath => OutputPath is null ? null : GetUnresolvedProviderPathFromPSPath(OutputPath);

    private bool WritesFiles => !NoOverlay || _mapFormat is not null;

    private void Flush(BatchQueue<(CamJobItem Item, CamSelection Selection)>.Batch batch)
    {
        var model = LoadModel(batch.Request);
        var selection = batch.Items[0].Selection;
        var labels = LoadLabels(model);
        DetectionFor(model);
        var options = new CamJobOptions
        {
            Methods = selection.Methods,
            Layers = selection.Layers,
            Preprocess = PreprocessFor(model),
            Colormap = Colormap,
            Alpha = Alpha,
            NoOverlay = NoOverlay,
            MapFormat = _mapFormat,
            OutputPath = ResolvedOutputPath,
            OutputRoot = _root,
            Force = Force,
            SkipExisting = SkipExisting,
            Update = Update,
            IncludeOwnOutputs = IncludeOwnOutput,
            HoldFor = batch.Request,
            Cam = CamOptionsFor(selection, PreprocessFor(model)),
            Target = selection.Target,
        };
        var started = _clock.Elapsed;
        var results = RunEngine(() => CamJob.Run(model, labels, batch.Items.Select(i => i.Item).ToList(), options, Listener, Cancellation, _outputs));
        WriteVerbose($"Batch of {batch.Items.Count} image(s): {string.Join(", ", selection.Methods)} at {RunEngine(() => selection.Layers.Resolve(model).Description)}, " +
            $"{(_clock.Elapsed - started).TotalSeconds:F2} s.");
        foreach (var result in results)
        {
            if (result.Error is not null)
            {
                _record?.Item(result.Path, Engine.Scaling.TaskRecord.Failed, Array.Empty<string>(), errorId: result.Error.ErrorId, message: result.Error.Message);
                WriteError(ToErrorRecord(result.Error));
                continue;
            }
            var written = CamHeatmap.From(result.Value!, model, batch.Request, LabelsAsGiven, options.Cam, options.Target, GivenPreprocessing(), labels);
            _record?.Item(written.SourcePath, Engine.Scaling.TaskRecord.Done, new[] { written.OutputPath, written.MapPath }.OfType<string>(),
                new Dictionary<string, string>
                {
                    ["Method"] = written.Method, ["Layer"] = written.Layer, ["ClassIndex"] = written.ClassIndex.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["Label"] = written.Label, ["Score"] = written.Score.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                });
            WriteObject(written);
            // On disk before anything else can happen to the task (a test's pause, a scancel).
            _record?.Flush();
            ResultWritten();
        }
        _record?.Flush();
        _done += batch.Items.Count;
        double rate = _done / Math.Max(_clock.Elapsed.TotalSeconds, 1e-6);
        Listener.Progress($"{_done} image(s) done ({rate:F1}/s) with {model.Name}");
    }
}
