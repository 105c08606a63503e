namespace HeatmapTools;

/// <summary>What the perturbing metrics put in place of a feature (Quantus's perturb_baseline).</summary>
public enum PerturbBaselineKind
{
    /// <summary>The input's smallest value (Quantus's "black").</summary>
    Black,
    /// <summary>The input's largest value ("white").</summary>
    White,
    /// <summary>The mean of the input as perturbed so far, taken again at every step, as Quantus does ("mean").</summary>
    Mean,
    /// <summary>One value drawn uniformly from [0, 1) per step, seeded ("uniform").</summary>
    Uniform,
    /// <summary>A given number.</summary>
    Value,
}

/// <summary>Region Perturbation's order of patches (Quantus's order).</summary>
public enum RegionOrder
{
    /// <summary>Most relevant first.</summary>
    Morf,
    /// <summary>Least relevant first.</summary>
    Lerf,
    /// <summary>A seeded random order.</summary>
    Random,
}
