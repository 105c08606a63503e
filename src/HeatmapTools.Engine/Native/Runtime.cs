using TorchSharp;

namespace HeatmapTools.Engine.Native;

public sealed record NativeSettings(string NativeHeap, int TorchThreads, int OpenCvThreads, string ThreadSource);

/// <summary>Process-wide native settings, applied once before the first model is built or image decoded.</summary>
public static class Runtime
{
    private static int _torch, _imaging;

    private static readonly object TorchGate = new();

    /// <summary>
    /// Everything a model needs: the imaging settings, the allocator, the libtorch configuration that computes right
    /// on this processor, and one libtorch thread per core the process was given (CpuAllocation). Every caller waits until all of it is in force.
    /// </summary>
    public static void EnsureInitialised()
    {
        EnsureImaging();
        if (Volatile.Read(ref _torch) == 0)
        {
            lock (TorchGate)
            {
                if (_torch == 0)
                {
                    NativeHeap.Tune();
                    // Before libtorch's first operation: which kernels compute right on this processor (a checked verdict).
                    Arithmetic.ArithmeticCheck.EnsureApplied();
                    torch.set_num_threads(Scaling.CpuAllocation.Current.Threads);
                    Volatile.Write(ref _torch, 1);
                }
            }
        }
        // Said once per session, to the first run that listens.
        Arithmetic.ArithmeticCheck.SayFallback();
    }

    /// <summary>
    /// OpenCV work without libtorch (patch grids load no model). The engine already spreads images and patients over
    /// all cores, so OpenCV's own thread pool only adds hand-offs: on 2 cores it made decoding, resizing and colour
    /// conversion of photo-sized images up to twice as slow. OpenCV runs each call on the calling thread instead.
    /// </summary>
    public static void EnsureImaging()
    {
        if (Interlocked.Exchange(ref _imaging, 1) == 1) return;
        NativeOrder.BeforeOpenCv();
        NativeHeap.Tune();
        OpenCvSharp.Cv2.SetNumThreads(1);
        // OpenCV prints its warnings ("[ WARN:0@0.1] ... imread_(...): can't open/read file") straight to the process's
        // stderr, past every PowerShell preference, and OpenCvSharp offers no callback to route them. Every failure they
        // describe is already an error record of ours naming the file (ImageUnreadable), so OpenCV itself stays quiet.
        OpenCvSharp.Cv2.SetLogLevel(OpenCvSharp.LogLevel.SILENT);
    }

    /// <summary>The process-wide settings in force, in plain values for Get-HeatmapToolsInfo.</summary>
    public static NativeSettings Describe() =>
        new(NativeHeap.Tuned ? "ReuseLargeBlocks" : "Default", torch.get_num_threads(), OpenCvSharp.Cv2.GetNumThreads(), Scaling.CpuAllocation.Current.Source);

    /// <summary>A short proof that both native stacks load: used by the module's self-test.</summary>
    public static string Probe()
    {
        using var scope = torch.NewDisposeScope();
        var sum = torch.ones(2, 2).sum().item<float>();
        using var mat = new OpenCvSharp.Mat(2, 2, OpenCvSharp.MatType.CV_8UC3, OpenCvSharp.Scalar.All(7));
        return $"torch {torch.__version__} sum={sum}; OpenCV {OpenCvSharp.Cv2.GetVersionString()} mean={mat.Mean().Val0}";
    }
}
