using System.Runtime.InteropServices;

namespace HeatmapTools.Engine.Slides;

/// <summary>
/// The part of OpenSlide's C API (libopenslide.so.0, Debian's libopenslide0; no .NET binding is published) the slide
/// reader uses. Strings are UTF-8; read_region writes premultiplied ARGB, one uint32 a pixel.
/// </summary>
internal static partial class OpenSlideNative
{
    private const string Library = "libopenslide.so.0";

    [LibraryImport(Library, EntryPoint = "openslide_open", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr Open(string path);

    [LibraryImport(Library, EntryPoint = "openslide_close")]
    public static partial void Close(IntPtr slide);

    [LibraryImport(Library, EntryPoint = "openslide_get_error")]
    public static partial IntPtr GetError(IntPtr slide);

    [LibraryImport(Library, EntryPoint = "openslide_get_level_count")]
    public static partial int LevelCount(IntPtr slide);

    [LibraryImport(Library, EntryPoint = "openslide_get_level_dimensions")]
    public static partial void LevelDimensions(IntPtr slide, int level, out long width, out long height);

    [LibraryImport(Library, EntryPoint = "openslide_get_level_downsample")]
    public static partial double LevelDownsample(IntPtr slide, int level);

    [LibraryImport(Library, EntryPoint = "openslide_read_region")]
    public static unsafe partial void ReadRegion(IntPtr slide, uint* destination, long x, long y, int level, long width, long height);

    [LibraryImport(Library, EntryPoint = "openslide_get_property_names")]
    public static partial IntPtr PropertyNames(IntPtr slide);

    [LibraryImport(Library, EntryPoint = "openslide_get_property_value", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr PropertyValue(IntPtr slide, string name);

    [LibraryImport(Library, EntryPoint = "openslide_detect_vendor", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr DetectVendor(string path);

    /// <summary>Whether the library loads at all: a missing package is said by name, not as a DllNotFoundException.</summary>
    public static bool Available => _available.Value;

    private static readonly Lazy<bool> _available = new(() => NativeLibrary.TryLoad(Library, typeof(OpenSlideNative).Assembly, null, out _));

    public static string? Text(IntPtr utf8) => utf8 == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(utf8);
}
