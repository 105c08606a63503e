using System.Management.Automation;
using HeatmapTools.Engine.Patches;
using HeatmapTools.Engine.Prediction;

namespace HeatmapTools.Commands;

/// <summary>What New-PatientPatchGrid takes from the pipeline: patch files and folders, maps, predictions and table rows.</summary>
public sealed partial class NewPatientPatchGridCommand
{
    /// <summary>The positive class the prediction's model folder names in its settings file (ModelSidecar), if any.</summary>
    private PositiveClass? SidecarPositiveClass(ClassPrediction prediction) => RunEngine(() =>
        Engine.Models.ModelSidecar.For(Engine.Onnx.OnnxModels.IsOnnxPath(prediction.Model) ? prediction.Model : prediction.WeightsFile)?.PositiveClass);

    protected override void ProcessRecord()
    {
        foreach (var path in ResolveFiles(Path, literal: false, folders: true).Concat(ResolveFiles(LiteralPath, literal: true, folders: true))) _intake.AddPath(path);
        Path = null;
        LiteralPath = null;
        switch (InputObject?.BaseObject)
        {
            case null:
                break;
            case FileInfo file:
                // Get-ChildItem output already says it is a file: asking the disk again costs more than binding it.
                _intake.AddFile(file.FullName);
                break;
            case DirectoryInfo folder:
                _intake.AddPath(folder.FullName);
                break;
            case CamHeatmap heat:
                // A patch's map: painted at the patch's place in the patient's "cam" image (one that cannot be had fails alone).
                if (heat.TryGetMap(out var grid, out var unavailable)) _intake.AddCamMap(heat.SourcePath, CamHeatmap.Flatten(grid), grid.GetLength(1), grid.GetLength(0), PatchSize, heat.MapMin, heat.MapMax);
                else WriteError(ToErrorRecord(unavailable!));
                break;
            case ClassPrediction prediction:
                // A classified patch: the heatmap shows the classifier's probability of the positive class.
                var classes = prediction.ClassNames.Length == prediction.Logits.Length ? prediction.ClassNames
                    : Enumerable.Range(0, prediction.Logits.Length).Select(i => $"class_{i}").ToArray();
                _intake.AddPrediction(prediction.Path, RunEngine(() => ClassProbabilities.FromLogits(prediction.Logits, classes,
                    Enum.TryParse<HeadActivation>(prediction.HeadUsed, out var head) ? head : HeadActivation.Auto, item: prediction.Path)
                    .Positive(Positive.Or(SidecarPositiveClass(prediction)), prediction.Path)));
                break;
            case string text:
                // Only wildcard patterns are expanded: globbing costs far more than taking a file name as it is.
                foreach (var path in ResolveFiles(new[] { text }, literal: false, folders: true)) _intake.AddPath(path);
                break;
            default:
                // A table row (Import-Csv), a prediction's row, or a map result from another process: the engine tells them apart.
                string? Get(string name) => PipedProperties.Text(InputObject!, name);
                string here = SessionState.Path.CurrentFileSystemLocation.ProviderPath;
                // A map result from another process is a map again (its carried values, or made again from the patch) before the patch run sees it.
                if (Get(ColumnNames().PatientId) is null && RunEngine(() => PipedProperties.Recipe(InputObject!)) is { } recipe)
                {
                    AddRecipe(recipe, CarriedMap(InputObject!), here);
                    break;
                }
                var record = new ObjectRecord(Get, () => CarriedMap(InputObject!), here);
                // Written now, while rows stream in; the patient's object counts it later.
                if (RunEngine(() => _intake.AddObject(record, ColumnNames(), ParsedCulture, Positive)) is { } problem)
                    WriteError(new ErrorRecord(new InvalidDataException(problem.Message), problem.ErrorId, ErrorCategory.InvalidData, InputObject));
                break;
        }
    }

    /// <summary>A map result's map at its patch; one that cannot be had (its image unreadable, its model missing) is that patch's error alone.</summary>
    private void AddRecipe(Engine.Cam.CamRecipe recipe, float[]? carried, string here)
    {
        var failure = RunEngine(() =>
        {
            try
            {
                var (map, width, height, rawMin, rawMax) = recipe.Compute(carried, Cancellation);
                _intake.AddCamMap(System.IO.Path.GetFullPath(recipe.SourcePath, here), map, width, height, PatchSize, rawMin, rawMax);
                return null;
            }
            catch (HeatmapToolsException ex)
            {
                return ex;
            }
        });
        if (failure is not null) WriteError(ToErrorRecord(failure));
    }
}
