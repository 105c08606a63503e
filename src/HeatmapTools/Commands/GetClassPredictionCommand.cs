using System.Management.Automation;
using HeatmapTools.Engine.Held;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;

namespace HeatmapTools.Commands;

/// <summary>Classifies images with a pretrained (or custom, or random) CNN and ranks the classes.</summary>
[Cmdlet(VerbsCommon.Get, "ClassPrediction")]
[OutputType(typeof(ClassPrediction))]
public sealed class GetClassPredictionCommand : ModelCommandBase
{
    private readonly BatchQueue<string> _queue = new();
    private int _done;

    [Parameter]
    [ValidateRange(1, 1000)]
    public int Top { get; set; } = 3;

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
        var labels = LoadLabels(model);
        var results = RunEngine(() => Predictor.PredictBatch(model, labels, batch.Items, PreprocessFor(model), Top, Cancellation, HeldMemory.Shared, HeadFor(model)));
        foreach (var result in results)
        {
            if (result.Error is not null)
            {
                WriteError(ToErrorRecord(result.Error));
                continue;
            }
            WriteObject(ToOutput(result.Value!, batch.Request, model));
        }
        _done += batch.Items.Count;
        WriteProgress(new ProgressRecord(1, "Get-ClassPrediction", $"{_done} image(s) classified with {model.Name}"));
    }

    private ClassPrediction ToOutput(ImagePrediction p, WeightsRequest request, LayeredModel model)
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
            InputSize = InputSize,
            Mean = Mean,
            Std = Std,
            Normalization = Normalization,
            InputChannels = InputChannels,
            Resize = Resize,
            HeadActivation = HeadActivation,
            HeadUsed = ClassProbabilities.Resolve(HeadFor(model), model.NumClasses, model.Info.OutputIsProbability).ToString(),
            Labels = LabelsAsGiven,
            Width = p.Width,
            Height = p.Height,
            Logits = p.Logits,
            ClassProbabilities = p.Probabilities.ToText(),
            // The batch's one array of names, shared (not copied) by its predictions.
            ClassNames = p.Probabilities.Labels as string[] ?? p.Probabilities.Labels.ToArray(),
            PreparedInput = p.Input,
        };
    }
}
