using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Trust;

public sealed record SanityOptions
{
    /// <summary>Seeds the weights the layers are re-drawn from.</summary>
    public int Seed { get; init; }

    /// <summary>How many layers (stages with weights, from the output down) to randomise; null: all of them.</summary>
    public int? MaxSteps { get; init; }

    /// <summary>The check passes when the map's rank correlation with the original falls below this once the cascade ends.</summary>
    public double Threshold { get; init; } = 0.5;

    public CamOptions Cam { get; init; } = new();
}

/// <summary>One step of the cascade: the maps after the layers down to <see cref="Layer"/> were re-drawn.</summary>
public sealed record SanityStep(int Step, string Layer, double Spearman, double SpearmanAbsolute, double Ssim, float[] Map);

/// <summary>
/// One image's cascade: the original map, every step's map and similarities, and the verdict: passed, failed, or null
/// (undefined) when the original or the final map is constant, which has no rank order to compare.
/// </summary>
public sealed record SanityResult(int ClassIndex, string Method, float[] OriginalMap, int Width, int Height, IReadOnlyList<SanityStep> Steps,
    double Threshold, bool? Passed)
{
    public string Verdict => Passed switch { true => "Passed", false => "Failed", null => "Undefined" };
}

/// <summary>
/// The cascading model-parameter randomisation test (Adebayo et al. 2018, "Sanity Checks for Saliency Maps"): the layers
/// are re-initialised from the output backwards, one more at a time, and the map is recomputed for the same class after
/// each step. A method that explains the model gives maps that stop resembling the original; one that only shows image
/// structure (edges) keeps producing the same map. Works on a private copy: the session's model never changes.
/// </summary>
public static class SanityCheck
{
    /// <summary>The layers the cascade re-draws, in order: every stage with weights, from the output down.</summary>
    public static IReadOnlyList<string> Cascade(LayeredModel model, int? maxSteps = null)
    {
        var layers = model.Stages.Where(s => s.Module.parameters().Any()).Select(s => s.Name).Reverse();
        return (maxSteps is int m ? layers.Take(m) : layers).ToList();
    }

    public static IReadOnlyList<SanityResult> Run(LayeredModel model, IReadOnlyList<CamItem> items, CamMethod method, MapLayers layers,
        InputShape shape, SanityOptions options, IProgress<double>? progress, CancellationToken cancellation,
        IReadOnlyList<CamResult>? originalMaps = null)
    {
        // A caller that already has the trained model's maps of these items (TrustJob) hands them over: not computed twice.
        var original = originalMaps ?? CamEngine.Compute(model, items, method, layers, shape, options.Cam, cancellation);
        // The same classes at every step: the question is whether the explanation of this class depends on the weights.
        var fixedItems = items.Select((item, i) => item with { Target = item.Target ?? original[i].Target ?? new Cam.Targets.ClassTarget(original[i].ClassIndex) }).ToList();
        var cascade = Cascade(model, options.MaxSteps);
        var steps = items.Select(_ => new List<SanityStep>()).ToArray();
        var (copy, random) = ModelStore.CopyWithRandomSource(model, options.Seed);
        try
        {
            for (int k = 0; k < cascade.Count; k++)
            {
                cancellation.ThrowIfCancellationRequested();
                Redraw(copy, random, cascade[k]);
                var maps = CamEngine.Compute(copy, fixedItems, method, layers, shape, options.Cam, cancellation);
                for (int i = 0; i < items.Count; i++)
                {
                    var (a, b) = (original[i].Map, maps[i].Map);
                    steps[i].Add(new SanityStep(k + 1, cascade[k], Similarity.Spearman(a, b), Similarity.SpearmanAbsolute(a, b),
                        Similarity.Ssim(a, b, original[i].Height, original[i].Width), b));
                }
                progress?.Report((k + 1.0) / cascade.Count);
            }
        }
        finally
        {
            copy.Dispose();
            random.Dispose();
        }
        return original.Select((o, i) => new SanityResult(o.ClassIndex, method.Name, o.Map, o.Width, o.Height, steps[i], options.Threshold,
            Verdict(steps[i], options.Threshold))).ToList();
    }

    private static bool? Verdict(List<SanityStep> steps, double threshold)
    {
        if (steps.Count == 0) return false;
        double final = steps[^1].Spearman;
        return double.IsNaN(final) ? null : final < threshold;
    }

    /// <summary>Copies the freshly initialised weights and buffers of one stage into the copy.</summary>
    private static void Redraw(LayeredModel copy, LayeredModel random, string stage)
    {
        var target = copy.Stages[copy.ResolveLayer(stage)].Module;
        var source = random.Stages[random.ResolveLayer(stage)].Module;
        using var noGrad = no_grad();
        var fresh = source.state_dict();
        foreach (var (name, value) in target.state_dict()) value.copy_(fresh[name]);
    }
}
