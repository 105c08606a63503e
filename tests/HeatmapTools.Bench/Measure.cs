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

    public static double WorkingSetMb()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64 / 1048576.0;
    }
}
