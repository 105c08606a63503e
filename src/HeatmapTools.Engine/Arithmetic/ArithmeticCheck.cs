using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace HeatmapTools.Engine.Arithmetic;

/// <summary>How one configuration did: right or not, its worst case, the suite's float32 time, or how it died.</summary>
public sealed record CandidateVerdict(string Backend, string Description, bool Right, double Error, string? WorstCase,
    double Milliseconds, string? Failure);

/// <summary>The configuration chosen for this processor and libtorch, why, and what every candidate measured.</summary>
public sealed record ArithmeticVerdict(string Cpu, string Signature, string Torch, int SuiteVersion, DateTime CheckedUtc,
    IReadOnlyList<CandidateVerdict> Candidates, string Chosen, string Source, string Reason, string? CachePath)
{
    /// <summary>What the user is told once per session when the choice is not oneDNN as shipped; null when it is.</summary>
    public string? FallbackWarning { get; init; }
}

/// <summary>
/// Decides, once per processor and libtorch version, which libtorch configuration computes right and fastest here:
/// each candidate runs <see cref="ArithmeticSuite"/> in a child process of its own, so one that crashes (oneDNN's 1x1
/// convolutions divide by zero on some VMs) is a verdict and never the user's session. The verdict is cached in the
/// user's cache folder; <see cref="BackendVariable"/> forces a configuration or (Check) a new check.
/// </summary>
public static class ArithmeticCheck
{
    public const string BackendVariable = "HEATMAPTOOLS_TORCH_BACKEND";
    public const string CheckValue = "Check";
    public const string ChildAssembly = "HeatmapTools.ArithmeticCheck";

    /// <summary>Longest one candidate may take: the suite needs seconds; a hung kernel must not hang the module.</summary>
    public static TimeSpan ChildTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>A candidate within this share of the fastest counts as as fast, and the earlier in order is taken.</summary>
    public const double SameSpeed = 0.10;

    // Where oneDNN as shipped is wrong, oneDNN held to an older instruction set is not taken either, however fast: the
    // suite cannot hold every kernel such a processor gets wrong. On a Zen 5 VM, SSE4.1 passed every case and then, on two
    // threads, put SqueezeNet's input gradient for one photo 0.47 % off (right on one thread), resnext50's GradCAM++ 2.6e-4
    // off, and failed inside libtorch on efficientnet_b6; and the suite's timings, which chose it, move with the load.

    private static readonly object Gate = new();
    private static ArithmeticVerdict? _applied;
    private static int _warned;

    /// <summary>The verdict in force in this process, or null before the first model.</summary>
    public static ArithmeticVerdict? Applied => _applied;

    /// <summary>
    /// Decides (from the variable, the cache or a check) and applies the configuration, once per process and before
    /// libtorch's first operation. A fallback is said once per process as a warning.
    /// </summary>
    public static ArithmeticVerdict EnsureApplied()
    {
        lock (Gate)
        {
            if (_applied is null)
            {
                var verdict = Decide(CacheFile);
                TorchSwitches.Apply(TorchBackend.Find(verdict.Chosen) ?? TorchBackend.RightEverywhere);
                _applied = verdict;
            }
        }
        SayFallback();
        return _applied;
    }

    /// <summary>Tells the current run, once per process, that the configuration in force is a fallback and why.</summary>
    public static void SayFallback()
    {
        if (_applied?.FallbackWarning is not { } warning || Volatile.Read(ref _warned) == 1) return;
        var listener = Running.RunScope.Current;
        if (listener is SilentListener) return;
        if (Interlocked.Exchange(ref _warned, 1) == 0) listener.Warning(warning);
    }

    /// <summary>The verdict for this machine: forced, cached, or checked now (and cached). Applies nothing.</summary>
    public static ArithmeticVerdict Decide(string? cacheFile, Func<TorchBackend, CandidateVerdict>? run = null)
    {
        string cpu = CpuDescription(), signature = Signature(), torchVersion = TorchVersion();
        string? forced = Environment.GetEnvironmentVariable(BackendVariable)?.Trim();
        bool recheck = string.Equals(forced, CheckValue, StringComparison.OrdinalIgnoreCase);
        if (!string.IsNullOrEmpty(forced) && !recheck)
        {
            if (TorchBackend.Find(forced) is { } backend)
            {
                // Forced is obeyed, but not silently against a verdict this machine already has.
                var known = cacheFile is null ? null : Read(cacheFile) is { } v && v.Signature == signature && v.Torch == torchVersion
                    ? v.Candidates.FirstOrDefault(c => c.Backend == backend.Name && !c.Right) : null;
                return new ArithmeticVerdict(cpu, signature, torchVersion, ArithmeticSuite.Version, DateTime.UtcNow, [], backend.Name,
                    "Forced", $"{BackendVariable}={backend.Name}", null)
                {
                    FallbackWarning = known is null ? null
                        : $"{BackendVariable}={backend.Name} forces {backend.Description}, which the arithmetic check found {Summary(known)} on this processor ({cpu}) (about_HeatmapTools, ARITHMETIC CHECK).",
                };
            }
            Native.EnvironmentSettings.Choice(BackendVariable, [.. TorchBackend.Candidates.Select(c => c.Name), CheckValue]);
        }
        if (!recheck && cacheFile is not null && Read(cacheFile) is { } cached && cached.Signature == signature
            && cached.Torch == torchVersion && cached.SuiteVersion == ArithmeticSuite.Version)
            return cached with { Source = "Cached", CachePath = cacheFile };

        var verdict = Check(cpu, signature, torchVersion, run ?? RunChild);
        if (verdict.Source == "Checked" && cacheFile is not null && Write(cacheFile, verdict)) verdict = verdict with { CachePath = cacheFile };
        return verdict;
    }

    /// <summary>Runs every candidate through <paramref name="run"/> and chooses; public for the tests' own runners.</summary>
    public static ArithmeticVerdict Check(string cpu, string signature, string torchVersion, Func<TorchBackend, CandidateVerdict> run)
    {
        var now = DateTime.UtcNow;
        if (ChildCommand() is null && run == RunChild)
            return CannotRun(cpu, signature, torchVersion, $"no .NET host to start {ChildAssembly} with was found");
        // Seconds, once per machine: the first command says what it is waiting for.
        var listener = Running.RunScope.Current;
        var results = TorchBackend.Candidates.Select((backend, i) =>
        {
            listener.Progress($"Checking libtorch's arithmetic on this processor (once per machine): {backend.Description}", (double)i / TorchBackend.Candidates.Count);
            var verdict = run(backend);
            listener.Verbose($"Arithmetic check, {backend.Name}: {Summary(verdict)}" + (verdict.Right ? $", suite {verdict.Milliseconds:F0} ms" : ""));
            return verdict;
        }).ToList();
        var right = results.Where(r => r.Right).ToList();
        if (right.Count == 0)
        {
            // Every child failing the same way (no host, no natives) says the check could not run, not that every kernel is wrong.
            return CannotRun(cpu, signature, torchVersion, "no configuration passed: " + string.Join("; ", results.Select(Summary))) with { Candidates = results };
        }
        double fastest = right.Min(r => r.Milliseconds);
        var chosen = Preference.Select(b => right.FirstOrDefault(r => r.Backend == b.Name)).First(r => r is not null && r.Milliseconds <= fastest * (1 + SameSpeed))!;
        var shipped = results.First(r => r.Backend == TorchBackend.Shipped.Name);
        if (!shipped.Right && right.FirstOrDefault(r => r.Backend == TorchBackend.Off.Name) is { } own) chosen = own;
        string reason = chosen.Backend == shipped.Backend
            ? "oneDNN as shipped is right here"
            : shipped.Right ? $"{TorchBackend.Find(chosen.Backend)!.Description} was faster ({chosen.Milliseconds:F0} ms against {shipped.Milliseconds:F0} ms)"
            : $"oneDNN as shipped {Summary(shipped)}";
        string? warning = shipped.Right ? null
            : $"On this processor ({cpu}) libtorch's oneDNN as shipped {Summary(shipped)}; HeatmapTools computes with " +
              $"{TorchBackend.Find(chosen.Backend)!.Description} instead, which gave float64's results here (about_HeatmapTools, ARITHMETIC CHECK).";
        return new ArithmeticVerdict(cpu, signature, torchVersion, ArithmeticSuite.Version, now, results, chosen.Backend, "Checked", reason, null)
            { FallbackWarning = warning };
    }

    /// <summary>Equally fast configurations are taken in this order: libtorch as shipped, then the one right everywhere.</summary>
    private static readonly TorchBackend[] Preference = [TorchBackend.Shipped, TorchBackend.Off, TorchBackend.Avx512Core, TorchBackend.Avx2, TorchBackend.Sse41];

    private static ArithmeticVerdict CannotRun(string cpu, string signature, string torchVersion, string why)
    {
        var backend = TorchBackend.RightEverywhere;
        return new ArithmeticVerdict(cpu, signature, torchVersion, ArithmeticSuite.Version, DateTime.UtcNow, [], backend.Name, "Fallback",
            $"the check could not run: {why}", null)
        {
            FallbackWarning = $"HeatmapTools could not check libtorch's arithmetic on this processor ({cpu}): {why}. It computes with " +
                              $"{backend.Description}, right on every processor tried (about_HeatmapTools, ARITHMETIC CHECK).",
        };
    }

    private static string Summary(CandidateVerdict v) =>
        v.Failure is { } failure ? failure
        : v.Right ? $"was right (largest error {v.Error:G2})"
        : $"computed wrong: {v.WorstCase} was off by {v.Error:G2} of its scale (allowed {ArithmeticSuite.Tolerance:G1})";

    // ---- the child process ----

    /// <summary>The host and leading arguments that start the check's child, or null where none can be found.</summary>
    public static (string Host, string[] Arguments)? ChildCommand()
    {
        string folder = Path.GetDirectoryName(typeof(ArithmeticCheck).Assembly.Location)!;
        string dll = Path.Combine(folder, ChildAssembly + ".dll"), config = Path.Combine(folder, ChildAssembly + ".runtimeconfig.json");
        if (!File.Exists(dll) || !File.Exists(config)) return null;
        if (DotnetHost() is not { } host) return null;
        return (host, ["exec", "--runtimeconfig", config, dll]);
    }

    private static string? DotnetHost()
    {
        string exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        var candidates = new List<string?>
        {
            Environment.ProcessPath is { } self && Path.GetFileName(self) == exe ? self : null,
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH"),
            // The shared runtime sits at <root>/shared/Microsoft.NETCore.App/<version>/, the host at <root>/dotnet.
            Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", exe)),
            Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root ? Path.Combine(root, exe) : null,
        };
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(p => Path.Combine(p, exe)));
        return candidates.FirstOrDefault(c => c is not null && File.Exists(c));
    }

    /// <summary>Runs one candidate in a child process and reads its verdict; a crash or a hang is the verdict.</summary>
    public static CandidateVerdict RunChild(TorchBackend backend)
    {
        if (ChildCommand() is not var (host, arguments))
            return new CandidateVerdict(backend.Name, backend.Description, false, double.NaN, null, 0, "could not be started: the check's program is missing");
        var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.ArgumentList.Add(backend.Name);
        info.Environment.Remove("ONEDNN_MAX_CPU_ISA");
        info.Environment.Remove("DNNL_MAX_CPU_ISA");
        info.Environment.Remove(BackendVariable);
        var cases = new List<CaseResult>();
        string? current = null;
        bool done = false;
        var errorTail = new Queue<string>();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            var parts = line.Split(' ');
            lock (cases)
            {
                if (parts[0] == CheckChild.StartLine && parts.Length > 1) current = parts[1];
                else if (parts[0] == CheckChild.CaseLine && parts.Length >= 4)
                {
                    cases.Add(new CaseResult(parts[1], double.Parse(parts[2], CultureInfo.InvariantCulture),
                        parts.Length > 4 ? parts[4].Replace('_', ' ') : "", double.Parse(parts[3], CultureInfo.InvariantCulture)));
                    current = null;
                }
                else if (parts[0] == CheckChild.DoneLine) done = true;
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { Length: > 0 } line) return;
            lock (errorTail) { errorTail.Enqueue(line); if (errorTail.Count > 5) errorTail.Dequeue(); }
        };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new CandidateVerdict(backend.Name, backend.Description, false, double.NaN, null, 0, $"could not be started: {e.Message}");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        bool exited = process.WaitForExit(ChildTimeout);
        if (!exited)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.WaitForExit();
        }
        else process.WaitForExit(); // drains the redirected streams
        lock (cases)
        {
            var worst = cases.OrderByDescending(c => c.Error).FirstOrDefault();
            double error = worst?.Error ?? double.NaN, time = cases.Sum(c => c.Milliseconds);
            string? failure = null;
            if (!exited) failure = $"did not finish within {ChildTimeout.TotalSeconds:F0} s" + (current is null ? "" : $" (in {current})");
            else if (process.ExitCode != 0 || !done)
            {
                string how = process.ExitCode > 128 ? $"was killed by {SignalName(process.ExitCode - 128)}" : $"exited with code {process.ExitCode}";
                failure = $"crashed: the process {how}" + (current is null ? "" : $" in {current}");
                if (current is null && errorTail.Count > 0) failure += $" ({string.Join(" / ", errorTail)})";
            }
            bool right = failure is null && cases.Count == ArithmeticSuite.Cases.Count && cases.All(c => c.Error <= ArithmeticSuite.Tolerance);
            return new CandidateVerdict(backend.Name, backend.Description, right, error, worst?.Name, Math.Round(time, 1), failure);
        }
    }

    private static string SignalName(int signal) => signal switch
    {
        4 => "SIGILL", 6 => "SIGABRT", 7 => "SIGBUS", 8 => "SIGFPE", 9 => "SIGKILL", 11 => "SIGSEGV", _ => $"signal {signal}",
    };

    // ---- the machine and the cache ----

    /// <summary>The cache file for this machine's verdicts: beside downloaded weights, in the user's cache folder.</summary>
    public static string CacheFile => Path.Combine(Models.WeightsLocator.CacheDirectory, $"arithmetic-{Signature()[..16]}.json");

    /// <summary>The processor as /proc/cpuinfo names it, with its family, model and stepping.</summary>
    public static string CpuDescription()
    {
        var info = CpuInfo();
        string name = info.GetValueOrDefault("model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        return info.TryGetValue("cpu family", out var family)
            ? $"{name}, {info.GetValueOrDefault("vendor_id")} family {family} model {info.GetValueOrDefault("model")} stepping {info.GetValueOrDefault("stepping")}"
            : name;
    }

    /// <summary>
    /// What decides which kernels run and how: the processor's identity and feature flags, the cache sizes it reports
    /// (oneDNN blocks by them) and libtorch's version. A hash, so it names no machine.
    /// </summary>
    public static string Signature()
    {
        var info = CpuInfo();
        var text = new StringBuilder();
        foreach (var key in new[] { "vendor_id", "cpu family", "model", "model name", "stepping", "flags", "cache size" })
            text.Append(key).Append('=').Append(info.GetValueOrDefault(key)).Append('\n');
        text.Append("arch=").Append(RuntimeInformation.ProcessArchitecture).Append('\n');
        text.Append("cores=").Append(Environment.ProcessorCount).Append('\n');
        foreach (var level in new[] { "index0", "index1", "index2", "index3" })
        {
            var file = $"/sys/devices/system/cpu/cpu0/cache/{level}/size";
            text.Append(level).Append('=').Append(File.Exists(file) ? File.ReadAllText(file).Trim() : "none").Append('\n');
        }
        text.Append("torch=").Append(TorchVersion()).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>TorchSharp's version, which fixes the libtorch it is built against; read without loading libtorch.</summary>
    public static string TorchVersion()
    {
        var assembly = typeof(TorchSharp.torch).Assembly;
        var informational = assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion;
        return $"TorchSharp {informational ?? assembly.GetName().Version?.ToString()}";
    }

    private static Dictionary<string, string> CpuInfo()
    {
        var info = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            if (!File.Exists("/proc/cpuinfo")) return info;
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.Length == 0) break; // the first processor describes them all
                int colon = line.IndexOf(':');
                if (colon > 0) info.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return info;
    }

    // A crashed candidate's error is NaN; JSON has no such number without this.
    private static readonly JsonSerializerOptions Json = new()
        { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private static ArithmeticVerdict? Read(string file)
    {
        try
        {
            return File.Exists(file) ? JsonSerializer.Deserialize<ArithmeticVerdict>(File.ReadAllText(file), Json) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            return null; // unreadable or of another shape: checked again and rewritten
        }
    }

    private static bool Write(string file, ArithmeticVerdict verdict)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var temporary = file + $".{Environment.ProcessId}.tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(verdict, Json));
            File.Move(temporary, file, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return false; // the verdict still holds for this process; the next one checks again
        }
    }
}
