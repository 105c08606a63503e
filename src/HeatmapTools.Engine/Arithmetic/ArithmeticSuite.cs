using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Arithmetic;

/// <summary>One case's verdict: the largest error of its float32 outputs (forward and gradients) against float64.</summary>
public sealed record CaseResult(string Name, double Error, string WorstOutput, double Milliseconds);

/// <summary>
/// The operations the model families and ONNX graphs run, at the shapes where libraries switch kernels, computed in
/// float32 the way the engine computes them and in float64, whose kernels oneDNN does not provide (libtorch's own
/// convolution and BLAS's dgemm), so a wrong float32 kernel cannot agree with its own reference. Inputs are normal
/// and weights scaled by their fan-in, so every output's largest magnitude is of order one and a relative error
/// cannot hide behind a vanishing scale.
/// </summary>
public static class ArithmeticSuite
{
    /// <summary>
    /// Largest error a right float32 kernel makes here, relative to the output's largest magnitude: float32 sums of up
    /// to 4,608 products stay near 1e-6; the wrong kernels seen were off by 1e-3 to 5e-2.
    /// </summary>
    public const double Tolerance = 1e-4;

    /// <summary>Bumped whenever the cases or the rule choosing among them change, so a cached verdict made otherwise is not trusted.</summary>
    public const int Version = 3;

    internal sealed record Case(string Name, Func<Generator, Tensor[]> Inputs, Func<Tensor[], Tensor> Forward, int GradientInputs = 1);

    private static Tensor Normal(Generator g, params long[] shape) => randn(shape, ScalarType.Float64, generator: g);

    private static Tensor Weight(Generator g, params long[] shape) =>
        randn(shape, ScalarType.Float64, generator: g) / Math.Sqrt(shape.Skip(1).Aggregate(1L, (a, b) => a * b));

    private static Case Conv(string name, long n, long cin, long h, long w, long cout, long kh, long kw, long stride = 1,
        long padH = -1, long padW = -1, long dilation = 1, long groups = 1, bool channelsLast = true, int gradients = 1)
    {
        padH = padH < 0 ? dilation * (kh - 1) / 2 : padH;
        padW = padW < 0 ? dilation * (kw - 1) / 2 : padW;
        return new Case(name + (channelsLast ? "" : "_nchw"),
            g => [Normal(g, n, cin, h, w), Weight(g, cout, cin / groups, kh, kw), Normal(g, cout) * 0.1],
            t =>
            {
                var x = channelsLast ? Models.ChannelsLast.Of(t[0]) : t[0];
                var weight = channelsLast ? Models.ChannelsLast.Of(t[1]) : t[1];
                return nn.functional.conv2d(x, weight, t[2], strides: [stride, stride], padding: [padH, padW],
                    dilation: [dilation, dilation], groups: groups);
            }, gradients);
    }

    /// <summary>The cases, cheapest first, so a crash names the smallest shape that crashes.</summary>
    internal static IReadOnlyList<Case> Cases { get; } =
    [
        // 1x1 convolutions: ResNet bottlenecks, DenseNet transitions, SqueezeNet squeezes, projections with stride 2.
        Conv("conv1x1_64to16_55", 1, 64, 55, 55, 16, 1, 1),
        Conv("conv1x1_2048to512_7", 1, 2048, 7, 7, 512, 1, 1),
        Conv("conv1x1_512to2048_7", 1, 512, 7, 7, 2048, 1, 1, gradients: 2),
        Conv("conv1x1_1024to256_14", 1, 1024, 14, 14, 256, 1, 1),
        Conv("conv1x1_544to128_28", 1, 544, 28, 28, 128, 1, 1),
        Conv("conv1x1_512to128_28", 1, 512, 28, 28, 128, 1, 1, channelsLast: false),
        Conv("conv1x1_256to512_56_s2", 1, 256, 56, 56, 512, 1, 1, stride: 2),
        Conv("conv1x1_64to256_56", 1, 64, 56, 56, 256, 1, 1),
        Conv("conv1x1_256to64_56", 1, 256, 56, 56, 64, 1, 1),
        Conv("conv1x1_batch8_256to64_28", 8, 256, 28, 28, 64, 1, 1),
        // 3x3 convolutions: ResNet, VGG (at two of its sizes), strided, batched as Score-CAM batches masked images.
        Conv("conv3x3_512to512_7", 1, 512, 7, 7, 512, 3, 3),
        Conv("conv3x3_512to512_14", 1, 512, 14, 14, 512, 3, 3, gradients: 2),
        Conv("conv3x3_256to256_14", 1, 256, 14, 14, 256, 3, 3, channelsLast: false),
        Conv("conv3x3_128to128_28", 1, 128, 28, 28, 128, 3, 3),
        Conv("conv3x3_128to128_56_s2", 1, 128, 56, 56, 128, 3, 3, stride: 2),
        Conv("conv3x3_64to64_56", 1, 64, 56, 56, 64, 3, 3),
        Conv("conv3x3_256to256_56", 1, 256, 56, 56, 256, 3, 3),
        Conv("conv3x3_batch8_256to256_14", 8, 256, 14, 14, 256, 3, 3),
        Conv("conv3x3_3to32_224_s2", 1, 3, 224, 224, 32, 3, 3, stride: 2),
        Conv("conv3x3_3to64_224", 1, 3, 224, 224, 64, 3, 3),
        Conv("conv3x3_128to128_112", 1, 128, 112, 112, 128, 3, 3),
        Conv("conv3x3_512to512_28", 1, 512, 28, 28, 512, 3, 3),
        // Stems and odd kernels: ResNet's 7x7/2, Inception's 1x7 and 7x1, GoogLeNet's 5x5.
        Conv("conv7x7_3to64_224_s2", 1, 3, 224, 224, 64, 7, 7, stride: 2),
        Conv("conv1x7_128to128_17", 1, 128, 17, 17, 128, 1, 7),
        Conv("conv7x1_128to192_17", 1, 128, 17, 17, 192, 7, 1),
        Conv("conv5x5_32to64_28", 1, 32, 28, 28, 64, 5, 5),
        // Grouped (ResNeXt) and depthwise (MobileNet, EfficientNet, ConvNeXt) convolutions.
        Conv("conv3x3_g32_256to256_28", 1, 256, 28, 28, 256, 3, 3, groups: 32),
        Conv("conv3x3_g32_1024to1024_7", 1, 1024, 7, 7, 1024, 3, 3, groups: 32),
        Conv("dw3x3_32_112", 1, 32, 112, 112, 32, 3, 3, groups: 32),
        Conv("dw3x3_144_56_s2", 1, 144, 56, 56, 144, 3, 3, stride: 2, groups: 144),
        Conv("dw5x5_672_14", 1, 672, 14, 14, 672, 5, 5, groups: 672),
        Conv("dw7x7_96_56", 1, 96, 56, 56, 96, 7, 7, groups: 96),
        // Dilated convolutions: DeepLab's last stages and ASPP.
        Conv("conv3x3_d2_512to512_28", 1, 512, 28, 28, 512, 3, 3, dilation: 2),
        Conv("conv3x3_d12_256to256_28", 1, 256, 28, 28, 256, 3, 3, dilation: 12),
        // Linear layers and attention: classifier heads, ViT and Swin blocks.
        new("linear_2048to1000", g => [Normal(g, 1, 2048), Weight(g, 1000, 2048), Normal(g, 1000) * 0.1],
            t => nn.functional.linear(t[0], t[1], t[2]), 2),
        new("linear_25088to512", g => [Normal(g, 1, 25088), Weight(g, 512, 25088), Normal(g, 512) * 0.1],
            t => nn.functional.linear(t[0], t[1], t[2])),
        new("linear_4096to4096", g => [Normal(g, 1, 4096), Weight(g, 4096, 4096), Normal(g, 4096) * 0.1],
            t => nn.functional.linear(t[0], t[1], t[2])),
        new("linear_197x768to3072", g => [Normal(g, 1, 197, 768), Weight(g, 3072, 768), Normal(g, 3072) * 0.1],
            t => nn.functional.linear(t[0], t[1], t[2])),
        new("matmul_attention_12x197x64", g => [Normal(g, 1, 12, 197, 64), Normal(g, 1, 12, 197, 64)],
            t => nn.functional.softmax(matmul(t[0] * 0.125, t[1].transpose(-2, -1)), -1), 2),
        // Normalisations and pooling, in eval mode as the engine runs them.
        new("batchnorm_256_56", g => [Normal(g, 1, 256, 56, 56), Normal(g, 256), rand(256, ScalarType.Float64, generator: g) + 0.5, Normal(g, 256), Normal(g, 256)],
            t => nn.functional.batch_norm(Models.ChannelsLast.Of(t[0]), t[1], t[2], t[3], t[4], training: false)),
        new("layernorm_197x768", g => [Normal(g, 1, 197, 768), Normal(g, 768), Normal(g, 768)],
            t => nn.functional.layer_norm(t[0], [768], t[1], t[2])),
        new("maxpool3x3_s2_64_112", g => [Normal(g, 1, 64, 112, 112)],
            t => nn.functional.max_pool2d(Models.ChannelsLast.Of(t[0]), [3, 3], [2, 2], [1, 1])),
        new("avgpool_adaptive_2048_7", g => [Normal(g, 1, 2048, 7, 7)],
            t => nn.functional.adaptive_avg_pool2d(Models.ChannelsLast.Of(t[0]), [1, 1])),
        new("maxpool2x2_64_224", g => [Normal(g, 1, 64, 224, 224)],
            t => nn.functional.max_pool2d(Models.ChannelsLast.Of(t[0]), [2, 2], [2, 2])),
        new("avgpool2x2_256_28", g => [Normal(g, 1, 256, 28, 28)],
            t => nn.functional.avg_pool2d(Models.ChannelsLast.Of(t[0]), [2, 2], [2, 2])),
    ];

    /// <summary>
    /// Runs every case in this process under whatever configuration is in force, reporting each before and after it
    /// runs (so a crash names its case). The float32 passes are timed; the float64 references are not.
    /// </summary>
    public static IReadOnlyList<CaseResult> Run(Action<string>? starting = null, Action<CaseResult>? finished = null, int timedRepeats = 3)
    {
        var results = new List<CaseResult>();
        foreach (var item in Cases)
        {
            starting?.Invoke(item.Name);
            var result = RunCase(item, timedRepeats);
            finished?.Invoke(result);
            results.Add(result);
        }
        return results;
    }

    internal static CaseResult RunCase(Case item, int timedRepeats)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(20261204);
        var inputs = item.Inputs(generator);
        var first = (Tensor)inputs[0];
        long outputs = 0;
        // The upstream gradient is drawn once the output's shape is known, from the same generator for both passes.
        Tensor? upstream = null;
        Tensor[] Pass(ScalarType type)
        {
            var cast = inputs.Select((t, i) => i < item.GradientInputs ? t.to(type).detach().requires_grad_(true) : t.to(type)).ToArray();
            // (The float32 inputs are made once, before the timed passes, so .to() is free there.)
            var y = item.Forward(cast);
            upstream ??= randn(y.shape, ScalarType.Float64, generator: generator);
            y.backward([upstream.to(type)]);
            outputs = 1 + item.GradientInputs;
            return [y.detach(), .. cast.Take(item.GradientInputs).Select(t => t.grad!.detach())];
        }
        var reference = Pass(ScalarType.Float64);
        inputs = inputs.Select(t => t.to(ScalarType.Float32)).ToArray();
        // Once untimed: oneDNN creates its primitives on first use, which is where a bad one crashes.
        var single = Pass(ScalarType.Float32);
        var times = new List<double>();
        for (int r = 0; r < timedRepeats; r++)
        {
            var watch = Stopwatch.StartNew();
            using (NewDisposeScope()) _ = Pass(ScalarType.Float32);
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        double worst = 0;
        string worstName = "";
        string[] names = ["output", .. Enumerable.Range(0, item.GradientInputs).Select(i => i == 0 ? "input gradient" : i == 1 ? "weight gradient" : $"gradient {i}")];
        for (int i = 0; i < outputs; i++)
        {
            var expected = reference[i];
            var scale = expected.abs().max().item<double>();
            var error = (single[i].to(ScalarType.Float64) - expected).abs().max().item<double>() / Math.Max(scale, 1e-30);
            // A NaN or an infinity anywhere is as wrong as can be.
            if (double.IsNaN(error) || double.IsInfinity(error)) error = double.PositiveInfinity;
            if (error > worst || double.IsPositiveInfinity(error)) { worst = error; worstName = names[i]; }
        }
        return new CaseResult(item.Name, worst, worstName, times.Count == 0 ? 0 : times[times.Count / 2]);
    }
}
