using System.Management.Automation;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;
using HeatmapTools.Engine.Trust;

namespace HeatmapTools.Commands;

/// <summary>Adebayo et al.'s cascading model-parameter randomisation check, for any method and model.</summary>
[Cmdlet(VerbsDiagnostic.Test, "CamSanity", SupportsShouldProcess = true)]
[OutputType(typeof(CamSanity))]
public sealed class TestCamSanityCommand : TrustCommandBase
{
    [Parameter]
    public int CascadeSeed { get; set; }

    [Parameter]
    [ValidateRange(1, 10000)]
    public int? MaxSteps { get; set; }

    [Parameter]
    [ValidateRange(-1.0, 1.0)]
    public double Threshold { get; set; } = 0.5;

    private protected override string Activity => "Test-CamSanity";

    private protected override IEnumerable<ItemResult<CamJudgement>> Judge(LayeredModel model, ClassLabels labels,
        IReadOnlyList<CamJobItem> items, TrustJobOptions options) =>
        TrustJob.Sanity(model, items, options, new SanityOptions { Seed = CascadeSeed, MaxSteps = MaxSteps, Threshold = Threshold }, Listener, Cancellation)
            .Select(r =>
            {
                if (r.Value?.Result is { Passed: null } undefined)
                    WriteWarning($"'{r.Value.SourcePath}', {undefined.Method}, class {undefined.ClassIndex}: the {(IsConstant(undefined.OriginalMap) ? "original" : "final randomised")} map is constant, " +
                        "so its rank correlation is undefined: the check neither passes nor fails (Verdict Undefined)." +
                        (undefined.Steps.LastOrDefault(s => !double.IsNaN(s.Spearman)) is { } last
                            ? $" The last step with a ranking, {last.Step} ({last.Layer}), had Spearman {last.Spearman:0.###}; -MaxSteps {last.Step} judges there." : ""));
                return new ItemResult<CamJudgement>(r.Path, r.Value is null ? null : ToRecord(r.Value, model, labels, options.Target.ReferenceImage), r.Error);
            });

    private static bool IsConstant(float[] map) => map.Length == 0 || Array.TrueForAll(map, v => v == map[0]);

    private static CamJudgement ToRecord(SanityOutput output, LayeredModel model, ClassLabels labels, string? referenceImage)
    {
        var r = output.Result;
        return new CamSanity
        {
            SourcePath = output.SourcePath,
            Model = model.Info.SourceFile ?? model.Name,
            Method = r.Method,
            Layer = output.Layer,
            ClassIndex = r.ClassIndex,
            // A Similarity map is of no one class: it is labelled by what it compares with.
            Label = output.Target?.Label(labels) ?? (r.ClassIndex >= 0 ? labels[r.ClassIndex].Name : $"similar to {System.IO.Path.GetFileName(referenceImage)}"),
            Passed = r.Passed,
            Verdict = r.Verdict,
            Threshold = r.Threshold,
            FinalSpearman = r.Steps.Count > 0 ? r.Steps[^1].Spearman : 1,
            MinimumSpearman = r.Steps.Count > 0 && r.Steps.Any(s => !double.IsNaN(s.Spearman)) ? r.Steps.Where(s => !double.IsNaN(s.Spearman)).Min(s => s.Spearman) : double.NaN,
            FinalSsim = r.Steps.Count > 0 ? r.Steps[^1].Ssim : 1,
            Steps = r.Steps.Select(s => new CamSanityStep { Step = s.Step, Layer = s.Layer, Spearman = s.Spearman, SpearmanAbsolute = s.SpearmanAbsolute, Ssim = s.Ssim }).ToArray(),
            PlotPath = output.PlotPath,
        };
    }
}
