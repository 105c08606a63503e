using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.IO;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>aug_smooth, eigen_smooth and Guided Grad-CAM against pytorch-grad-cam 1.5.5 (tests/reference/make_trust_references.py).</summary>
public class SmoothingParityTests
{
    public static IEnumerable<object[]> Cases() => new[] { "chelsea", "coffee", "both_t281" }.Select(c => new object[] { c });

    private static CamResult Map(string name, CamOptions options, string method = "GradCAM")
    {
        var (input, target, _) = TrustMetricsTests.Case(name);
        return CamEngine.Compute(SharedData.SqueezeNetModel, new[] { new CamItem(input, target) }, CamMethods.Get(method), SharedData.SqueezeNetModel.Layers("features.12"), 224,
            options, CancellationToken.None).Single();
    }

    private static float[] Reference(string file) => Npy.ReadFloat32(Path.Combine(TrustMetricsTests.TrustData, file)).Data;

    private static double MaxDifference(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Aug_smooth_matches(string name)
    {
        var ours = Map(name, new CamOptions { AugSmooth = true });
        double difference = MaxDifference(Reference($"{name}.aug_smooth.npy"), ours.Map);
        Assert.True(difference < 1e-4, $"max difference {difference}");
        // Smoothing changed something: the plain map is not the smoothed one.
        Assert.True(MaxDifference(Reference($"{name}.GradCAM.npy"), ours.Map) > 1e-3);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Eigen_smooth_matches_up_to_the_SVD_sign(string name)
    {
        var reference = Reference($"{name}.eigen_smooth.npy");
        // An SVD fixes its direction only up to sign: either orientation may be LAPACK's, as for Eigen-CAM.
        double difference = Math.Min(MaxDifference(reference, Map(name, new CamOptions { EigenSmooth = true }).Map),
            MaxDifference(reference, Map(name, new CamOptions { EigenSmooth = true, FlipEigenSign = true }).Map));
        Assert.True(difference < 1e-4, $"max difference {difference}");
        Assert.True(MaxDifference(Reference($"{name}.GradCAM.npy"), reference) > 1e-3);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Guided_Grad_CAM_matches(string name)
    {
        var ours = Map(name, new CamOptions(), "GuidedGradCAM");
        Assert.True(MaxDifference(Reference($"{name}.GradCAM.npy"), ours.Map) < 1e-4);
        // pytorch-grad-cam returns H x W x 3; ours is laid out as the input, 3 x H x W.
        var guided = Reference($"{name}.guided.npy");
        var product = Reference($"{name}.guided_gradcam.npy");
        const int hw = 224 * 224;
        var oursHwc = new float[3 * hw];
        var oursProduct = new float[3 * hw];
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < hw; p++)
            {
                oursHwc[3 * p + c] = ours.Guided![c * hw + p];
                oursProduct[3 * p + c] = ours.Guided[c * hw + p] * ours.Map[p];
            }
        double scale = guided.Max(Math.Abs);
        Assert.True(scale > 0);
        Assert.True(MaxDifference(guided, oursHwc) < 1e-4, $"guided gradients differ by {MaxDifference(guided, oursHwc)} (largest {scale})");
        Assert.True(MaxDifference(product, oursProduct) < 1e-4, $"Guided Grad-CAM differs by {MaxDifference(product, oursProduct)}");
    }
}
