namespace HeatmapTools.Engine.Tests;

/// <summary>
/// Starts work on a thread of its own. The thread pool is shared with every test class running in parallel, and a
/// starved pool can leave a queued task unstarted for seconds: a bound meant to catch a hang must not catch that.
/// </summary>
internal static class OwnThread
{
    public static Task<T> Run<T>(Func<T> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
