namespace HeatmapTools;

/// <summary>
/// How a run talks back while it works, whatever it runs (maps, trust figures, patient grids): handed to a job beside
/// its options, never inside them, so the same options serve any number of runs. Calls may come from any thread; a
/// cmdlet's listener passes them to PowerShell on the pipeline thread.
/// </summary>
public interface IRunListener
{
    /// <summary>How far the run is: what it is doing and, when known, the share done (0..1).</summary>
    void Progress(string status, double? share = null);

    void Verbose(string message);

    void Warning(string message);

    /// <summary>One item could not be made; the run goes on without it.</summary>
    void ItemFailed(HeatmapToolsException error);

    /// <summary>A finished output was passed over (-SkipExisting, -Update).</summary>
    void OutputSkipped(string source, string output);

    /// <summary>A temporary file left by a run that was killed while writing was removed.</summary>
    void TemporarySwept(string path);
}

/// <summary>A listener that hears nothing, for runs nobody watches (a map made again, a test).</summary>
public sealed class SilentListener : IRunListener
{
    public static SilentListener Instance { get; } = new();

    public void Progress(string status, double? share = null) { }
    public void Verbose(string message) { }
    public void Warning(string message) { }
    public void ItemFailed(HeatmapToolsException error) { }
    public void OutputSkipped(string source, string output) { }
    public void TemporarySwept(string path) { }
}
