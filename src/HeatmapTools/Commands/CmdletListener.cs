using System.Collections.Concurrent;
using System.Management.Automation;

namespace HeatmapTools.Commands;

/// <summary>
/// A cmdlet's ear on the engine: what a run says on the pipeline thread is written at once; what it says from a worker
/// thread waits for <see cref="Drain"/>, which every engine call ends with, because PowerShell takes writes from the
/// pipeline thread alone.
/// </summary>
internal sealed class CmdletListener(PSCmdlet cmdlet, string activity, int progressId) : IRunListener
{
    private readonly ConcurrentQueue<Action> _pending = new();
    private int _pipelineThread = Environment.CurrentManagedThreadId;
    private int _skipped;

    /// <summary>Finished outputs passed over so far (-SkipExisting, -Update).</summary>
    public int SkippedCount => _skipped;

    /// <summary>Takes the calling thread as the pipeline thread (BeginProcessing runs on it).</summary>
    public void Attach() => _pipelineThread = Environment.CurrentManagedThreadId;

    public void Progress(string status, double? share = null) => Post(() => cmdlet.WriteProgress(new ProgressRecord(progressId, activity, status)
        { PercentComplete = share is double s ? (int)Math.Clamp(s * 100, 0, 100) : -1 }));

    public void Verbose(string message) => Post(() => cmdlet.WriteVerbose(message));

    public void Warning(string message) => Post(() => cmdlet.WriteWarning(message));

    public void ItemFailed(HeatmapToolsException error) => Post(() => cmdlet.WriteError(HeatmapCommandBase.ToErrorRecord(error)));

    /// <summary>Told of every finished output passed over (a task's record), on the thread that found it.</summary>
    public Action<string, string>? Skipped { get; set; }

    public void OutputSkipped(string source, string output)
    {
        Interlocked.Increment(ref _skipped);
        Skipped?.Invoke(source, output);
        Verbose($"Skipped '{output}' (of '{source}'): finished.");
    }

    public void TemporarySwept(string path) => Warning($"Removed '{path}', a temporary file left by a run that was killed while writing.");

    /// <summary>Writes what worker threads said, on the pipeline thread.</summary>
    public void Drain()
    {
        try
        {
            while (_pending.TryDequeue(out var write)) write();
        }
        catch (PipelineStoppedException)
        {
            // Stopping: the rest would go nowhere.
        }
    }

    private void Post(Action write)
    {
        if (Environment.CurrentManagedThreadId == _pipelineThread) write();
        else _pending.Enqueue(write);
    }
}
