using System.Runtime.InteropServices;

namespace HeatmapTools.Engine.Native;

/// <summary>
/// OpenCV's official Linux runtime carries its own libjpeg, libpng, libtiff and libwebp and exports their symbols,
/// and it links GTK, which pulls in the system's libjpeg.so.62 and libpng16. Loaded as OpenCV's dependencies, those
/// system libraries bind their own internal calls to OpenCV's copies (the first definition in OpenCV's search list),
/// so OpenSlide, reading a JPEG-compressed slide through libtiff and that libjpeg, runs OpenCV's libjpeg on the system's
/// structures and crashes the process. Loaded first, in a scope of their own, they stay bound to themselves.
/// </summary>
public static class NativeOrder
{
    private static int _done;

    /// <summary>Loads OpenSlide and the system's image codecs, where present, before OpenCV is loaded. Idempotent.</summary>
    public static void BeforeOpenCv()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref _done, 1) == 1) return;
        // OpenSlide first: it brings the codec libraries it reads slides with (whatever their versions) in its own scope.
        foreach (var name in new[] { "libopenslide.so.0", "libtiff.so.6", "libtiff.so.5", "libjpeg.so.62", "libjpeg.so.8", "libpng16.so.16", "libwebp.so.7", "libopenjp2.so.7" })
            NativeLibrary.TryLoad(name, out _);
    }
}
