namespace HeatmapTools.Engine.Running;

/// <summary>
/// The listener of the run in progress on this logical thread, for the few places deep below a job that have something
/// to say (a swept temporary file, an environment setting that cannot be used, a checkpoint's weights found under a
/// key). It flows into the run's worker tasks and ends with the run: nothing waits in process-wide state for whichever
/// command comes next.
/// </summary>
public static class RunScope
{
    private static readonly AsyncLocal<IRunListener?> Listener = new();

    /// <summary>The current run's listener, or a silent one outside any run.</summary>
    public static IRunListener Current => Listener.Value ?? SilentListener.Instance;

    /// <summary>Makes <paramref name="listener"/> current until the result is disposed.</summary>
    public static IDisposable Enter(IRunListener listener)
    {
        var previous = Listener.Value;
        Listener.Value = listener;
        return new Exit(previous);
    }

    private sealed class Exit(IRunListener? previous) : IDisposable
    {
        public void Dispose() => Listener.Value = previous;
    }
}
