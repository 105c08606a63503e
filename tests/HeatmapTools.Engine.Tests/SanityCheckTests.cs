using System.Text.Json;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Trust;
using Xunit;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Tests;

/// <summary>
/// A deliberately model-independent "method": the input's edge strength. It ignores the network, so the sanity check
/// must fail it.
/// </summary>
public sealed class EdgeDetectorMethod : CamMethod
{
    public override string Name => "EdgeDetector";
    public override string Paper => "none: a test fixture that never looks at the model";

    public override Tensor Map(CamContext context)
    {
        var gray = context.Input.mean(new long[] { 1 });
        var dx = nn.functional.pad(gray[.., .., 1..] - gray[.., .., ..^1], new long[] { 0, 1, 0, 0 });
        var dy = nn.functional.pad(gray[.., 1.., ..] - gray[.., ..^1, ..], new long[] { 0, 0, 0, 1 });
        return (dx * dx + dy * dy).sqrt();
    }
}

/// <summary>Adebayo et al.'s cascading randomisation, in both directions, and its similarity measures against SciPy and scikit-image.</summary>
public class SanityCheckTests
{
    [Fact]
    public void Similarity_measures_match_SciPy_and_scikit_image()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TrustMetricsTests.TrustData, "similarity.json")));
        foreach (var pair in doc.RootElement.EnumerateArray())
        {
            float[] Load(string name)
            {
                var npy = Npy.ReadFloat32(Path.Combine(TrustMetricsTests.TrustData, name + ".npy"));
                if (npy.Shape.Length == 2) return npy.Data;
                // Signed guided products (H x W x 3): summed over colour, as the script does.
                return Enumerable.Range(0, npy.Data.Length / 3).Select(i => npy.Data[3 * i] + npy.Data[3 * i + 1] + npy.Data[3 * i + 2]).ToArray();
            }
            var a = Load(pair.GetProperty("a").GetString()!);
            var b = Load(pair.GetProperty("b").GetString()!);
            Assert.Equal(pair.GetProperty("spearman").GetDouble(), Similarity.Spearman(a, b), 6);
            Assert.Equal(pair.GetProperty("spearman_abs").GetDouble(), Similarity.SpearmanAbsolute(a, b), 6);
            Assert.Equal(pair.GetProperty("ssim").GetDouble(), Similarity.Ssim(a, b, 224, 224), 6);
        }
    }

    [Fact]
    public void A_constant_map_has_no_rank_correlation_as_in_SciPy()
    {
        var constant = new float[64];
        var varied = Enumerable.Range(0, 64).Select(i => (float)i).ToArray();
        // scipy.stats.spearmanr of a constant input is nan (with a warning), not 0.
        Assert.True(double.IsNaN(Similarity.Spearman(constant, varied)));
        Assert.True(double.IsNaN(Similarity.Spearman(varied, constant)));
        Assert.Equal(1.0, Similarity.Spearman(varied, varied), 12);
    }

    [Fact]
    public void Grad_CAM_passes_the_cascade_and_an_edge_detector_fails_it_while_the_sessions_model_stays_as_it_was()
    {
        var model = SharedData.SqueezeNetModel;
        var (input, target, _) = TrustMetricsTests.Case("chelsea");
        var before = Prediction.Predictor.Logits(model, new[] { input }, 224)[0];
        var items = new[] { new CamItem(input, target) };
        // Three steps: further down, the randomised Grad-CAM map is all zero, which has no ranking (Verdict Undefined).
        var options = new SanityOptions { Seed = 3, MaxSteps = 3 };

        var gradCam = SanityCheck.Run(model, items, CamMethods.Get("GradCAM"), model.Layers("features.12"), 224, options, null, CancellationToken.None).Single();
        var edges = SanityCheck.Run(model, items, new EdgeDetectorMethod(), model.Layers("features.12"), 224, options, null, CancellationToken.None).Single();

        Assert.Equal(SanityCheck.Cascade(model, 3), gradCam.Steps.Select(s => s.Layer));
        Assert.Equal("classifier.1", gradCam.Steps[0].Layer);
        Assert.Equal(target, gradCam.ClassIndex);
        // Adebayo et al.'s finding for Grad-CAM: once the top layers are random the map no longer resembles the original.
        Assert.True(gradCam.Passed == true, $"Grad-CAM's final rank correlation {gradCam.Steps[^1].Spearman:F3} is not below {options.Threshold}");
        Assert.True(gradCam.Steps.Min(s => s.Spearman) < 0.5);
        // The edge detector never looks at the weights: every step gives the original map back.
        Assert.True(edges.Passed == false);
        Assert.All(edges.Steps, s => Assert.True(s.Spearman > 0.999 && s.Ssim > 0.999, $"{s.Layer}: {s.Spearman}, {s.Ssim}"));
        Assert.Equal(before, Prediction.Predictor.Logits(model, new[] { input }, 224)[0]);
    }

    [Fact]
    public void The_cascade_is_repeatable_with_its_seed_and_limited_by_MaxSteps()
    {
        var model = SharedData.SqueezeNetModel;
        var (input, target, _) = TrustMetricsTests.Case("coffee");
        SanityResult Run(int seed) => SanityCheck.Run(model, new[] { new CamItem(input, target) }, CamMethods.Get("GradCAM"), model.Layers("features.12"), 224,
            new SanityOptions { Seed = seed, MaxSteps = 2 }, null, CancellationToken.None).Single();
        var a = Run(1);
        Assert.Equal(2, a.Steps.Count);
        Assert.Equal(a.Steps[^1].Map, Run(1).Steps[^1].Map);
        Assert.NotEqual(a.Steps[^1].Map, Run(2).Steps[^1].Map);
    }
}
