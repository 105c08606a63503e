using System.Diagnostics;
using System.Globalization;

namespace HeatmapTools.Bench;

/// <summary>A reference benchmark script on Debian's Python, whose last line of output is its median rate.</summary>
internal static class ReferencePython
{
    /// <summary>
    /// Runs <paramref name="script"/> (copied beside the bench) with <paramref name="arguments"/> and PYTHONPATH set to
    /// <paramref name="pythonPath"/>; null (with the reason on stderr) when it cannot run or fails.
    /// </summary>
    public static double? Rate(string script, IEnumerable<string> arguments, string? pythonPath)
    {
        string path = Path.Combine(AppContext.BaseDirectory, script);
        if (!File.Exists("/usr/bin/python3") || !File.Exists(path)) return null;
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(path);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        if (pythonPath is not null) start.Environment["PYTHONPATH"] = pythonPath;
        // Debian's OpenBLAS tuned for this CPU, as the developers' guide says to time Debian's torch.
        start.Environment.Remove("OPENBLAS_CORETYPE");
        start.Environment.Remove("OPENBLAS_L2_SIZE");
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            Console.Error.WriteLine($"{script} failed: {stderr.Result.Trim().Split('\n').LastOrDefault()}");
            return null;
        }
        return double.TryParse(stdout.Trim().Split('\n').Last(), NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) ? rate : null;
    }
}
