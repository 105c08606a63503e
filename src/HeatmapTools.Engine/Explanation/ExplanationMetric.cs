using static TorchSharp.torch;

namespace HeatmapTools.Engine.Explanation;

/// <summary>Quantus's groups of evaluation metrics.</summary>
public enum MetricFamily
{
    Complexity,
    Localisation,
    Faithfulness,
    Robustness,
    Randomisation,
}

/// <summary>
/// One explanation to judge, as Quantus receives it: a map, or an attribution summed over its channels (Quantus's own
/// explain functions sum them), laid out at the network input, with that input and the class it explains.
/// </summary>
public sealed class ExplanationSample
{
    /// <summary>Height x Width values, row by row.</summary>
    public required float[] Explanation { get; init; }
    public required int Height { get; init; }
    public required int Width { get; init; }
    /// <summary>The network input, channels x height x width.</summary>
    public required float[] Input { get; init; }
    public int ClassIndex { get; init; }
    /// <summary>The region the explanation should point at (localisation metrics), height x width.</summary>
    public bool[]? Mask { get; init; }
    /// <summary>A batch of inputs to logits (faithfulness metrics).</summary>
    public Func<Tensor, Tensor>? Logits { get; init; }
    /// <summary>
    /// The same method's explanations of other inputs or classes (robustness and randomisation metrics): each (input,
    /// class) explained as this explanation was, height x width.
    /// </summary>
    public Func<IReadOnlyList<(float[] Input, int ClassIndex)>, IReadOnlyList<float[]>>? Explain { get; init; }
    /// <summary>How many classes the model has (Random Logit draws another).</summary>
    public int Classes { get; init; }
    /// <summary>The item named in errors.</summary>
    public string Name { get; init; } = "explanation";

    public int Channels => Input.Length / (Height * Width);
}

/// <summary>A metric's value for one explanation; curve metrics give their curve and its area (NumPy's trapz, unit steps) as the value.</summary>
public sealed record MetricValue(double Value, IReadOnlyList<double>? Curve = null)
{
    /// <summary>A stochastic metric's spread: the standard deviation of the samples its value comes from.</summary>
    public double? Spread { get; init; }
}

/// <summary>
/// One of Quantus's metrics, named and defaulted as Quantus 0.6.0 names and defaults it (abs, normalise, softmax), for
/// one explanation at a time: Quantus normalises by the largest magnitude over the whole batch it is given, which for
/// one explanation is that explanation's own.
/// </summary>
public abstract class ExplanationMetric
{
    public abstract string Name { get; }
    public abstract MetricFamily Family { get; }
    /// <summary>The paper Quantus cites for it.</summary>
    public abstract string Citation { get; }
    /// <summary>Quantus's default: magnitudes only.</summary>
    public virtual bool Abs => false;
    /// <summary>Quantus's default: divided by the largest magnitude first.</summary>
    public virtual bool Normalise => true;
    /// <summary>Scores are softmax probabilities rather than logits (Quantus's per-metric default).</summary>
    public virtual bool Softmax => false;
    public bool NeedsMask => Family == MetricFamily.Localisation;
    public bool NeedsModel => Family == MetricFamily.Faithfulness;
    /// <summary>Explains other inputs or classes with the same method.</summary>
    public bool NeedsExplainer => Family is MetricFamily.Robustness or MetricFamily.Randomisation;

    public abstract MetricValue Evaluate(ExplanationSample sample, ExplanationOptions options, CancellationToken cancellation);

    /// <summary>
    /// The explanation as Quantus's preprocessing leaves it: divided by its largest magnitude (unless it is all zeros),
    /// then made absolute; in float32 as NumPy does it, so thresholds (EffectiveComplexity's eps) fall alike.
    /// </summary>
    protected float[] Prepared(ExplanationSample sample) => Prepared(sample.Explanation);

    /// <summary>Any explanation (one made again for a metric) prepared alike.</summary>
    protected float[] Prepared(float[] explanation)
    {
        var a = (float[])explanation.Clone();
        if (Normalise)
        {
            float max = 0;
            foreach (var v in a) max = Math.Max(max, Math.Abs(v));
            if (max > 0) for (int i = 0; i < a.Length; i++) a[i] /= max;
        }
        if (Abs) for (int i = 0; i < a.Length; i++) a[i] = Math.Abs(a[i]);
        return a;
    }

    /// <summary>The features changed per step (-FeaturesInStep or its default), checked against the input's size.</summary>
    protected static int FeaturesInStep(ExplanationSample sample, ExplanationOptions options)
    {
        int step = options.StepFor(sample.Channels, sample.Height, sample.Width), features = sample.Input.Length;
        if (step < 1 || step > features)
            throw new HeatmapToolsException(ErrorIds.ExplanationSettingInvalid, ErrorKind.InvalidArgument,
                $"-FeaturesInStep {step} must be between 1 and the network input's {features} features.", step);
        return step;
    }

    /// <summary>Indices of <paramref name="values"/> from the largest down, equal values in index order (NumPy's stable argsort of the negated values).</summary>
    internal static int[] Descending(float[] values)
    {
        var order = new int[values.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var keys = new float[values.Length];
        for (int i = 0; i < keys.Length; i++) keys[i] = -values[i];
        // Array.Sort is not stable; the index breaks ties so equal values keep their order.
        Array.Sort(order, (x, y) => keys[x] != keys[y] ? keys[x].CompareTo(keys[y]) : x.CompareTo(y));
        return order;
    }

    /// <summary>Indices from the smallest up, equal values in index order.</summary>
    internal static int[] Ascending(float[] values)
    {
        var order = new int[values.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (x, y) => values[x] != values[y] ? values[x].CompareTo(values[y]) : x.CompareTo(y));
        return order;
    }

    /// <summary>The mask, which localisation metrics need: an error naming the item when it is missing or empty.</summary>
    protected static bool[] RequireMask(ExplanationSample sample, string metric)
    {
        var mask = sample.Mask ?? throw new HeatmapToolsException(ErrorIds.ExplanationMaskMissing, ErrorKind.InvalidArgument,
            $"{metric} measures how much of the explanation falls inside a region: give it -Mask or -Region.", sample.Name);
        if (Array.IndexOf(mask, true) < 0)
            throw new HeatmapToolsException(ErrorIds.ExplanationMaskEmpty, ErrorKind.InvalidData,
                $"The region for '{sample.Name}' covers no pixel of the network input (a region outside the image, or one the input's crop cut away); {metric} would be undefined.", sample.Name);
        return mask;
    }

    /// <summary>The explanation's sum inside the mask and everywhere.</summary>
    protected static (double Inside, double Total) MassInside(float[] a, bool[] mask)
    {
        double inside = 0, total = 0;
        for (int i = 0; i < a.Length; i++)
        {
            total += a[i];
            if (mask[i]) inside += a[i];
        }
        return (inside, total);
    }

    /// <summary>Area under a curve of unit steps, as NumPy's trapz with dx=1.</summary>
    internal static double Trapezoid(IReadOnlyList<double> curve)
    {
        double area = 0;
        for (int i = 1; i < curve.Count; i++) area += (curve[i - 1] + curve[i]) / 2;
        return area;
    }
}
