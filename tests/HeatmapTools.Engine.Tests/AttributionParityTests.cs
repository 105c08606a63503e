using System.Text.Json;
using HeatmapTools.Engine.Attribution;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.IO;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>Pixel attributions against Captum (tests/reference/make_attribution_references.py) and closed forms.</summary>
public class AttributionParityTests
{
    private static string Data => Path.Combine(SharedData.RepoRoot, "tests", "HeatmapTools.Engine.Tests", "TestData", "attribution");

    public static IEnumerable<object[]> Cases() =>
        from c in new[] { "chelsea", "coffee", "both_t281" }
        from m in new[] { "Saliency", "InputXGradient", "IntegratedGradients", "IntegratedGradientsRiemannTrapezoid", "Occlusion", "GuidedBackprop" }
        select new object[] { c, m };

    /// <summary>The method and the settings the reference was made with (cases.json).</summary>
    private static (CamMethod Method, AttributionOptions Options) Setting(string name) => name switch
    {
        "IntegratedGradients" => (CamMethods.Get("IntegratedGradients"), new AttributionOptions { Steps = 32, Integration = IntegrationMethod.GaussLegendre }),
        "IntegratedGradientsRiemannTrapezoid" => (CamMethods.Get("IntegratedGradients"), new AttributionOptions { Steps = 20, Integration = IntegrationMethod.RiemannTrapezoid }),
        "Occlusion" => (CamMethods.Get("Occlusion"), new AttributionOptions { Window = 32, Stride = 16 }),
        _ => (CamMethods.Get(name), new AttributionOptions()),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Attribution_and_its_picture_match_Captum(string name, string reference)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Data, "cases.json")));
        int target = doc.RootElement.GetProperty("cases").GetProperty(name).GetProperty("target").GetInt32();
        var input = Npy.ReadFloat32(Path.Combine(Data, $"{name}.input.npy")).Data;
        var (method, options) = Setting(reference);
        var ours = CamEngine.Compute(SharedData.SqueezeNetModel, new[] { new CamItem(input, new Cam.Targets.ClassTarget(target)) }, method,
            SharedData.SqueezeNetModel.Layers(), 224, new CamOptions { Attribution = options }, CancellationToken.None).Single();
        var expected = Npy.ReadFloat32(Path.Combine(Data, $"{name}.{reference}.npy")).Data;
        Assert.Equal(expected.Length, ours.Attribution!.Length);
        double scale = expected.Max(Math.Abs);
        var errors = expected.Zip(ours.Attribution, (e, o) => Math.Abs((double)e - o)).Order().ToArray();
        double worst = errors[^1], p99 = errors[(int)(0.99 * (errors.Length - 1))];
        // Integrated Gradients sums gradients along a path from a zero input, where many ReLUs sit at their kink: a float32
        // rounding flips a few of them, and their pixels' gradients with them. Captum itself moves that much: its float32
        // attributions differ from its float64 ones by up to 9.1e-4 of the largest magnitude (99.9th percentile 2.4e-4),
        // and from themselves at internal_batch_size 8 by up to 1.4e-3 (chelsea, both_t281). The rest match to 1e-4.
        bool path = reference.StartsWith("IntegratedGradients", StringComparison.Ordinal);
        Assert.True(worst <= (path ? 3e-3 : 1e-4) * scale, $"{reference} of {name}: off by {worst:G3} of a largest magnitude {scale:G3}");
        Assert.True(p99 <= 1e-4 * scale, $"{reference} of {name}: the 99th percentile is off by {p99:G3} of a largest magnitude {scale:G3}");
        // The picture: Captum's visualize_image_attr scaling (absolute value, 2 % outliers), which is what the overlay draws.
        var visual = Npy.ReadFloat32(Path.Combine(Data, $"{name}.{reference}.visual.npy")).Data;
        // Captum's own attribution scaled by ours: the scaling alone, to float32 rounding.
        var scaled = AttributionEngine.Visual(expected, 3, 224, 224, AttributionSign.AbsoluteValue, 2);
        double scaling = visual.Zip(scaled, (e, o) => Math.Abs((double)e - o)).Max();
        Assert.True(scaling <= 1e-5, $"{reference} of {name}: Captum's attribution scaled as Captum does is off by {scaling:G3}");
        // Ours end to end: the picture divides by the 98 % mass threshold, so the path methods' few flipped pixels show more.
        var pictureErrors = visual.Zip(ours.Map, (e, o) => Math.Abs((double)e - o)).Order().ToArray();
        Assert.True(pictureErrors[^1] <= (path ? 1e-2 : 1e-3), $"{reference} of {name}: picture off by {pictureErrors[^1]:G3}");
        Assert.True(pictureErrors[(int)(0.99 * (pictureErrors.Length - 1))] <= 1e-3, $"{reference} of {name}: picture's 99th percentile off by {pictureErrors[(int)(0.99 * (pictureErrors.Length - 1))]:G3}");
        Assert.Equal(target, ours.ClassIndex);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(32)]
    public void Gauss_Legendre_is_exact_for_polynomials_of_degree_2n_minus_1(int n)
    {
        var (alphas, weights) = Quadrature.Rule(IntegrationMethod.GaussLegendre, n);
        Assert.Equal(1.0, weights.Sum(), 12);
        for (int degree = 0; degree <= 2 * n - 1; degree++)
            Assert.Equal(1.0 / (degree + 1), alphas.Zip(weights, (a, w) => w * Math.Pow(a, degree)).Sum(), 12);
        Assert.Equal(alphas.Order(), alphas);
    }

    [Theory]
    [InlineData(AttributionBaseline.Zero)]
    [InlineData(AttributionBaseline.Blur)]
    public void Integrated_gradients_add_up_to_the_score_change_from_the_baseline(AttributionBaseline baseline)
    {
        // Completeness (Sundararajan et al.'s axiom): the attributions sum to f(input) - f(baseline), up to the quadrature's
        // error on a piecewise-linear network. The baseline's score is computed here on its own, from its closed form.
        var (input, target, _) = TrustMetricsTests.Case("chelsea");
        var model = SharedData.SqueezeNetModel;
        var ours = CamEngine.Compute(model, new[] { new CamItem(input, new Cam.Targets.ClassTarget(target)) }, CamMethods.Get("IntegratedGradients"),
            model.Layers(), 224, new CamOptions { Attribution = new AttributionOptions { Steps = 64, Baseline = baseline } }, CancellationToken.None).Single();
        using var scope = TorchSharp.torch.NewDisposeScope();
        using var inference = TorchSharp.torch.no_grad();
        var x = TorchSharp.torch.tensor(input, new long[] { 3, 224, 224 });
        var start = baseline == AttributionBaseline.Zero ? TorchSharp.torch.zeros_like(x) : Trust.DeletionInsertion.Blur(x);
        float Score(TorchSharp.torch.Tensor t) => model.Logits(t.unsqueeze(0))[0, target].item<float>();
        double change = Score(x) - Score(start), sum = ours.Attribution!.Sum(v => (double)v);
        Assert.True(Math.Abs(sum - change) <= 0.02 * Math.Abs(change), $"attributions sum to {sum:G5}; the score changed by {change:G5}");
        Assert.Equal(Score(x), ours.Score, 3);
    }

    [Fact]
    public void Integrated_gradients_from_a_uniform_noise_baseline_add_up_and_the_seed_decides_the_noise()
    {
        // The baseline by its definition: each value uniform between the input's smallest and largest, drawn from the seed.
        var (input, target, _) = TrustMetricsTests.Case("coffee");
        var model = SharedData.SqueezeNetModel;
        CamResult Run(int seed) => CamEngine.Compute(model, new[] { new CamItem(input, new Cam.Targets.ClassTarget(target)) }, CamMethods.Get("IntegratedGradients"),
            model.Layers(), 224, new CamOptions { Attribution = new AttributionOptions { Steps = 64, Baseline = AttributionBaseline.Uniform, TunnelSeed = seed } },
            CancellationToken.None).Single();
        var ours = Run(7);
        using var scope = TorchSharp.torch.NewDisposeScope();
        using var inference = TorchSharp.torch.no_grad();
        var x = TorchSharp.torch.tensor(input, new long[] { 1, 3, 224, 224 });
        float low = input.Min(), high = input.Max();
        using var random = new TorchSharp.torch.Generator(7);
        var start = TorchSharp.torch.rand(new long[] { 1, 3, 224, 224 }, generator: random) * (high - low) + low;
        float Score(TorchSharp.torch.Tensor t) => model.Logits(t)[0, target].item<float>();
        double change = Score(x) - Score(start), sum = ours.Attribution!.Sum(v => (double)v);
        Assert.True(Math.Abs(sum - change) <= 0.02 * Math.Abs(change), $"attributions sum to {sum:G5}; the score changed by {change:G5}");
        Assert.Equal(ours.Attribution, Run(7).Attribution);
        Assert.NotEqual(ours.Attribution, Run(8).Attribution);
    }

    /// <summary>
    /// A noise tunnel draws random copies, so it is checked as Captum's is run: tests/reference/make_noise_tunnel_references.py
    /// keeps, per attribution value, the mean and standard deviation over 10 seeds of Captum's NoiseTunnel; our mean over
    /// 8 seeds must fall within the two means' combined standard error (4 of them) for nearly every value, and the values'
    /// typical distance must be what sampling alone gives (a z-score near 0.8, the mean |z| of a normal variable).
    /// </summary>
    [Theory]
    [InlineData("chelsea.Saliency.SmoothGrad")]
    [InlineData("chelsea.Saliency.VarGrad")]
    [InlineData("chelsea.InputXGradient.SmoothGradSquared")]
    [InlineData("coffee.Saliency.SmoothGrad")]
    public void Noise_tunnel_over_seeds_falls_within_Captum_seed_to_seed_spread(string key)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Data, "noise_tunnel.json")));
        var setting = doc.RootElement.GetProperty("cases").GetProperty(key);
        string name = setting.GetProperty("image").GetString()!, method = setting.GetProperty("method").GetString()!;
        int samples = doc.RootElement.GetProperty("nt_samples").GetInt32(), seeds = doc.RootElement.GetProperty("seeds").GetInt32();
        double level = doc.RootElement.GetProperty("level").GetDouble();
        var tunnel = Enum.Parse<NoiseTunnel>(key.Split('.')[^1]);
        using var cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(Data, "cases.json")));
        int target = cases.RootElement.GetProperty("cases").GetProperty(name).GetProperty("target").GetInt32();
        var input = Npy.ReadFloat32(Path.Combine(Data, $"{name}.input.npy")).Data;
        // TorchSharp's generator draws as PyTorch's does: seeds Captum's run did not use keep the two samples independent.
        const int ours = 8;
        var runs = Enumerable.Range(100, ours).Select(seed => CamEngine.Compute(SharedData.SqueezeNetModel, new[] { new CamItem(input, new Cam.Targets.ClassTarget(target)) },
            CamMethods.Get(method), SharedData.SqueezeNetModel.Layers(), 224,
            new CamOptions { Attribution = new AttributionOptions { NoiseTunnel = tunnel, TunnelSamples = samples, TunnelNoise = level, TunnelSeed = seed } },
            CancellationToken.None).Single().Attribution!).ToArray();
        var mean = Npy.ReadFloat32(Path.Combine(Data, $"{key}.mean.npy")).Data;
        var spread = Npy.ReadFloat32(Path.Combine(Data, $"{key}.std.npy")).Data;
        var z = new double[mean.Length];
        for (int i = 0; i < mean.Length; i++)
        {
            double m = runs.Average(r => (double)r[i]);
            double variance = runs.Sum(r => (r[i] - m) * (r[i] - m)) / (ours - 1);
            double error = Math.Sqrt(variance / ours + (double)spread[i] * spread[i] / seeds);
            z[i] = error == 0 ? (m == mean[i] ? 0 : double.PositiveInfinity) : Math.Abs(m - mean[i]) / error;
        }
        double typical = z.Average(), beyond = z.Count(v => v > 4) / (double)z.Length;
        Assert.True(typical is > 0.6 and < 1.0, $"{key}: mean |z| {typical:G3} (sampling alone gives about 0.8)");
        Assert.True(beyond < 0.005, $"{key}: {beyond:P2} of the values are more than 4 standard errors from Captum's mean");
        // Seeded: the same seed repeats exactly.
        var again = CamEngine.Compute(SharedData.SqueezeNetModel, new[] { new CamItem(input, new Cam.Targets.ClassTarget(target)) }, CamMethods.Get(method),
            SharedData.SqueezeNetModel.Layers(), 224, new CamOptions { Attribution = new AttributionOptions { NoiseTunnel = tunnel, TunnelSamples = samples, TunnelNoise = level, TunnelSeed = 100 } },
            CancellationToken.None).Single().Attribution!;
        Assert.Equal(runs[0], again);
    }
}
