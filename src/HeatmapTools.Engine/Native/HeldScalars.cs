using System.Collections.Concurrent;
using TorchSharp;

namespace HeatmapTools.Engine.Native;

/// <summary>
/// libtorch Scalars made once and held for the life of the process. TorchSharp frees a Scalar in its finalizer, and one
/// made for a single call (a number where a Scalar is taken, or the alpha TorchSharp passes for <c>a + b</c>) is
/// unreachable as soon as its handle is read: a collection started by another thread during the call can free it while
/// libtorch reads it ("Unknown scalar type", or Scalar::toDouble's "Expected false to be true"; ScalarLifetimeTests).
/// Code that makes many calls while other threads run takes its Scalars from here, which are never finalized.
/// </summary>
internal static class HeldScalars
{
    private static readonly ConcurrentDictionary<double, Scalar> Doubles = new();
    private static readonly ConcurrentDictionary<long, Scalar> Longs = new();

    /// <summary>The integral 1: the alpha of an addition, valid for tensors of any type.</summary>
    public static Scalar One { get; } = Of(1L);

    /// <summary>A constant; the set of values asked for must be small (each is kept).</summary>
    public static Scalar Of(double value) => Doubles.GetOrAdd(value, v => v.ToScalar());

    /// <inheritdoc cref="Of(double)"/>
    public static Scalar Of(long value) => Longs.GetOrAdd(value, v => v.ToScalar());
}
