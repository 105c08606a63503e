using System.Text.Json;
using HeatmapTools.Engine.Explanation;
using HeatmapTools.Engine.IO;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>Measure-Explanation's metrics against Quantus 0.6.0 (tests/reference/make_explanation_references.py).</summary>
public class ExplanationParityTests
{
    private static string Data => Path.Combine(SharedData.RepoRoot, "tests", "HeatmapTools.Engine.Tests", "TestData", "explanation");
    private static string Attributions => Path.Combine(SharedData.RepoRoot, "tests", "HeatmapTools.Engine.Tests", "TestData", "attribution");

    private static readonly Lazy<JsonDocument> Metrics = new(() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Data, "metrics.json"))));

    private static readonly string[] CaseNames = { "chelsea", "coffee", "both_t281" };
    private static readonly string[] Explanations = { "IntegratedGradients", "Saliency", "InputXGradient", "GradCAM" };

    public static IEnumerable<object[]> Cases() => from c in CaseNames from e in Explanations select new object[] { c, e };

    /// <summary>The reference's name for a setting, the metric and the settings it was made with.</summary>
    private static readonly (string Reference, string Metric, ExplanationOptions Options)[] Settings =
    {
        ("Sparseness", "Sparseness", new()),
        ("Complexity", "Complexity", new()),
        ("EffectiveComplexity", "EffectiveComplexity", new() { Eps = 1e-5 }),
        ("PointingGame", "PointingGame", new()),
        ("RelevanceRankAccuracy", "RelevanceRankAccuracy", new()),
        ("RelevanceMassAccuracy", "RelevanceMassAccuracy", new()),
        ("TopKIntersection", "TopKIntersection", new() { K = 1000 }),
        ("TopKIntersection_k5000", "TopKIntersection", new() { K = 5000 }),
        ("AttributionLocalisation", "AttributionLocalisation", new()),
        ("PixelFlipping", "PixelFlipping", new() { FeaturesInStep = 224 * 4, Baseline = PerturbBaselineKind.Black }),
        ("PixelFlipping_white", "PixelFlipping", new() { FeaturesInStep = 224 * 7, Baseline = PerturbBaselineKind.White }),
        ("RegionPerturbation", "RegionPerturbation", new() { PatchSize = 16, Regions = 30, Order = RegionOrder.Morf }),
        ("RegionPerturbation_lerf", "RegionPerturbation", new() { PatchSize = 14, Regions = 20, Order = RegionOrder.Lerf }),
    };

    /// <summary>The explanation as the reference judged it: a Captum attribution summed over channels, or pytorch-grad-cam's map.</summary>
    private static float[] ExplanationOf(string name, string explanation)
    {
        if (explanation == "GradCAM")
        {
            string folder = name == "both_t281" ? "squeezenet1_1_target281" : "squeezenet1_1";
            string image = name == "both_t281" ? "gradcam_both" : name;
            return Npy.ReadFloat32(Path.Combine(SharedData.Reference, folder, $"{image}.GradCAM.npy")).Data;
        }
        var chw = Npy.ReadFloat32(Path.Combine(Attributions, $"{name}.{explanation}.npy")).Data;
        var sum = new float[224 * 224];
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < sum.Length; i++) sum[i] += chw[c * sum.Length + i];
        return sum;
    }

    private static ExplanationSample Sample(string name, string explanation, bool[]? mask)
    {
        using var cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(Attributions, "cases.json")));
        return new ExplanationSample
        {
            Explanation = ExplanationOf(name, explanation), Height = 224, Width = 224,
            Input = Npy.ReadFloat32(Path.Combine(Attributions, $"{name}.input.npy")).Data,
            ClassIndex = cases.RootElement.GetProperty("cases").GetProperty(name).GetProperty("target").GetInt32(),
            Mask = mask, Logits = SharedData.SqueezeNetModel.Logits, Name = name,
        };
    }

    /// <summary>
    /// IROF perturbs SLIC superpixels: ours equal scikit-image 0.19's (the segments Quantus's get_superpixel_segments gave
    /// for the same input, tests/reference/make_irof_references.py), and IROF's value equals Quantus's (its segment mask
    /// broadcast over the channels, which its own assert otherwise refuses on a colour image).
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Irof_and_its_superpixels_match_Quantus_and_scikit_image(string name, string explanation)
    {
        var sample = Sample(name, explanation, null);
        var expected = Npy.ReadFloat32(Path.Combine(Data, $"{name}.slic.npy")).Data;
        var (labels, count) = Imaging.Slic.Segment(sample.Input, 3, 224, 224);
        int differing = labels.Where((l, i) => l != (int)expected[i]).Count();
        Assert.True(differing == 0, $"{name}: {differing} of {labels.Length} pixels in another superpixel than scikit-image's");
        Assert.Equal((int)expected.Max() + 1, count);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Data, "irof.json")));
        double want = doc.RootElement.GetProperty("results").GetProperty($"{name}.{explanation}").GetDouble();
        var ours = new Irof().Evaluate(sample, new ExplanationOptions(), CancellationToken.None);
        Assert.True(Math.Abs(ours.Value - want) <= 1e-4, $"{name}.{explanation}: IROF {ours.Value:G8}, Quantus {want:G8}");
        Assert.Equal(count, ours.Curve!.Count);
    }

    /// <summary>
    /// Monotonicity against Quantus 0.6.0's with its one wrong call put right (it writes the baseline where the input's
    /// values belong, so as released it always answers true: tests/reference/make_monotonicity_references.py): every
    /// step's probability within 1e-4 and the same answer.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Monotonicity_matches_Quantus_put_right(string name, string explanation)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Data, "monotonicity.json")));
        var want = doc.RootElement.GetProperty("results").GetProperty($"{name}.{explanation}");
        var curve = want.GetProperty("curve").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var ours = new Monotonicity().Evaluate(Sample(name, explanation, null),
            new ExplanationOptions { FeaturesInStep = doc.RootElement.GetProperty("features_in_step").GetInt32() }, CancellationToken.None);
        Assert.Equal(curve.Length, ours.Curve!.Count);
        double worst = curve.Zip(ours.Curve, (e, o) => Math.Abs(e - o)).Max();
        Assert.True(worst <= 1e-4, $"{name}.{explanation}: curve off by {worst:G3}");
        Assert.Equal(want.GetProperty("monotonic").GetBoolean() ? 1.0 : 0.0, ours.Value);
    }

    /// <summary>
    /// A linear model's logit is sum(w x) over a zero logit: putting a feature back from the baseline b adds w (x - b),
    /// so the probability never falls exactly when every such term is positive (weights small enough that float32
    /// probabilities do not saturate at 1), and the explanation w (x - b) orders them.
    /// </summary>
    [Fact]
    public void Monotonicity_of_a_linear_model_is_its_terms_signs()
    {
        const int side = 8, plane = side * side;
        var random = new Random(3);
        var pixel = Enumerable.Range(0, plane).Select(_ => (float)(0.2 + random.NextDouble())).ToArray();
        float black = pixel.Min();
        float[] Weights(bool negative) => Enumerable.Range(0, plane).Select(p => (float)(0.01 * (0.1 + random.NextDouble())) * (negative && p == 17 ? -1 : 1)).ToArray();
        foreach (bool negative in new[] { false, true })
        {
            var w = Weights(negative);
            var input = Enumerable.Range(0, 3 * plane).Select(i => pixel[i % plane]).ToArray();
            var weights = TorchSharp.torch.tensor(Enumerable.Range(0, 3 * plane).Select(i => w[i % plane]).ToArray(), new long[] { 1, 3, side, side });
            var sample = new ExplanationSample
            {
                Explanation = Enumerable.Range(0, plane).Select(p => 3 * w[p] * (pixel[p] - black)).ToArray(), Height = side, Width = side,
                Input = input, ClassIndex = 0,
                Logits = x => TorchSharp.torch.stack(new[] { (x * weights).sum(new long[] { 1, 2, 3 }), TorchSharp.torch.zeros(x.shape[0]) }, 1),
            };
            var value = new Monotonicity().Evaluate(sample, new ExplanationOptions { FeaturesInStep = 3 }, CancellationToken.None);
            Assert.Equal(negative ? 0.0 : 1.0, value.Value);
        }
    }

    private static bool[] Mask(string mask) => Npy.ReadFloat32(Path.Combine(Data, $"{mask}.mask.npy")).Data.Select(v => v != 0).ToArray();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Metrics_match_Quantus(string name, string explanation)
    {
        var expected = Metrics.Value.RootElement.GetProperty("results").GetProperty($"{name}.{explanation}");
        var failures = new List<string>();
        foreach (var (reference, metricName, options) in Settings)
        {
            var metric = ExplanationMetrics.ByName(metricName);
            var keys = metric.NeedsMask ? new[] { "box", "disc" } : new string?[] { null };
            foreach (var mask in keys)
            {
                var sample = Sample(name, explanation, mask is null ? null : Mask(mask));
                var ours = metric.Evaluate(sample, options, CancellationToken.None);
                var want = expected.GetProperty(mask is null ? reference : $"{reference}.{mask}");
                string label = $"{reference}{(mask is null ? "" : "." + mask)}";
                if (want.ValueKind == JsonValueKind.Array)
                {
                    var curve = want.EnumerateArray().Select(e => e.GetDouble()).ToArray();
                    if (ours.Curve is null || ours.Curve.Count != curve.Length) { failures.Add($"{label}: {ours.Curve?.Count} points, Quantus {curve.Length}"); continue; }
                    double worst = curve.Zip(ours.Curve, (e, o) => Math.Abs(e - o)).Max();
                    if (worst > 1e-4) failures.Add($"{label}: curve off by {worst:G3}");
                    double area = ExplanationMetric.Trapezoid(curve);
                    if (Math.Abs(area - ours.Value) > 1e-4 * Math.Max(1, curve.Length)) failures.Add($"{label}: area {ours.Value:G6}, Quantus's curve {area:G6}");
                }
                else if (Math.Abs(want.GetDouble() - ours.Value) > 1e-4)
                    failures.Add($"{label}: {ours.Value:G8}, Quantus {want.GetDouble():G8}");
            }
        }
        Assert.True(failures.Count == 0, $"{name}.{explanation}: " + string.Join("; ", failures));
    }
}

/// <summary>Measure-Explanation's stochastic metrics against Quantus over seeds (tests/reference/make_explanation_stochastic_references.py).</summary>
public class ExplanationStochasticTests
{
    private static string Data => Path.Combine(SharedData.RepoRoot, "tests", "HeatmapTools.Engine.Tests", "TestData", "explanation");
    private static string Attributions => Path.Combine(SharedData.RepoRoot, "tests", "HeatmapTools.Engine.Tests", "TestData", "attribution");

    [Theory]
    [InlineData("chelsea", "IntegratedGradients")]
    [InlineData("chelsea", "GradCAM")]
    [InlineData("coffee", "IntegratedGradients")]
    [InlineData("coffee", "GradCAM")]
    public void Faithfulness_correlation_over_seeds_falls_within_Quantus_seed_to_seed_spread(string name, string explanation)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Data, "stochastic.json")));
        var reference = doc.RootElement.GetProperty("results").GetProperty($"{name}.{explanation}.FaithfulnessCorrelation");
        double mean = reference.GetProperty("mean").GetDouble(), spread = reference.GetProperty("std").GetDouble();
        using var cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(Attributions, "cases.json")));
        float[] values;
        if (explanation == "GradCAM") values = Npy.ReadFloat32(Path.Combine(SharedData.Reference, "squeezenet1_1", $"{name}.GradCAM.npy")).Data;
        else
        {
            var chw = Npy.ReadFloat32(Path.Combine(Attributions, $"{name}.{explanation}.npy")).Data;
            values = new float[224 * 224];
            for (int c = 0; c < 3; c++)
                for (int i = 0; i < values.Length; i++) values[i] += chw[c * values.Length + i];
        }
        var sample = new ExplanationSample
        {
            Explanation = values, Height = 224, Width = 224, Input = Npy.ReadFloat32(Path.Combine(Attributions, $"{name}.input.npy")).Data,
            ClassIndex = cases.RootElement.GetProperty("cases").GetProperty(name).GetProperty("target").GetInt32(), Logits = SharedData.SqueezeNetModel.Logits,
        };
        var metric = new FaithfulnessCorrelation();
        var ours = Enumerable.Range(0, 8).Select(seed => metric.Evaluate(sample, new ExplanationOptions { Seed = (ulong)seed, Samples = 60, SubsetSize = 12544 }, CancellationToken.None).Value).ToArray();
        Assert.True(Math.Abs(ours.Average() - mean) <= spread,
            $"{name}.{explanation}: our mean over 8 seeds {ours.Average():G4} is off Quantus's mean over 10 {mean:G4} by more than its seed-to-seed standard deviation {spread:G3}");
        // Seeded: the same seed gives the same subsets and value; another seed others.
        Assert.Equal(ours[0], metric.Evaluate(sample, new ExplanationOptions { Seed = 0, Samples = 60, SubsetSize = 12544 }, CancellationToken.None).Value);
        Assert.NotEqual(ours[0], ours[1]);
    }

    /// <summary>
    /// A linear model whose logit is sum(w x) with w and x alike over channels: setting a subset to the baseline b drops
    /// the logit by the sum of w (x - b) over it, which the explanation w (x - b) summed over channels says exactly, so the
    /// correlation is 1; the same explanation shuffled over the pixels says nothing, and its correlation is near 0.
    /// </summary>
    [Fact]
    public void Faithfulness_correlation_is_one_for_an_exact_explanation_of_a_linear_model()
    {
        const int side = 16, plane = side * side;
        var random = new Random(5);
        var w = Enumerable.Range(0, plane).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var pixel = Enumerable.Range(0, plane).Select(_ => (float)random.NextDouble()).ToArray();
        var input = Enumerable.Range(0, 3 * plane).Select(i => pixel[i % plane]).ToArray();
        float black = pixel.Min();
        var weights = TorchSharp.torch.tensor(Enumerable.Range(0, 3 * plane).Select(i => w[i % plane]).ToArray(), new long[] { 1, 3, side, side });
        Func<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> logits = x =>
            TorchSharp.torch.stack(new[] { (x * weights).sum(new long[] { 1, 2, 3 }), TorchSharp.torch.zeros(x.shape[0]) }, 1);
        var exact = Enumerable.Range(0, plane).Select(p => 3 * w[p] * (pixel[p] - black)).ToArray();
        var shuffled = exact.OrderBy(_ => random.Next()).ToArray();
        var options = new ExplanationOptions { Samples = 50, SubsetSize = 60, Seed = 1 };
        ExplanationSample Sample(float[] a) => new() { Explanation = a, Height = side, Width = side, Input = input, ClassIndex = 0, Logits = logits };
        var metric = new FaithfulnessCorrelation();
        Assert.Equal(1.0, metric.Evaluate(Sample(exact), options, CancellationToken.None).Value, 4);
        Assert.InRange(metric.Evaluate(Sample(shuffled), options, CancellationToken.None).Value, -0.5, 0.5);
    }

    /// <summary>The engine's explanation of (input, class) pairs by <paramref name="method"/>, summed over channels, as Measure-Explanation makes them again.</summary>
    private static Func<IReadOnlyList<(float[] Input, int ClassIndex)>, IReadOnlyList<float[]>> Explainer(string method) => requests =>
        Cam.CamEngine.Compute(SharedData.SqueezeNetModel, requests.Select(r => new Cam.CamItem(r.Input, new Cam.Targets.ClassTarget(r.ClassIndex))).ToList(),
                Cam.CamMethods.Get(method), SharedData.SqueezeNetModel.Layers(), 224, new Cam.CamOptions(), CancellationToken.None)
            .Select(r => Enumerable.Range(0, 224 * 224).Select(i => r.Attribution![i] + r.Attribution[50176 + i] + r.Attribution[100352 + i]).ToArray()).ToList();

    private static ExplanationSample SqueezeNetSample(string name, string method)
    {
        using var cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(Attributions, "cases.json")));
        var input = Npy.ReadFloat32(Path.Combine(Attributions, $"{name}.input.npy")).Data;
        int target = cases.RootElement.GetProperty("cases").GetProperty(name).GetProperty("target").GetInt32();
        var explain = Explainer(method);
        return new ExplanationSample
        {
            Explanation = explain(new[] { (input, target) })[0], Height = 224, Width = 224, Input = input, ClassIndex = target,
            Logits = SharedData.SqueezeNetModel.Logits, Explain = explain, Classes = 1000, Name = name,
        };
    }

    [Theory]
    [InlineData("chelsea", "MaxSensitivity")]
    [InlineData("chelsea", "AvgSensitivity")]
    [InlineData("coffee", "MaxSensitivity")]
    [InlineData("coffee", "AvgSensitivity")]
    public void Sensitivity_over_seeds_falls_within_Quantus_seed_to_seed_spread(string name, string metricName)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Data, "stochastic.json")));
        var reference = doc.RootElement.GetProperty("results").GetProperty($"{name}.Saliency.{metricName}");
        double mean = reference.GetProperty("mean").GetDouble(), spread = reference.GetProperty("std").GetDouble();
        var sample = SqueezeNetSample(name, "Saliency");
        var metric = ExplanationMetrics.ByName(metricName);
        var ours = Enumerable.Range(0, 8).Select(seed => metric.Evaluate(sample, new ExplanationOptions { Seed = (ulong)seed, SensitivitySamples = 10, NoiseLevel = 0.2 }, CancellationToken.None).Value).ToArray();
        Assert.True(Math.Abs(ours.Average() - mean) <= spread,
            $"{name} {metricName}: our mean over 8 seeds {ours.Average():G4} is off Quantus's mean over 10 {mean:G4} by more than its seed-to-seed standard deviation {spread:G3}");
    }

    /// <summary>
    /// Input x Gradient of a linear model, summed over channels, is sum_c w x: uniform noise up to b on every feature
    /// changes it by sum_c w n, whose expected square is b^2/3 sum_c w^2 per pixel, so over many pixels every noisy copy's
    /// sensitivity is close to sqrt(b^2/3 sum w^2) / |a|.
    /// </summary>
    [Fact]
    public void Avg_sensitivity_of_a_linear_explanation_is_the_noise_closed_form()
    {
        const int side = 64, plane = side * side;
        var random = new Random(9);
        var w = Enumerable.Range(0, 3 * plane).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var input = Enumerable.Range(0, 3 * plane).Select(_ => (float)random.NextDouble()).ToArray();
        float[] Explain(float[] x) => Enumerable.Range(0, plane).Select(p => w[p] * x[p] + w[plane + p] * x[plane + p] + w[2 * plane + p] * x[2 * plane + p]).ToArray();
        var a = Explain(input);
        var sample = new ExplanationSample
        {
            Explanation = a, Height = side, Width = side, Input = input, ClassIndex = 0,
            Explain = requests => requests.Select(r => Explain(r.Input)).ToList(),
        };
        const double bound = 0.3;
        double expected = Math.Sqrt(bound * bound / 3 * w.Sum(v => (double)v * v)) / Math.Sqrt(a.Sum(v => (double)v * v));
        var value = new AvgSensitivity().Evaluate(sample, new ExplanationOptions { SensitivitySamples = 20, NoiseLevel = bound, Seed = 2 }, CancellationToken.None);
        Assert.InRange(value.Value / expected, 0.98, 1.02);
        Assert.True(new MaxSensitivity().Evaluate(sample, new ExplanationOptions { SensitivitySamples = 20, NoiseLevel = bound, Seed = 2 }, CancellationToken.None).Value >= value.Value);
        Assert.Equal(0, new AvgSensitivity().Evaluate(sample, new ExplanationOptions { SensitivitySamples = 3, NoiseLevel = 0 }, CancellationToken.None).Value, 9);
    }

    [Theory]
    [InlineData("chelsea", "Saliency")]
    [InlineData("chelsea", "InputXGradient")]
    [InlineData("coffee", "Saliency")]
    [InlineData("coffee", "InputXGradient")]
    public void Random_logit_matches_Quantus_for_the_class_it_drew(string name, string method)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Data, "stochastic.json")));
        var reference = doc.RootElement.GetProperty("random_logit").GetProperty($"{name}.{method}");
        var ours = new RandomLogit().Evaluate(SqueezeNetSample(name, method), new ExplanationOptions { OtherClass = reference.GetProperty("other_class").GetInt32() }, CancellationToken.None);
        Assert.Equal(reference.GetProperty("score").GetDouble(), ours.Value, 4);
    }
}
