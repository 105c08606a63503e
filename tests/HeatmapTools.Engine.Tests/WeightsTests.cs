using System.Net;
using System.Security.Cryptography;
using HeatmapTools.Engine.Models;
using Xunit;

namespace HeatmapTools.Engine.Tests;

[Collection("Environment")]
public class WeightsTests
{
    [Fact]
    public void A_libtorch_backtrace_stays_out_of_error_messages()
    {
        // The shape of libtorch's c10::Error text as TorchSharp passes it on.
        const string native = "shape '[1, 512]' is invalid for input of size 1000\nException raised from infer_size_impl at /pytorch/aten/src/ATen/InferSize.h:92 (most recent call first):\n" +
            "frame #0: c10::Error::Error(c10::SourceLocation, std::string) + 0x6c (0x7f in libc10.so)\nframe #1: at::infer_size + 0x1 (0x7f in libtorch_cpu.so)";
        var error = new HeatmapToolsException(ErrorIds.WeightsMismatch, ErrorKind.InvalidData, $"Weights file 'x.dat' does not fit this model: {native}");
        Assert.Equal("Weights file 'x.dat' does not fit this model: shape '[1, 512]' is invalid for input of size 1000", error.Message);
        Assert.Equal("plain message", new HeatmapToolsException("Id", ErrorKind.InvalidData, "plain message").Message);
    }

    [Fact]
    public void Wrong_head_size_lists_the_mismatched_keys()
    {
        var ex = Assert.Throws<HeatmapToolsException>(() =>
            ModelStore.Get(new WeightsRequest("squeezenet1_1", WeightsPath: SharedData.SqueezeNetSafetensors, NumClasses: 2)));
        Assert.Equal(ErrorIds.WeightsMismatch, ex.ErrorId);
        Assert.Contains("classifier.1.weight", ex.Message);
        Assert.Contains("file [1000,512,1,1], model [2,512,1,1]", ex.Message);
    }

    [Fact]
    public void Wrong_architecture_lists_missing_keys()
    {
        var ex = Assert.Throws<HeatmapToolsException>(() =>
            ModelStore.Get(new WeightsRequest("resnet18", WeightsPath: SharedData.SqueezeNetSafetensors)));
        Assert.Equal(ErrorIds.WeightsMismatch, ex.ErrorId);
        Assert.Contains("missing keys", ex.Message);
        Assert.Contains("layer1.0.conv1.weight", ex.Message);
    }

    [Fact]
    public void Missing_weights_name_every_place_searched()
    {
        using var env = new EnvScope(("HEATMAPTOOLS_MODEL_PATH", "/nonexistent/a"), ("HEATMAPTOOLS_CACHE", "/nonexistent/cache"), ("HEATMAPTOOLS_OFFLINE", "1"));
        var ex = Assert.Throws<HeatmapToolsException>(() => WeightsLocator.Locate(new WeightsRequest("resnet50"), CancellationToken.None));
        Assert.Equal(ErrorIds.WeightsNotFound, ex.ErrorId);
        Assert.Contains("/nonexistent/a/resnet50.safetensors", ex.Message);
        Assert.Contains("/nonexistent/cache/resnet50-0676ba61.pth", ex.Message);
        Assert.Contains("-WeightsPath", ex.Message);
    }

    [Fact]
    public void Model_path_folders_are_searched_in_order()
    {
        using var env = new EnvScope(("HEATMAPTOOLS_MODEL_PATH", "/nonexistent" + Path.PathSeparator + SharedData.Models), ("HEATMAPTOOLS_OFFLINE", "1"));
        Assert.Equal(SharedData.SqueezeNetSafetensors, WeightsLocator.Locate(new WeightsRequest("squeezenet1_1"), CancellationToken.None));
    }

    [Fact]
    public void Random_weights_are_reproducible_by_seed_and_cached()
    {
        var a = ModelStore.Get(new WeightsRequest("squeezenet1_1", Random: true, Seed: 7));
        var b = ModelStore.Get(new WeightsRequest("squeezenet1_1", Random: true, Seed: 7));
        Assert.Same(a, b);
        var input = new float[3 * 224 * 224];
        for (int i = 0; i < input.Length; i++) input[i] = (i % 17) / 17f;
        var l7 = Prediction.Predictor.Logits(a, new[] { input }, 224)[0];
        var other = ModelStore.Get(new WeightsRequest("squeezenet1_1", Random: true, Seed: 8));
        var l8 = Prediction.Predictor.Logits(other, new[] { input }, 224)[0];
        Assert.NotEqual(l7, l8);
    }

    [Fact]
    public void Official_checkpoint_downloads_from_a_loopback_server_with_checksum_and_atomic_placement()
    {
        byte[] checkpoint = File.ReadAllBytes(SharedData.SqueezeNetPth);
        string realPrefix = Convert.ToHexString(SHA256.HashData(checkpoint)).ToLowerInvariant()[..8];
        using var server = new LoopbackServer(checkpoint);
        var cache = Directory.CreateTempSubdirectory("hmt-cache").FullName;
        var destination = Path.Combine(cache, "squeezenet1_1-b8a52dc0.pth");

        // Progress goes to the run's listener, as every run's does; the last report is the whole file.
        var listener = new RecordingListener();
        using (Running.RunScope.Enter(listener))
            CheckpointDownloader.Download(server.Url, destination, realPrefix, CancellationToken.None);
        Assert.Equal(checkpoint, File.ReadAllBytes(destination));
        Assert.Equal(1.0, listener.Shares.Last());
        Assert.StartsWith("Downloading squeezenet1_1-b8a52dc0.pth", listener.Statuses.Last());
        Assert.Single(Directory.GetFiles(cache));

        // A download whose digest does not match is refused and leaves nothing behind.
        var second = Path.Combine(cache, "other.pth");
        var ex = Assert.Throws<HeatmapToolsException>(() => CheckpointDownloader.Download(server.Url, second, "00000000", CancellationToken.None));
        Assert.Equal(ErrorIds.ChecksumMismatch, ex.ErrorId);
        Assert.False(File.Exists(second));
        Assert.Single(Directory.GetFiles(cache));
    }

    [Fact]
    public void Locate_downloads_into_the_cache_when_nothing_local_exists_and_then_loads_it()
    {
        byte[] checkpoint = File.ReadAllBytes(SharedData.SqueezeNetPth);
        using var server = new LoopbackServer(checkpoint);
        var cache = Directory.CreateTempSubdirectory("hmt-cache2").FullName;
        using var env = new EnvScope(("HEATMAPTOOLS_MODEL_PATH", null), ("HEATMAPTOOLS_CACHE", cache), ("HEATMAPTOOLS_OFFLINE", null),
            ("HEATMAPTOOLS_DOWNLOAD_BASE", server.Url.ToString().Replace("checkpoint", "")));
        // The served bytes are not torchvision's own squeezenet1_1-b8a52dc0.pth, so its published hash prefix must refuse them.
        var ex = Assert.Throws<HeatmapToolsException>(() => WeightsLocator.Locate(new WeightsRequest("squeezenet1_1"), CancellationToken.None));
        Assert.Equal(ErrorIds.ChecksumMismatch, ex.ErrorId);
        Assert.Empty(Directory.GetFiles(cache));
        Assert.Contains("squeezenet1_1-b8a52dc0.pth", server.RequestedPaths.Single());
    }
}

/// <summary>Serves fixed bytes on 127.0.0.1 for as long as the test needs.</summary>
public sealed class LoopbackServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly byte[] _body;
    public List<string> RequestedPaths { get; } = new();

    public LoopbackServer(byte[] body)
    {
        _body = body;
        int port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        Url = new Uri($"http://127.0.0.1:{port}/checkpoint");
        _ = Task.Run(Serve);
    }

    public Uri Url { get; }

    private async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); } catch { return; }
            lock (RequestedPaths) RequestedPaths.Add(context.Request.Url!.AbsolutePath);
            context.Response.ContentLength64 = _body.Length;
            await context.Response.OutputStream.WriteAsync(_body);
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose() => _listener.Close();
}

/// <summary>Sets environment variables for one test and restores them after.</summary>
public sealed class EnvScope : IDisposable
{
    private readonly List<(string, string?)> _saved = new();

    public EnvScope(params (string Name, string? Value)[] values)
    {
        foreach (var (name, value) in values)
        {
            _saved.Add((name, Environment.GetEnvironmentVariable(name)));
            Environment.SetEnvironmentVariable(name, value);
        }
    }

    public void Dispose()
    {
        foreach (var (name, value) in _saved) Environment.SetEnvironmentVariable(name, value);
    }
}
