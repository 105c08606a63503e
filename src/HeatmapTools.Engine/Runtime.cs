using TorchSharp;

namespace HeatmapTools.Engine;

/// <summary>Process-wide libtorch settings, applied once before the first model is built.</summary>
public static class Runtime
{
    private static int _initialised;

    public static void EnsureInitialised()
    {
        if (Interlocked.Exchange(ref _initialised, 1) == 1) return;
        torch.set_num_threads(Environment.ProcessorCount);
    }

    /// <summary>A short proof that both native stacks load: used by the module's self-test.</summary>
    public static string Probe()
    {
        using var scope = torch.NewDisposeScope();
        var sum = torch.ones(2, 2).sum().item<float>();
        using var mat = new OpenCvSharp.Mat(2, 2, OpenCvSharp.MatType.CV_8UC3, OpenCvSharp.Scalar.All(7));
        return $"torch {torch.__version__} sum={sum}; OpenCV {OpenCvSharp.Cv2.GetVersionString()} mean={mat.Mean().Val0}";
    }
}
