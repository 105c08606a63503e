using System.Runtime.CompilerServices;
using HeatmapTools.Engine.Arithmetic;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Tests;

/// <summary>Every test in this assembly computes under the configuration the module would choose on this processor.</summary>
internal static class ArithmeticSetup
{
    [ModuleInitializer]
    internal static void ApplyBeforeAnyTensor()
    {
        Native.NativeOrder.BeforeOpenCv();
        ArithmeticCheck.EnsureApplied();
    }
}

/// <summary>The arithmetic check: that the configuration in force is right here, and how verdicts are reached.</summary>
public class ArithmeticCheckTests
{
    [Fact]
    public void The_configuration_in_force_gives_float64s_results_on_every_case_on_this_processor()
    {
        var verdict = ArithmeticCheck.Applied;
        Assert.NotNull(verdict);
        // Run here, in this process, as the models run: not in the child that chose it.
        var results = ArithmeticSuite.Run(timedRepeats: 0);
        Assert.Equal(ArithmeticSuite.Cases.Count, results.Count);
        var wrong = results.Where(r => !(r.Error <= ArithmeticSuite.Tolerance)).Select(r => $"{r.Name} {r.WorstOutput} off by {r.Error:G3}").ToList();
        Assert.True(wrong.Count == 0, $"{verdict!.Chosen} ({verdict.Source}) on {verdict.Cpu}: " + string.Join("; ", wrong));
    }

    [Fact]
    public void A_kernel_that_rounds_to_half_precision_is_caught()
    {
        // A convolution computed in float16 when asked for float32: the error (about 1e-3 of the scale) a wrong kernel makes.
        var roundsToHalf = new ArithmeticSuite.Case("conv3x3_in_half", g =>
            [randn([1, 64, 14, 14], ScalarType.Float64, generator: g), randn([64, 64, 3, 3], ScalarType.Float64, generator: g) / 24.0],
            t => t[0].dtype == ScalarType.Float32
                ? nn.functional.conv2d(t[0].to(ScalarType.Float16).to(ScalarType.Float32), t[1].to(ScalarType.Float16).to(ScalarType.Float32), padding: [1, 1])
                : nn.functional.conv2d(t[0], t[1], padding: [1, 1]));
        var result = ArithmeticSuite.RunCase(roundsToHalf, 0);
        Assert.True(result.Error > ArithmeticSuite.Tolerance, $"a half-precision convolution passed with error {result.Error}");

        var right = roundsToHalf with { Forward = t => nn.functional.conv2d(t[0], t[1], padding: [1, 1]) };
        Assert.True(ArithmeticSuite.RunCase(right, 0).Error <= ArithmeticSuite.Tolerance);
    }

    [Fact]
    public void A_nan_is_as_wrong_as_can_be()
    {
        var nan = new ArithmeticSuite.Case("nan", g => [randn([8, 8], ScalarType.Float64, generator: g)],
            t => t[0].dtype == ScalarType.Float32 ? t[0] * float.NaN : t[0] * 2);
        Assert.True(double.IsPositiveInfinity(ArithmeticSuite.RunCase(nan, 0).Error));
    }

    [Fact]
    public void A_candidate_that_crashes_is_a_verdict_naming_the_signal_and_the_case()
    {
        string crashAt = ArithmeticSuite.Cases[2].Name;
        Environment.SetEnvironmentVariable(CheckChild.CrashVariable, crashAt);
        CandidateVerdict verdict;
        try { verdict = ArithmeticCheck.RunChild(TorchBackend.Off); }
        finally { Environment.SetEnvironmentVariable(CheckChild.CrashVariable, null); }
        Assert.False(verdict.Right);
        Assert.Contains("SIGFPE", verdict.Failure);
        Assert.Contains(crashAt, verdict.Failure);
    }

    private static CandidateVerdict Passed(TorchBackend b, double ms) => new(b.Name, b.Description, true, 1e-6, "conv", ms, null);
    private static CandidateVerdict Crashed(TorchBackend b) => new(b.Name, b.Description, false, double.NaN, null, 0, "crashed: the process was killed by SIGFPE in conv1x1_64to16_55");
    private static CandidateVerdict Wrong(TorchBackend b) => new(b.Name, b.Description, false, 3e-2, "conv3x3_512to512_14", 900, null);

    [Fact]
    public void Where_oneDNN_crashes_the_fastest_right_configuration_is_chosen_and_the_fallback_names_the_cpu_and_the_reason()
    {
        var verdict = ArithmeticCheck.Check("Test CPU family 26", "sig", "torch", b =>
            b == TorchBackend.Off ? Passed(b, 900) : b == TorchBackend.Sse41 ? Passed(b, 1200) : b == TorchBackend.Avx2 ? Wrong(b) : Crashed(b));
        Assert.Equal(TorchBackend.Off.Name, verdict.Chosen);
        Assert.Contains("Test CPU family 26", verdict.FallbackWarning);
        Assert.Contains("SIGFPE", verdict.FallbackWarning);

        // Only where libtorch's own kernels fail too is a held-back oneDNN taken.
        var only = ArithmeticCheck.Check("cpu", "sig", "torch", b => b == TorchBackend.Sse41 ? Passed(b, 500) : b == TorchBackend.Off ? Wrong(b) : Crashed(b));
        Assert.Equal(TorchBackend.Sse41.Name, only.Chosen);
    }

    [Fact]
    public void Where_oneDNN_as_shipped_is_wrong_no_held_back_oneDNN_replaces_libtorchs_own_kernels_however_fast()
    {
        // Measured on a Zen 5 VM: SSE4.1 passed the suite, timed faster than oneDNN off under load, and then computed
        // SqueezeNet's input gradient 0.47 % off on two threads (resnext50 GradCAM++ 2.6e-4 off; efficientnet_b6 failed in libtorch).
        foreach (double ms in new[] { 800.0, 590, 100 })
        {
            var verdict = ArithmeticCheck.Check("cpu", "sig", "torch", b =>
                b == TorchBackend.Sse41 || b == TorchBackend.Avx2 ? Passed(b, ms) : b == TorchBackend.Off ? Passed(b, 900) : Crashed(b));
            Assert.Equal(TorchBackend.Off.Name, verdict.Chosen);
        }
    }

    [Fact]
    public void Where_oneDNN_as_shipped_is_right_and_as_fast_it_is_kept_without_a_warning()
    {
        var verdict = ArithmeticCheck.Check("cpu", "sig", "torch", b => Passed(b, b == TorchBackend.Shipped ? 1000 : b == TorchBackend.Off ? 950 : 1500));
        Assert.Equal(TorchBackend.Shipped.Name, verdict.Chosen);
        Assert.Null(verdict.FallbackWarning);
        // Clearly faster wins even over the shipped configuration, still without a warning: nothing was wrong.
        var off = ArithmeticCheck.Check("cpu", "sig", "torch", b => Passed(b, b == TorchBackend.Off ? 500 : 1000));
        Assert.Equal(TorchBackend.Off.Name, off.Chosen);
        Assert.Null(off.FallbackWarning);
    }

    [Fact]
    public void Where_no_candidate_passes_the_configuration_right_everywhere_is_used_and_said()
    {
        var verdict = ArithmeticCheck.Check("cpu", "sig", "torch", b => new CandidateVerdict(b.Name, b.Description, false, double.NaN, null, 0, "could not be started: no host"));
        Assert.Equal(TorchBackend.RightEverywhere.Name, verdict.Chosen);
        Assert.Equal("Fallback", verdict.Source);
        Assert.Contains("could not check", verdict.FallbackWarning);
    }

    [Fact]
    public void A_verdict_is_cached_per_signature_and_a_forced_backend_or_a_recheck_overrides_it()
    {
        string folder = Path.Combine(Path.GetTempPath(), "ht-arith-" + Guid.NewGuid().ToString("N"));
        string file = Path.Combine(folder, "verdict.json");
        int runs = 0;
        CandidateVerdict Run(TorchBackend b) { Interlocked.Increment(ref runs); return b == TorchBackend.Off ? Passed(b, 1) : Crashed(b); }
        try
        {
            var first = ArithmeticCheck.Decide(file, Run);
            Assert.Equal(("Checked", TorchBackend.Candidates.Count), (first.Source, runs));
            Assert.Equal(file, first.CachePath);
            var second = ArithmeticCheck.Decide(file, Run);
            Assert.Equal(("Cached", TorchBackend.Off.Name, TorchBackend.Candidates.Count), (second.Source, second.Chosen, runs));
            Assert.NotNull(second.FallbackWarning);

            // A cache written for another processor or libtorch is not trusted.
            File.WriteAllText(file, File.ReadAllText(file).Replace(first.Signature, new string('0', 64)));
            Assert.Equal("Checked", ArithmeticCheck.Decide(file, Run).Source);
            Assert.Equal(2 * TorchBackend.Candidates.Count, runs);

            Environment.SetEnvironmentVariable(ArithmeticCheck.BackendVariable, "onednnsse41");
            var forced = ArithmeticCheck.Decide(file, Run);
            Assert.Equal(("Forced", TorchBackend.Sse41.Name), (forced.Source, forced.Chosen));
            Assert.Contains("crashed", forced.FallbackWarning);
            Environment.SetEnvironmentVariable(ArithmeticCheck.BackendVariable, "NoOneDnn");
            Assert.Null(ArithmeticCheck.Decide(file, Run).FallbackWarning);
            Environment.SetEnvironmentVariable(ArithmeticCheck.BackendVariable, "Check");
            Assert.Equal("Checked", ArithmeticCheck.Decide(file, Run).Source);
            Assert.Equal(3 * TorchBackend.Candidates.Count, runs);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ArithmeticCheck.BackendVariable, null);
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
        }
    }
}
