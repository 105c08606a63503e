namespace HeatmapTools.Engine.Detection;

/// <summary>
/// The detection settings a detector that suppresses its own boxes (torchvision's) applies in forward passes on this
/// thread: a run that asked for a lower score threshold gets those boxes out of the network, and a map explains the
/// boxes the user was shown. Outside a scope the network keeps its own defaults. Per thread, as a loaded model is shared.
/// </summary>
public static class DetectionScope
{
    [ThreadStatic] private static DetectionOptions? _current;

    /// <summary>The settings in force on this thread; null outside every scope.</summary>
    public static DetectionOptions? Current => _current;

    public static IDisposable Use(DetectionOptions? options)
    {
        var previous = _current;
        if (options is not null) _current = options;
        return new Restore(previous);
    }

    private sealed class Restore(DetectionOptions? previous) : IDisposable
    {
        public void Dispose() => _current = previous;
    }
}
