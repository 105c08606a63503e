using System.Collections;
using System.Globalization;

namespace HeatmapTools.Engine.Scaling;

/// <summary>
/// How many threads the module computes with: what the process was given, never every core of a shared node.
/// HEATMAPTOOLS_THREADS when set; in a Slurm job its CPUs (SLURM_CPUS_PER_TASK, else SLURM_JOB_CPUS_PER_NODE: a task
/// started with task/none affinity still sees every core of the node); else the cores .NET sees, which already count the
/// process's affinity mask and its cgroup CPU quota (a Kubernetes container's cpu limit).
/// </summary>
public sealed record CpuAllocation(int Threads, string Source)
{
    public const string ThreadsVariable = "HEATMAPTOOLS_THREADS";

    private static readonly Lazy<CpuAllocation> Process = new(() => Detect(Environment.GetEnvironmentVariables(), Environment.ProcessorCount));

    /// <summary>This process's allocation, read once.</summary>
    public static CpuAllocation Current => Process.Value;

    public static CpuAllocation Detect(IDictionary environment, int processorCount)
    {
        int? Leading(string name)
        {
            // SLURM_JOB_CPUS_PER_NODE reads "4" or "4(x2)" (four on each of two nodes).
            if (environment[name] is not string { Length: > 0 } text) return null;
            var digits = new string(text.Trim().TakeWhile(char.IsDigit).ToArray());
            return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : null;
        }
        var available = Math.Max(1, processorCount);
        if (Leading(ThreadsVariable) is int asked) return new(Math.Min(asked, available), ThreadsVariable);
        if (Leading("SLURM_CPUS_PER_TASK") is int perTask) return new(Math.Min(perTask, available), "SLURM_CPUS_PER_TASK");
        if (environment["SLURM_JOB_ID"] is string && Leading("SLURM_JOB_CPUS_PER_NODE") is int perNode)
            return new(Math.Min(perNode, available), "SLURM_JOB_CPUS_PER_NODE");
        return new(available, "the cores this process may use (affinity and cgroup CPU quota)");
    }

    public override string ToString() => $"{Threads} thread(s) from {Source}";
}
