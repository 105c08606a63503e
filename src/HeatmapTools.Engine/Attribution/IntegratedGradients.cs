using static TorchSharp.torch;

namespace HeatmapTools.Engine.Attribution;

/// <summary>
/// Integrated Gradients: (input - baseline) times the target's gradient averaged along the straight path from the
/// baseline to the input, the average taken by <see cref="Quadrature"/> (Captum's IntegratedGradients). Its attributions
/// add up to the score's change from baseline to input, up to the quadrature's error (completeness).
/// </summary>
public sealed class IntegratedGradients : AttributionMethod
{
    public override string Name => "IntegratedGradients";
    public override string Paper => "Sundararajan et al. 2017, Axiomatic Attribution for Deep Networks";

    public override Tensor Attribute(AttributionContext context)
    {
        var (alphas, weights) = Quadrature.Rule(context.Options.Integration, context.Options.Steps);
        var baseline = Baseline(context);
        var difference = context.Input - baseline;
        var path = cat(alphas.Select(a => baseline + a * difference).ToList(), 0);
        var gradients = context.Gradients(path);
        var weighted = (gradients * tensor(weights.Select(w => (float)w).ToArray()).reshape(-1, 1, 1, 1)).sum(0, keepdim: true);
        return weighted * difference;
    }
}
