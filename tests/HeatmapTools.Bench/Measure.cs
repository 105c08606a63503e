using System.Diagnostics;

namespace HeatmapTools.Bench;

internal static class Measure
{
    /// <summary>Runs <paramref name="work"/> (which processes <paramref name="items"/> items) <paramref name="repeats"/> times after one warm-up; returns the median items per second.</summary>
    public static double MedianRate(int items, int repeats, Action work, bool warmUp = true)
    {
        if (warmUp) work();
        var rates = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            work();
            rates.Add(items / clock.Elapsed.TotalSeconds);
        }
        rates.Sort();
        return rates[rates.Count / 2];
    }

    public static double PeakWorkingSetMb()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.PeakWorkingSet64 / 1048576.0;
    }

    /// <summary>Starts the peak over (Linux: writing 5 to clear_refs resets VmHWM), so the next step's peak is its own; false where it cannot.</summary>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static double WorkingSetMb()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64 / 1048576.0;
    }
}
