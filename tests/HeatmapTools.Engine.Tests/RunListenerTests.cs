using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Running;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>What a run says reaches that run's listener, from its worker threads too, and nothing is left for the next run.</summary>
public sealed class RunListenerTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hmt-listener-" + Guid.NewGuid().ToString("N")[..8]);

    public RunListenerTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>A temporary file as a killed process (a PID no process has) would have left it.</summary>
    private string Stale(string folder)
    {
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, ".out.png.hmt-2147483646-deadbeef.tmp");
        File.WriteAllText(path, "half");
        return path;
    }

    [Fact]
    public void A_swept_temporary_is_told_to_the_run_that_swept_it_even_from_a_worker_thread()
    {
        string folder = Path.Combine(_root, "a");
        string stale = Stale(folder);
        var first = new RecordingListener();
        using (RunScope.Enter(first))
            Parallel.For(0, 1, _ => AtomicFile.WriteBytes(Path.Combine(folder, "out.png"), false, new byte[] { 1 }));
        Assert.Equal(new[] { stale }, first.Swept);
        Assert.False(File.Exists(stale));

        // The next run writes into another folder with a stale file of its own: it hears of that one alone.
        string other = Stale(Path.Combine(_root, "b"));
        var second = new RecordingListener();
        using (RunScope.Enter(second))
            AtomicFile.WriteBytes(Path.Combine(_root, "b", "out.png"), false, new byte[] { 1 });
        Assert.Equal(new[] { other }, second.Swept);
        Assert.Single(first.Swept);
    }

    [Fact]
    public void Outside_a_run_the_listener_is_silent_and_a_run_ends_with_its_scope()
    {
        Assert.Same(SilentListener.Instance, RunScope.Current);
        var heard = new RecordingListener();
        using (RunScope.Enter(heard))
        {
            Assert.Same(heard, RunScope.Current);
            var inner = new RecordingListener();
            using (RunScope.Enter(inner)) Assert.Same(inner, RunScope.Current);
            Assert.Same(heard, RunScope.Current);
        }
        Assert.Same(SilentListener.Instance, RunScope.Current);
    }
}
