using System.Management.Automation;
using HeatmapTools.Engine;
using HeatmapTools.Engine.Scaling;

namespace HeatmapTools.Commands;

public abstract partial class HeatmapCommandBase
{
    /// <summary>
    /// The task record -RecordPath names, opened for appending (null without one), under the task's name: the shard given,
    /// else the scheduler task this process runs as (Slurm array or Kubernetes index, when the environment says so), else 1/1.
    /// </summary>
    private protected TaskRecord? OpenRecord(string? recordPath, Shard? shard)
    {
        if (recordPath is null) return null;
        string task = (shard ?? SchedulerTask())?.ToString() ?? "1/1";
        string path = GetUnresolvedProviderPathFromPSPath(recordPath);
        return RunEngine(() => new TaskRecord(path, MyInvocation.MyCommand.Name, task));
    }

    /// <summary>The terminating error RunEngine raised last (PowerShell throws it on as a PipelineStoppedException).</summary>
    private protected ErrorRecord? Terminating { get; private set; }

    private static Shard? SchedulerTask()
    {
        try { return SchedulerShard.FromEnvironment(Environment.GetEnvironmentVariables(), null).Shard; }
        catch (HeatmapToolsException) { return null; }
    }

    /// <summary>
    /// The item's failure in the record, with the ErrorId its error carries, before the error goes on: a gathered run lists
    /// it as Failed rather than as missing. A stop (Ctrl+C, scancel) is not a failure: the item stays unrecorded.
    /// </summary>
    private protected void RecordFailure(TaskRecord? record, string item, Exception error)
    {
        if (record is null || error is OperationCanceledException || Cancellation.IsCancellationRequested) return;
        // PowerShell unwinds a terminating error as a PipelineStoppedException; the error itself is the one RunEngine threw.
        if (error is PipelineStoppedException && Terminating is null) return;
        var (id, message) = error switch
        {
            PipelineStoppedException => (Terminating!.FullyQualifiedErrorId.Split(',')[0], Terminating.Exception.Message),
            HeatmapToolsException h => (h.ErrorId, h.Message),
            IContainsErrorRecord { ErrorRecord: { } e } => (e.FullyQualifiedErrorId.Split(',')[0], e.Exception?.Message ?? error.Message),
            _ => (error.GetType().Name, error.Message),
        };
        record.Item(item, TaskRecord.Failed, Array.Empty<string>(), errorId: id, message: message);
        record.Flush();
    }
}
