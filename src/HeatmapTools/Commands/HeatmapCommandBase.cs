using HeatmapTools.Engine.Native;
using System.Management.Automation;
using HeatmapTools.Engine;

namespace HeatmapTools.Commands;

/// <summary>
/// What every HeatmapTools cmdlet shares: a cancellation token tied to Ctrl+C, file path resolution for -Path and
/// -LiteralPath, and turning engine exceptions into ErrorRecords with the engine's stable ErrorIds.
/// </summary>
public abstract class HeatmapCommandBase : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _cancellation = new();

    protected CancellationToken Cancellation => _cancellation.Token;

    protected override void StopProcessing() => _cancellation.Cancel();

    /// <summary>Environment variable for tests of stopping: after writing that many results, a command waits until it is stopped.</summary>
    public const string PauseAfterVariable = "HEATMAPTOOLS_TEST_PAUSE_AFTER";

    private long _results;

    /// <summary>
    /// Counts a result written. With HEATMAPTOOLS_TEST_PAUSE_AFTER=N the command then holds after the N-th until it is
    /// stopped, so a test that stops it knows work was left undone without racing the clock.
    /// </summary>
    protected void ResultWritten()
    {
        if (++_results != EnvironmentSettings.Number(PauseAfterVariable, 1, 0, "results")) return;
        Cancellation.WaitHandle.WaitOne();
        throw new PipelineStoppedException();
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

    /// <summary>
    /// Resolves wildcard or literal PowerShell paths to file system paths (files, and folders when <paramref name="folders"/>);
    /// a path that matches nothing is an error for that path. The one path resolver of every cmdlet.
    /// </summary>
    protected IEnumerable<string> ResolveFiles(string[]? paths, bool literal, bool folders = false)
    {
        bool Exists(string p) => File.Exists(p) || (folders && Directory.Exists(p));
        foreach (var path in paths ?? Array.Empty<string>())
        {
            // Globbing costs far more than a file check, so a path without wildcards is taken literally; an absolute
            // file system path needs no provider at all.
            if (literal || !WildcardPattern.ContainsWildcardCharacters(path))
            {
                string resolved = System.IO.Path.IsPathFullyQualified(path) ? path : GetUnresolvedProviderPathFromPSPath(path);
                if (Exists(resolved)) yield return resolved;
                else WriteError(NotFound(resolved, folders));
                continue;
            }
            List<string> matches;
            try
            {
                matches = GetResolvedProviderPathFromPSPath(path, out var provider).ToList();
                if (provider.Name != "FileSystem") throw new ItemNotFoundException($"'{path}' is not a file system path.");
            }
            catch (ItemNotFoundException)
            {
                WriteError(NotFound(path, folders));
                continue;
            }
            foreach (var match in matches.Where(Exists)) yield return match;
        }
    }

    /// <summary>-Shard k/N parsed (null without it); a montage needs every patient it shows, so it refuses sharding.</summary>
    protected Engine.Scaling.Shard? ShardOf(string? text, bool montage = false)
    {
        if (text is null) return null;
        var shard = RunEngine(() => Engine.Scaling.Shard.Parse(text));
        if (montage)
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException(
                "-Shard splits patients between nodes; a montage shows patients from every shard. Draw the patients with -Shard on each node, " +
                "then the montage in one run without -Shard (finished patients are not drawn again)."), ErrorIds.ShardConflict, ErrorCategory.InvalidArgument, text));
        return shard;
    }

    private bool _pathOnCommandLine;

    protected override void BeginProcessing() => _pathOnCommandLine = MyInvocation.BoundParameters.ContainsKey("Path");

    /// <summary>The files named by whichever of -Path and -LiteralPath this record bound.</summary>
    protected IEnumerable<string> InputFiles(string[]? path, string[]? literalPath)
    {
        // A piped object with a PSPath binds -LiteralPath by property name, and PowerShell then also binds its text to
        // -Path by value; that second binding is the same item stringified, so only the literal path counts.
        if (literalPath is not null && !_pathOnCommandLine) path = null;
        if (path is null && literalPath is null)
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException("Give images with -Path, -LiteralPath or from the pipeline."),
                ErrorIds.NoInput, ErrorCategory.InvalidArgument, null));
        return ResolveFiles(literalPath, literal: true).Concat(ResolveFiles(path, literal: false));
    }

    private static ErrorRecord NotFound(string path, bool folders) =>
        new(new FileNotFoundException($"Cannot find {(folders ? "" : "image ")}'{path}' because it does not exist."), ErrorIds.FileNotFound, ErrorCategory.ObjectNotFound, path);

    protected static ErrorRecord ToErrorRecord(HeatmapToolsException ex)
    {
        var category = Enum.TryParse<ErrorCategory>(ex.Category, out var parsed) ? parsed : ErrorCategory.NotSpecified;
        return new ErrorRecord(ex, ex.ErrorId, category, ex.Target);
    }

    /// <summary>Runs engine work; cancellation becomes a pipeline stop, an engine failure a terminating error.</summary>
    protected T RunEngine<T>(Func<T> work)
    {
        try
        {
            return RunEngineCore(work);
        }
        finally
        {
            ReportSweptTemporaries();
            ReportNativeHeap();
        }
    }

    private static int _heapReported;

    /// <summary>The allocator tuning is process-wide, so the session hears of it (once, with -Verbose) rather than having it applied silently.</summary>
    private void ReportNativeHeap()
    {
        if (!NativeHeap.Tuned || Interlocked.Exchange(ref _heapReported, 1) == 1) return;
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

    /// <summary>Temporary files of killed runs that the engine swept while writing, reported on the pipeline thread.</summary>
    protected void ReportSweptTemporaries()
    {
        try
        {
            while (Engine.IO.AtomicFile.Swept.TryDequeue(out var stale))
                WriteWarning($"Removed '{stale}', a temporary file left by a run that was killed while writing.");
            while (Engine.Native.EnvironmentSettings.Warnings.TryDequeue(out var setting)) WriteWarning(setting);
            while (Engine.Models.StateDictLoader.Notes.TryDequeue(out var note)) WriteVerbose(note);
        }
        catch (PipelineStoppedException)
        {
            // Stopping: the warnings would go nowhere.
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
            ThrowTerminatingError(ToErrorRecord(ex));
            throw; // unreachable: ThrowTerminatingError always throws
        }
    }
}
