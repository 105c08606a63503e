using System.Runtime.InteropServices;
using TorchSharp;

namespace HeatmapTools.Engine.Arithmetic;

/// <summary>
/// Sets libtorch's process-wide kernel switches, which TorchSharp does not expose: at::Context's oneDNN and NNPACK
/// flags (C++ members exported by libtorch_cpu) and oneDNN's ISA cap, an environment variable oneDNN reads once, at
/// its first primitive. Applied before libtorch's first operation, so every kernel the process creates obeys them.
/// </summary>
internal static unsafe class TorchSwitches
{
    private const string IsaVariable = "ONEDNN_MAX_CPU_ISA";

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv(string name, string value, int overwrite);

    [DllImport("libc", EntryPoint = "unsetenv")]
    private static extern int UnsetEnv(string name);

    /// <summary>Applies <paramref name="backend"/>; returns what libtorch then reports (oneDNN on or off).</summary>
    public static bool Apply(TorchBackend backend)
    {
        // .NET keeps its own copy of the environment on Unix: oneDNN reads the C library's.
        if (!OperatingSystem.IsWindows())
        {
            if (backend.MaxIsa is { } isa) SetEnv(IsaVariable, isa, 1);
            else UnsetEnv(IsaVariable);
        }
        Environment.SetEnvironmentVariable(IsaVariable, backend.MaxIsa);

        // Loads TorchSharp's natives (and through them libtorch_cpu) without running an operation.
        _ = torch.get_num_threads();
        var library = Library();
        var context = ((delegate* unmanaged<IntPtr>)Export(library, "_ZN2at13globalContextEv"))();
        ((delegate* unmanaged<IntPtr, byte, void>)Export(library, "_ZN2at7Context20setUserEnabledMkldnnEb"))(context, backend.OneDnn ? (byte)1 : (byte)0);
        // NNPACK has no kernels for many processors and says so on stderr, several times a command, past every
        // PowerShell preference (a background job reads that as its own failure). libtorch's other kernels cover it.
        ((delegate* unmanaged<IntPtr, byte, void>)Export(library, "_ZN2at7Context20setUserEnabledNNPACKEb"))(context, 0);
        return ((delegate* unmanaged<IntPtr, byte>)Export(library, "_ZNK2at7Context17userEnabledMkldnnEv"))(context) != 0;
    }

    private static IntPtr Library()
    {
        // Already loaded by TorchSharp's shim: the loader hands back that copy by its name.
        foreach (var name in new[] { "libtorch_cpu.so", "libtorch_cpu.dylib", "torch_cpu.dll" })
            if (NativeLibrary.TryLoad(name, out var handle)) return handle;
        throw new DllNotFoundException("libtorch_cpu is not loaded in this process.");
    }

    private static IntPtr Export(IntPtr library, string symbol) =>
        NativeLibrary.TryGetExport(library, symbol, out var address) ? address
            : throw new EntryPointNotFoundException($"libtorch_cpu exports no {symbol}.");
}
