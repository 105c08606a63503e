namespace HeatmapTools.Engine.Explanation;

/// <summary>Settings of the metrics, named after Quantus's arguments; null takes the default each metric states.</summary>
public sealed record ExplanationOptions
{
    /// <summary>Features (one channel of one pixel) perturbed per step of Pixel Flipping (features_in_step).</summary>
    public int? FeaturesInStep { get; init; }
    /// <summary>Region Perturbation's square patch side (patch_size, 8).</summary>
    public int PatchSize { get; init; } = 8;
    /// <summary>Region Perturbation's number of patches perturbed (regions_evaluation, 100).</summary>
    public int Regions { get; init; } = 100;
    public RegionOrder Order { get; init; } = RegionOrder.Morf;
    /// <summary>Top-K Intersection's k (1000).</summary>
    public int K { get; init; } = 1000;
    /// <summary>Effective Complexity's threshold (eps, 1e-5).</summary>
    public double Eps { get; init; } = 1e-5;
    /// <summary>What replaces perturbed features; null takes each metric's Quantus default (black, IROF's mean).</summary>
    public PerturbBaselineKind? Baseline { get; init; }
    /// <summary>The number of -PerturbBaseline Value.</summary>
    public float BaselineValue { get; init; }
    public ulong Seed { get; init; }
    /// <summary>Faithfulness Correlation's random subsets (nr_runs, 100).</summary>
    public int Samples { get; init; } = 100;
    /// <summary>Max- and Avg-Sensitivity's noisy copies (nr_samples, 200).</summary>
    public int SensitivitySamples { get; init; } = 200;
    /// <summary>The bound of the uniform noise added to every feature for Max- and Avg-Sensitivity (lower_bound, 0.2).</summary>
    public double NoiseLevel { get; init; } = 0.2;
    /// <summary>Random Logit's other class; null draws one, seeded, from the classes other than the explained one.</summary>
    public int? OtherClass { get; init; }
    /// <summary>Features per subset of Faithfulness Correlation (subset_size, 224).</summary>
    public int SubsetSize { get; init; } = 224;
    /// <summary>Scores read off the model: null takes each metric's Quantus default (softmax for the perturbing metrics).</summary>
    public ScoreKind? Score { get; init; }
    /// <summary>Perturbed inputs through the network at once.</summary>
    public int Chunk { get; init; } = 16;

    /// <summary>
    /// Pixel Flipping's default step: the smallest divisor of the pixel count that keeps the curve within 256 forward
    /// passes (Quantus's default of one feature per step costs 150,528 passes at 224 x 224 x 3).
    /// </summary>
    public int StepFor(int channels, int height, int width)
    {
        if (FeaturesInStep is { } given) return given;
        int pixels = height * width;
        for (int d = 1; d <= pixels; d++)
            if (pixels % d == 0 && (long)channels * pixels <= 256L * d) return d;
        return pixels;
    }
}
