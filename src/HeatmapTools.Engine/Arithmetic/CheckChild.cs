using System.Globalization;
using System.Runtime.InteropServices;

namespace HeatmapTools.Engine.Arithmetic;

/// <summary>
/// The child process's side of the check: applies one configuration exactly as the module applies its choice, runs
/// the suite and reports each case on a line of its own as it goes, so a crash leaves the name of the case it died in.
/// </summary>
public static class CheckChild
{
    public const string StartLine = "start";
    public const string CaseLine = "case";
    public const string DoneLine = "done";
    public const string CrashVariable = "HEATMAPTOOLS_TEST_CHECK_CRASH_AT";

    [DllImport("libc", EntryPoint = "signal")]
    private static extern IntPtr Signal(int signal, IntPtr handler);

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    public static int Main(string[] args)
    {
        if (args.Length < 1 || TorchBackend.Find(args[0]) is not { } backend)
        {
            Console.Error.WriteLine($"usage: HeatmapTools.ArithmeticCheck <{string.Join('|', TorchBackend.Candidates)}>");
            return 2;
        }
        ResolveNativesBesideThisAssembly();
        var output = Console.Out;
        bool oneDnn = TorchSwitches.Apply(backend);
        output.WriteLine($"backend {backend.Name} onednn={oneDnn}");
        output.Flush();
        // A test hook: the child dies as oneDNN does on some processors, at the case named, so the tests can watch a
        // crash become a verdict on any machine.
        string? crashAt = Environment.GetEnvironmentVariable(CrashVariable);
        ArithmeticSuite.Run(
            name =>
            {
                output.WriteLine($"{StartLine} {name}");
                output.Flush();
                if (name == crashAt)
                {
                    // .NET turns SIGFPE into exceptions: the default action, as for a fault in native code, is restored first.
                    Signal(8, IntPtr.Zero);
                    Kill(Environment.ProcessId, 8);
                }
            },
            result =>
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{CaseLine} {result.Name} {result.Error:R} {result.Milliseconds:R} {result.WorstOutput.Replace(' ', '_')}"));
                output.Flush();
            });
        output.WriteLine(DoneLine);
        output.Flush();
        return 0;
    }

    /// <summary>
    /// In the module the natives sit under bin/deps/runtimes/RID/native, which only the module's own load context
    /// knows. The child loads them from there by full path before TorchSharp asks by name, so the loader hands back
    /// these copies and never another libtorch the system may have (Debian's python3-torch installs one).
    /// </summary>
    private static void ResolveNativesBesideThisAssembly()
    {
        string here = Path.GetDirectoryName(typeof(CheckChild).Assembly.Location)!;
        string? folder = new[] { Path.Combine(here, "runtimes", RuntimeInformation.RuntimeIdentifier, "native"), Path.Combine(here, "runtimes", "linux-x64", "native"), here }
            .FirstOrDefault(f => File.Exists(Path.Combine(f, "libLibTorchSharp.so")));
        if (folder is null) return;
        foreach (var name in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so", "libLibTorchSharp.so" })
        {
            var full = Path.Combine(folder, name);
            if (File.Exists(full)) NativeLibrary.Load(full);
        }
    }
}
