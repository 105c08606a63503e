using HeatmapTools.Engine.Native;
using System.Management.Automation;
using HeatmapTools.Engine;

namespace HeatmapTools.Commands;

/// <summary>
/// What every HeatmapTools cmdlet shares: a cancellation token tied to Ctrl+C, file path resolution for -Path and
/// -LiteralPath, and turning engine exceptions into ErrorRecords with the engine's stable ErrorIds.
/// </summary>
public abstract partial class HeatmapCommandBase : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _cancellation = new();

    protected CancellationToken Cancellation => _cancellation.Token;

    private CmdletListener? _listener;

    /// <summary>What the engine says during this command's runs, written to its streams.</summary>
    private protected CmdletListener Listener => _listener ??= new CmdletListener(this, MyInvocation.MyCommand.Name, ProgressId);

    /// <summary>The progress record id of this command's runs.</summary>
    private protected virtual int ProgressId => 1;

    protected override void StopProcessing() => _cancellation.Cancel();

    /// <summary>Environment variable for tests of stopping: after writing that many results, a command waits until it is stopped.</summary>
    public const string PauseAfterVariable = "HEATMAPTOOLS_TEST_PAUSE_AFTER";

    /// <summary>With it, the pause lasts only while the file it names exists (a test holds several processes, then lets some go on).</summary>
    public const string PauseWhileVariable = "HEATMAPTOOLS_TEST_PAUSE_WHILE";

    private long _results;

    /// <summary>
    /// Counts a result written. With HEATMAPTOOLS_TEST_PAUSE_AFTER=N the command then holds after the N-th until it is
    /// stopped (or, with HEATMAPTOOLS_TEST_PAUSE_WHILE, until the file it names is gone), so a test that stops or kills it
    /// knows work was left undone without racing the clock.
    /// </summary>
    protected void ResultWritten()
    {
        if (++_results != RunEngine(() => EnvironmentSettings.Number(PauseAfterVariable, 1, 0, "results"))) return;
        if (Environment.GetEnvironmentVariable(PauseWhileVariable) is not { Length: > 0 } hold)
        {
            Cancellation.WaitHandle.WaitOne();
            throw new PipelineStoppedException();
        }
        while (File.Exists(hold))
            if (Cancellation.WaitHandle.WaitOne(50)) throw new PipelineStoppedException();
    }

    private int _disposed;

    protected HeatmapCommandBase() => NativeHeap.BeginUse();

    /// <summary>
    /// PowerShell calls this when the pipeline ends, however it ends. Once no cmdlet has used the engine for a moment,
    /// the native memory it kept for reuse goes back to the system, so an idle session does not hold a run's peak.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) NativeHeap.EndUse();
        GC.SuppressFinalize(this);
    }

    /// <summary>-Shard k/N or Auto (the scheduler's task) parsed (null without it); a montage needs every patient it shows, so it refuses sharding.</summary>
    protected Engine.Scaling.Shard? ShardOf(string? text, int? count = null, bool montage = false)
    {
        if (text is null) return null;
        Engine.Scaling.Shard shard;
        if (text.Trim().Equals("Auto", StringComparison.OrdinalIgnoreCase))
        {
            var (found, source) = RunEngine(() => Engine.Scaling.SchedulerShard.FromEnvironment(Environment.GetEnvironmentVariables(), count));
            if (_shardSaid.Add(found)) WriteVerbose($"-Shard Auto: {found} ({source}).");
            shard = found;
        }
        else
        {
            if (count is not null)
                ThrowTerminatingError(new ErrorRecord(new PSArgumentException("-ShardCount goes with -Shard Auto (a Kubernetes indexed Job); -Shard k/N says the count itself."),
                    ErrorIds.ShardInvalid, ErrorCategory.InvalidArgument, count));
            shard = RunEngine(() => Engine.Scaling.Shard.Parse(text));
        }
        if (montage)
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException(
                "-Shard splits patients between nodes; a montage shows patients from every shard. Draw the patients with -Shard on each node, " +
                "then the montage in one run without -Shard (finished patients are not drawn again)."), ErrorIds.ShardConflict, ErrorCategory.InvalidArgument, text));
        return shard;
    }

    private readonly HashSet<Engine.Scaling.Shard> _shardSaid = new();

    /// <summary>The files of this node's share (-Shard), keyed by full path or by the path below -ShardRoot.</summary>
    protected IEnumerable<string> InShard(IEnumerable<string> files, string? shardText, int? count, string? shardRoot)
    {
        if (ShardOf(shardText, count) is not { } shard) return files;
        string? root = shardRoot is null ? null : GetUnresolvedProviderPathFromPSPath(shardRoot);
        return files.Where(f =>
        {
            if (Engine.Scaling.Shard.ImageKey(f, root) is { } key) return shard.Contains(key);
            WriteError(new ErrorRecord(new PSArgumentException($"'{f}' is not below -ShardRoot '{root}', so it belongs to no shard; it is left out."),
                ErrorIds.ShardRootOutside, ErrorCategory.InvalidArgument, f));
            return false;
        });
    }

    private bool _pathOnCommandLine;

    protected override void BeginProcessing()
    {
        _pathOnCommandLine = MyInvocation.BoundParameters.ContainsKey("Path");
        Listener.Attach();
        // On a shared node (a Slurm task, a container with a CPU limit) the threads follow the allocation, not the node.
        WriteVerbose($"Computing with {Engine.Scaling.CpuAllocation.Current}.");
    }

    internal static ErrorRecord ToErrorRecord(HeatmapToolsException ex)
    {
        // ErrorKind is ErrorCategory value for value (a Pester test checks every member).
        return new ErrorRecord(ex, ex.ErrorId, (ErrorCategory)(int)ex.Category, ex.Target);
    }

    /// <summary>Runs engine work; cancellation becomes a pipeline stop, an engine failure a terminating error.</summary>
    protected T RunEngine<T>(Func<T> work)
    {
        try
        {
            using var scope = Engine.Running.RunScope.Enter(Listener);
            return RunEngineCore(work);
        }
        finally
        {
            Listener.Drain();
            ReportNativeHeap();
        }
    }

    private bool _heapReported;

    /// <summary>The allocator tuning is process-wide, so each command says so (once, with -Verbose) rather than having it applied silently.</summary>
    private void ReportNativeHeap()
    {
        if (!NativeHeap.Tuned || _heapReported) return;
        _heapReported = true;
        try
        {
            WriteVerbose("HeatmapTools tuned glibc's allocator for this process: large freed blocks are kept for reuse between batches and " +
                "handed back after two idle seconds. Set HEATMAPTOOLS_NATIVE_HEAP=default before importing to leave it alone (about_HeatmapTools).");
        }
        catch (PipelineStoppedException)
        {
        }
    }

    /// <summary>Enumerates engine work lazily, each step under <see cref="RunEngine{T}"/>: a failure mid-way gets its ErrorId too.</summary>
    protected IEnumerable<T> RunEngineEach<T>(Func<IEnumerable<T>> start)
    {
        using var items = RunEngine(() => start().GetEnumerator());
        while (RunEngine(() => items.MoveNext())) yield return items.Current;
    }

    /// <summary>
    /// As <see cref="RunEngineEach{T}"/>, but a failure ends only this enumeration, as a non-terminating error: the
    /// item (a slide) fails and the command goes on with the next.
    /// </summary>
    protected IEnumerable<T> RunEngineEachOrError<T>(Func<IEnumerable<T>> start)
    {
        IEnumerator<T>? items = null;
        try
        {
            while (true)
            {
                T current;
                try
                {
                    using (Engine.Running.RunScope.Enter(Listener))
                    {
                        items ??= start().GetEnumerator();
                        if (!items.MoveNext()) yield break;
                        current = items.Current;
                    }
                }
                catch (HeatmapToolsException ex)
                {
                    WriteError(ToErrorRecord(ex));
                    yield break;
                }
                catch (OperationCanceledException)
                {
                    throw new PipelineStoppedException();
                }
                finally
                {
                    Listener.Drain();
                }
                yield return current;
            }
        }
        finally
        {
            items?.Dispose();
        }
    }

    private T RunEngineCore<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
        catch (HeatmapToolsException ex)
        {
            Terminating = ToErrorRecord(ex);
            ThrowTerminatingError(Terminating);
            throw; // unreachable: ThrowTerminatingError always throws
        }
    }
}
