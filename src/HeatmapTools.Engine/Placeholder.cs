namespace HeatmapTools.Engine;
public static class Probe
{
    public static string Run()
    {
        using var t = TorchSharp.torch.ones(2, 2);
        using var m = new OpenCvSharp.Mat(2, 2, OpenCvSharp.MatType.CV_8UC3);
        return $"torch sum={t.sum().item<float>()} cv={m.Width}x{m.Height} {OpenCvSharp.Cv2.GetVersionString()}";
    }
}
