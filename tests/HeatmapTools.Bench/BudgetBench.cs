using System.Diagnostics;
using System.Globalization;
using HeatmapTools.Engine.Native;
using HeatmapTools.Engine.Patches;

namespace HeatmapTools.Bench;

/// <summary>
/// Peak memory of huge sparse patients drawn by four workers under the shared memory budget (issue 12): four patients
/// whose patches lie 30,000 pixels apart, drawn at -MaxSize 12000 (four 144-megapixel canvases each), in a child process
/// per HEATMAPTOOLS_MEMORY_MB setting, since a process's peak working set only grows.
/// </summary>
internal static class BudgetBench
{
    public static void Run()
    {
        Console.WriteLine();
        Console.WriteLine("Memory budget: 4 sparse 30,000 x 30,000 patients, -MaxSize 12000, 4 workers; peak working set of a child process per budget");
        Console.WriteLine($"{"HEATMAPTOOLS_MEMORY_MB",24} {"peak MB",9} {"budget peak MB",15} {"seconds",8}");
        foreach (var mb in new[] { 2048, 8192 })
        {
            var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
            if (Environment.ProcessPath!.EndsWith("dotnet", StringComparison.Ordinal)) start.ArgumentList.Add(typeof(BudgetBench).Assembly.Location);
            start.ArgumentList.Add("budget-child");
            start.Environment[MemoryBudget.Variable] = mb.ToString(CultureInfo.InvariantCulture);
            using var child = Process.Start(start)!;
            string last = child.StandardOutput.ReadToEnd().Trim().Split('\n')[^1];
            child.WaitForExit();
            var parts = last.Split(' ');
            Console.WriteLine($"{mb,24} {parts[0],9} {parts[1],15} {parts[2],8}");
        }
    }

    public static void RunChild()
    {
        var output = Directory.CreateTempSubdirectory("hmt-bench-budget").FullName;
        try
        {
            var rows = Enumerable.Range(0, 4).SelectMany(p => new[]
            {
                new PatchRecord($"p{p}", 1, 1, 0, 0.2, "/nonexistent.png", "bench"), new PatchRecord($"p{p}", 30001, 30001, 1, 0.9, "/nonexistent.png", "bench"),
            }).ToList();
            var patients = PatchGridJob.Select(PatientGrouping.Group(Array.Empty<PatchRecord>(), rows, 50, GridOrigin.OneBased), new PatientSelection());
            var clock = Stopwatch.StartNew();
            foreach (var _ in PatchGridJob.Render(patients, new PatchGridOptions { OutputDirectory = output, ThrottleLimit = 4, MaxSize = 12000 }, CancellationToken.None)) { }
            Console.WriteLine(FormattableString.Invariant($"{Measure.PeakWorkingSetMb():F0} {MemoryBudget.Shared.Peak / 1048576.0:F0} {clock.Elapsed.TotalSeconds:F1}"));
        }
        finally
        {
            Directory.Delete(output, true);
        }
    }
}
