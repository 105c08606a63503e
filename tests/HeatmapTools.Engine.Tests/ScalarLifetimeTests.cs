using HeatmapTools.Engine.Trust;
using Xunit;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Tests;

/// <summary>
/// TorchSharp 0.107 frees a Scalar in its finalizer, and a Scalar made for one call (a number passed where a Scalar is
/// taken, or the alpha of <c>a + b</c>) is unreachable once its handle is read: a collection triggered by another thread
/// can free it while libtorch still reads it ("Unknown scalar type", "Expected false to be true" from Scalar::toLong).
/// Loops that make hundreds of thousands of such calls hold their Scalars themselves; these tests run them while
/// another thread collects without pause, which made the imputer fail within seconds before it did.
/// </summary>
public class ScalarLifetimeTests
{
    private static T UnderCollections<T>(Func<T> work)
    {
        var done = 0;
        var collector = new Thread(() => { while (Volatile.Read(ref done) == 0) { GC.Collect(); GC.WaitForPendingFinalizers(); } });
        collector.Start();
        try { return work(); }
        finally { Volatile.Write(ref done, 1); collector.Join(); }
    }

    [Fact]
    public void ROAD_imputation_survives_collections_on_other_threads()
    {
        const int h = 20, w = 20, threads = 4, rounds = 300;
        var random = new Random(11);
        var image = Enumerable.Range(0, 3 * h * w).Select(_ => (float)random.NextDouble()).ToArray();
        // A large removed block: the CG needs many iterations, each a dozen elementwise calls.
        var kept = Enumerable.Range(0, h * w).Select(i => i / w is > 2 and < 18 && i % w is > 3 and < 17 ? 0f : 1f).ToArray();
        float[] Impute()
        {
            using var scope = NewDisposeScope();
            return NoisyLinearImputer.Impute(tensor(image, new long[] { 1, 3, h, w }), tensor(kept, new long[] { 1, h, w }), 0, null, CancellationToken.None)
                .data<float>().ToArray();
        }
        var expected = Impute();
        var results = UnderCollections(() =>
            Enumerable.Range(0, threads).Select(_ => Task.Run(() => Enumerable.Range(0, rounds).Select(_ => Impute()).ToArray())).ToArray()
                .Select(t => t.GetAwaiter().GetResult()).SelectMany(r => r).ToArray());
        Assert.Equal(threads * rounds, results.Length);
        foreach (var result in results)
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - result[i]) < 1e-6, $"pixel {i}: {expected[i]} alone, {result[i]} under collections");
    }
}
