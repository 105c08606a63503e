using System.Management.Automation;
using HeatmapTools.Engine.Held;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;
using HeatmapTools.Engine.Rendering;

namespace HeatmapTools.Commands;

/// <summary>Classifies images with a pretrained (or custom, or random) CNN and ranks the classes.</summary>
[Cmdlet(VerbsCommon.Get, "ClassPrediction")]
[OutputType(typeof(ClassPrediction))]
public sealed class GetClassPredictionCommand : ModelCommandBase
{
    private readonly BatchQueue<string> _queue = new();
    private readonly HashSet<string> _segmentsWritten = new(StringComparer.Ordinal);
    private readonly HashSet<string> _boxesWritten = new(StringComparer.Ordinal);
    private int _done;

    [Parameter]
    [ValidateRange(1, 1000)]
    public int Top { get; set; } = 3;

    /// <summary>A folder to write each image's predicted segmentation into (a segmentation model only): &lt;name&gt;_segments.png.</summary>
    [Parameter]
    public string? SegmentsPath { get; set; }

    /// <summary>A folder to write each photo with a detector's boxes drawn into: &lt;name&gt;_boxes.png.</summary>
    [Parameter]
    public string? BoxesPath { get; set; }

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double Alpha { get; set; } = Engine.Rendering.OverlayDefaults.RegionAlpha;

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var request = CurrentWeightsRequest();
        foreach (var file in InputFiles())
        {
            foreach (var ready in _queue.Add(Key(request), request, file, BatchSize)) Flush(ready);
        }
    }

    protected override void EndProcessing()
    {
        if (_queue.Drain() is { } rest) Flush(rest);
        WriteProgress(new ProgressRecord(1, "Get-ClassPrediction", "Done") { RecordType = ProgressRecordType.Completed });
    }

    private void Flush(BatchQueue<string>.Batch batch)
    {
        var model = LoadModel(batch.Request);
        if (SegmentsPath is not null && !model.Info.IsSegmentation)
            ThrowTerminatingError(ToErrorRecord(new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"-SegmentsPath draws a segmentation model's categories; {model.Name} is a classifier.", SegmentsPath)));
        // The resolved preprocessing, so a model's settings file asking for another resize is caught too.
        if (SegmentsPath is not null && PreprocessFor(model) is { Native: false, Mode: not ResizeMode.Stretch } moved)
            ThrowTerminatingError(ToErrorRecord(new HeatmapToolsException(ErrorIds.PreprocessInvalid, ErrorKind.InvalidArgument,
                $"-SegmentsPath lays the categories over the photo as the network saw it stretched; -Resize {moved.Mode} moves them. Use -Resize Stretch.", SegmentsPath)));
        if (BoxesPath is not null && !model.Info.IsDetection)
            ThrowTerminatingError(ToErrorRecord(new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"-BoxesPath draws a detector's boxes; {model.Name} is not a detector.", BoxesPath)));
        var detection = DetectionFor(model);
        var labels = LoadLabels(model);
        var results = RunEngine(() => Predictor.PredictBatch(model, labels, batch.Items, PreprocessFor(model), Top, Cancellation, HeldMemory.Shared, HeadFor(model), detection));
        foreach (var result in results)
        {
            if (result.Error is not null)
            {
                WriteError(ToErrorRecord(result.Error));
                continue;
            }
            string? segments = null;
            if (SegmentsPath is not null && result.Value!.Segments is { } shares)
            {
                try
                {
                    segments = SegmentationOverlay.WriteInto(GetUnresolvedProviderPathFromPSPath(SegmentsPath), result.Path, shares, labels, Alpha, Force,
                        batch.Items.ToHashSet(), _segmentsWritten);
                }
                catch (HeatmapToolsException ex)
                {
                    WriteError(ToErrorRecord(ex));
                }
            }
            string? boxes = null;
            if (BoxesPath is not null && result.Value!.Detections is { } found)
            {
                try
                {
                    boxes = BoxDrawing.WriteInto(GetUnresolvedProviderPathFromPSPath(BoxesPath), result.Path, found, Force, batch.Items.ToHashSet(), _boxesWritten);
                }
                catch (HeatmapToolsException ex)
                {
                    WriteError(ToErrorRecord(ex));
                }
            }
            WriteObject(ToOutput(result.Value!, batch.Request, model, labels, segments, boxes));
        }
        _done += batch.Items.Count;
        WriteProgress(new ProgressRecord(1, "Get-ClassPrediction", $"{_done} image(s) classified with {model.Name}"));
    }

    private ClassPrediction ToOutput(ImagePrediction p, WeightsRequest request, LayeredModel model, ClassLabels labels, string? segmentsFile, string? boxesFile)
    {
        var ranked = p.Top.Select(t => new RankedClass
        {
            Rank = t.Rank, ClassIndex = t.ClassIndex, WordNetId = t.WordNetId, Label = t.Label, Probability = t.Probability, Logit = t.Logit,
        }).ToArray();
        return new ClassPrediction
        {
            Path = p.Path,
            // An ONNX model by its path: the next command finds it from there.
            Model = Engine.Onnx.OnnxModels.IsOnnxPath(request.Model) ? request.Model : p.Model,
            ClassIndex = ranked[0].ClassIndex,
            WordNetId = ranked[0].WordNetId,
            Label = ranked[0].Label,
            Probability = ranked[0].Probability,
            Predictions = ranked,
            WeightsPath = request.WeightsPath,
            WeightsFile = model.WeightsFile,
            Weights = request.Random ? WeightsSource.Random : WeightsSource.Pretrained,
            Seed = request.Seed,
            NumClasses = model.NumClasses,
            InputSize = InputSizeText,
            Mean = Mean,
            Std = Std,
            Normalization = Normalization,
            InputChannels = InputChannels,
            Resize = Resize,
            StainNormalization = StainNormalization,
            StainTarget = StainTarget is null ? null : GetUnresolvedProviderPathFromPSPath(StainTarget),
            StainMatrix = StainMatrix,
            HeadActivation = HeadActivation,
            HeadUsed = ClassProbabilities.Resolve(HeadFor(model), model.NumClasses, model.Info.OutputIsProbability).ToString(),
            Labels = LabelsAsGiven,
            Width = p.Width,
            Height = p.Height,
            Logits = p.Logits,
            ClassProbabilities = p.Probabilities.ToText() is { } json ? new ClassProbabilityList(p.Probabilities.Labels, p.Probabilities.Values, json) : null,
            // The batch's one array of names, shared (not copied) by its predictions.
            ClassNames = p.Probabilities.Labels as string[] ?? p.Probabilities.Labels.ToArray(),
            PreparedInput = p.Input,
            PixelShares = p.Segments is { } s ? string.Join("; ", Enumerable.Range(0, s.Shares.Length).Where(c => s.Shares[c] > 0).OrderByDescending(c => s.Shares[c])
                .Select(c => $"{labels[c].Name}={s.Shares[c].ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)}")) : null,
            SegmentsFile = segmentsFile,
            BoxesFile = boxesFile,
            Detections = p.Detections?.Select(d => new DetectionRecord { ClassIndex = d.ClassIndex, Label = d.Label, Score = d.Score, Box = BoxRecord.From(d.Box) }).ToArray(),
        };
    }
}
