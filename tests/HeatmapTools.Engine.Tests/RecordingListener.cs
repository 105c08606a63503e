using System.Collections.Concurrent;

namespace HeatmapTools.Engine.Tests;

/// <summary>Keeps what a run said, for tests that check it was said.</summary>
internal sealed class RecordingListener : IRunListener
{
    public ConcurrentQueue<double?> Shares { get; } = new();
    public ConcurrentQueue<string> Statuses { get; } = new();
    public ConcurrentQueue<string> Verbose { get; } = new();
    public ConcurrentQueue<string> Warnings { get; } = new();
    public ConcurrentQueue<HeatmapToolsException> Failed { get; } = new();
    public ConcurrentQueue<(string Source, string Output)> Skipped { get; } = new();
    public ConcurrentQueue<string> Swept { get; } = new();

    public void Progress(string status, double? share = null)
    {
        Statuses.Enqueue(status);
        Shares.Enqueue(share);
    }
    void IRunListener.Verbose(string message) => Verbose.Enqueue(message);
    public void Warning(string message) => Warnings.Enqueue(message);
    public void ItemFailed(HeatmapToolsException error) => Failed.Enqueue(error);
    public void OutputSkipped(string source, string output) => Skipped.Enqueue((source, output));
    public void TemporarySwept(string path) => Swept.Enqueue(path);
}
