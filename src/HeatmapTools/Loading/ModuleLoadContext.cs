using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace HeatmapTools.Loading;

/// <summary>
/// Holds the engine and everything it depends on (TorchSharp, OpenCvSharp, CsvHelper, SkiaSharp, Protobuf)
/// apart from PowerShell's own context, so other modules' copies never clash with ours, and resolves their
/// native libraries from this module's own runtimes folder, where PowerShell's default probing never looks.
/// </summary>
public sealed class ModuleLoadContext : AssemblyLoadContext
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
        // Shared with the cmdlets: PowerShell's context answers, so a value made on one side is the same type on the other.
        if (assemblyName.Name == ModuleInitializer.ContractsAssembly) return null;
        string candidate = Path.Combine(_assemblyDirectory, assemblyName.Name + ".dll");
        return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        // Whichever cmdlet touches OpenCV first, the system's codecs are loaded before it (see NativeOrder).
        if (unmanagedDllName.Contains("OpenCvSharpExtern", StringComparison.Ordinal)) Engine.Native.NativeOrder.BeforeOpenCv();
        string platform = OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        foreach (var candidate in NativeFileNames(unmanagedDllName, platform))
        {
            string full = Path.Combine(_nativeDirectory, candidate);
            if (File.Exists(full)) return LoadUnmanagedDllFromPath(full);
        }
        return IntPtr.Zero;
    }

    /// <summary>
    /// The file names a native library asked for by <paramref name="name"/> (as a DllImport names it) may have on
    /// <paramref name="platform"/> (linux, windows or osx), in the order they are tried. Public for the loader's tests.
    /// </summary>
    public static IReadOnlyList<string> NativeFileNames(string name, string platform)
    {
        var names = new List<string> { name };
        if (platform == "windows")
        {
            if (!name.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) names.Add(name + ".dll");
        }
        else
        {
            string ext = platform == "osx" ? ".dylib" : ".so";
            if (!name.EndsWith(ext, StringComparison.Ordinal)) names.Add(name + ext);
            if (!name.StartsWith("lib", StringComparison.Ordinal)) names.Add("lib" + name + (name.EndsWith(ext, StringComparison.Ordinal) ? "" : ext));
        }
        return names;
    }

    private static string PortableRid()
    {
        string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        string arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        return $"{os}-{arch}";
    }
}
