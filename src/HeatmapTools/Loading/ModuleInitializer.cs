using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace HeatmapTools.Loading;

/// <summary>
/// Runs when PowerShell imports the module: sends every request for one of the module's dependencies to
/// <see cref="ModuleLoadContext"/>. One context serves the whole process, so a re-import or a second runspace
/// reuses the loaded engine (native libraries cannot be unloaded anyway).
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly object Gate = new();
    private static ModuleLoadContext? _context;
    private static bool _hooked;

    internal static string DependencyDirectory { get; } =
        Path.Combine(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!, "deps");

    internal static ModuleLoadContext Context
    {
        get
        {
            lock (Gate)
            {
                return _context ??= new ModuleLoadContext(DependencyDirectory);
            }
        }
    }

    public void OnImport()
    {
        lock (Gate)
        {
            if (_hooked) return;
            AssemblyLoadContext.Default.Resolving += ResolveIntoModuleContext;
            _hooked = true;
        }
    }

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        lock (Gate)
        {
            AssemblyLoadContext.Default.Resolving -= ResolveIntoModuleContext;
            _hooked = false;
        }
    }

    private static Assembly? ResolveIntoModuleContext(AssemblyLoadContext defaultContext, AssemblyName name)
    {
        // Only the engine is answered here. The cmdlets use engine types alone (a Pester test reads this assembly's
        // references), so TorchSharp, OpenCvSharp and the rest are only ever loaded by the engine, through its own
        // context, even when another module has put its own copy of one of them into PowerShell's context.
        if (name.Name == EngineAssembly) return Context.LoadFromAssemblyName(name);
        // The contracts both sides speak live here, in PowerShell's context, beside this assembly (the manifest loads
        // them first; this answers a host that did not).
        if (name.Name == ContractsAssembly)
            return defaultContext.LoadFromAssemblyPath(Path.Combine(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!, ContractsAssembly + ".dll"));
        return null;
    }

    private const string EngineAssembly = "HeatmapTools.Engine";

    /// <summary>The assembly of types the cmdlets and the engine share; the module's own context never loads a copy.</summary>
    internal const string ContractsAssembly = "HeatmapTools.Contracts";
}
