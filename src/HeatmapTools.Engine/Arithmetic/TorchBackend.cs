namespace HeatmapTools.Engine.Arithmetic;

/// <summary>
/// One way libtorch can be told to compute on the CPU: oneDNN as shipped, oneDNN held to an older instruction set
/// (ONEDNN_MAX_CPU_ISA), or oneDNN off (libtorch's own kernels and its BLAS). Which of them is right depends on the
/// processor: on a Zen 5 VM oneDNN's brgemm kernels divide by a cache size of zero or compute wrong sums.
/// </summary>
public sealed record TorchBackend(string Name, bool OneDnn, string? MaxIsa, string Description)
{
    public static TorchBackend Shipped { get; } = new("OneDnn", true, null, "oneDNN as shipped");
    public static TorchBackend Avx512Core { get; } = new("OneDnnAvx512Core", true, "AVX512_CORE", "oneDNN held to AVX-512 (ONEDNN_MAX_CPU_ISA=AVX512_CORE)");
    public static TorchBackend Avx2 { get; } = new("OneDnnAvx2", true, "AVX2", "oneDNN held to AVX2 (ONEDNN_MAX_CPU_ISA=AVX2)");
    public static TorchBackend Sse41 { get; } = new("OneDnnSse41", true, "SSE41", "oneDNN held to SSE4.1 (ONEDNN_MAX_CPU_ISA=SSE41)");
    public static TorchBackend Off { get; } = new("NoOneDnn", false, null, "oneDNN off: libtorch's own kernels");

    /// <summary>Every configuration the check tries, in order of preference when two are equally fast.</summary>
    public static IReadOnlyList<TorchBackend> Candidates { get; } = [Shipped, Avx512Core, Avx2, Sse41, Off];

    /// <summary>
    /// The configuration used when the check cannot run: libtorch's own kernels were right on every processor tried,
    /// where oneDNN as shipped crashed on one and held to SSE4.1 computed wrong on it.
    /// </summary>
    public static TorchBackend RightEverywhere => Off;

    public static TorchBackend? Find(string name) =>
        Candidates.FirstOrDefault(c => c.Name.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase));

    public override string ToString() => Name;
}
