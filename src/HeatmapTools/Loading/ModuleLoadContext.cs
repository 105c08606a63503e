using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace HeatmapTools.Loading;

/// <summary>
/// Holds the engine and everything it depends on (TorchSharp, OpenCvSharp, CsvHelper, SkiaSharp, Protobuf)
/// apart from PowerShell's own context, so other modules' copies never clash with ours, and resolves their
/// native libraries from this module's own runtimes folder, where PowerShell's default probing never looks.
/// </summary>
internal sealed class ModuleLoadContext : AssemblyLoadContext
{
    private readonly string _assemblyDirectory;
    private readonly string _nativeDirectory;

    public ModuleLoadContext(string assemblyDirectory) : base("HeatmapTools", isCollectible: false)
    {
        _assemblyDirectory = assemblyDirectory;
        _nativeDirectory = Path.Combine(assemblyDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native");
        if (!Directory.Exists(_nativeDirectory))
            _nativeDirectory = Path.Combine(assemblyDirectory, "runtimes", PortableRid(), "native");
    }

    public string NativeDirectory => _nativeDirectory;

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        string candidate = Path.Combine(_assemblyDirectory, assemblyName.Name + ".dll");
        return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        foreach (var candidate in NativeCandidates(unmanagedDllName))
        {
            string full = Path.Combine(_nativeDirectory, candidate);
            if (File.Exists(full)) return LoadUnmanagedDllFromPath(full);
        }
        return IntPtr.Zero;
    }

    private static IEnumerable<string> NativeCandidates(string name)
    {
        yield return name;
        if (OperatingSystem.IsWindows())
        {
            yield return name + ".dll";
        }
        else
        {
            string ext = OperatingSystem.IsMacOS() ? ".dylib" : ".so";
            yield return name + ext;
            yield return "lib" + name + ext;
        }
    }

    private static string PortableRid()
    {
        string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        string arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        return $"{os}-{arch}";
    }
}
