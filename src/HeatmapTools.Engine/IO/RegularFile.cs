using System.Runtime.InteropServices;

namespace HeatmapTools.Engine.IO;

/// <summary>
/// Refuses inputs that are not regular files before they are opened: opening a FIFO named like an image blocks until
/// some other process writes to it (for ever, in an unattended script), and devices or sockets are no better. Links
/// are followed, so a link to a regular file is fine.
/// </summary>
public static class RegularFile
{
    /// <summary>Throws <paramref name="errorId"/> naming what <paramref name="path"/> is when it is not a regular file.</summary>
    public static void Ensure(string path, string errorId, string what)
    {
        if (path.Contains('\0'))
            throw new HeatmapToolsException(errorId, ErrorKind.InvalidArgument, $"{what} path '{path.Replace("\0", "\\0")}' contains a NUL character, which no file name can hold.", path);
        if (Kind(path) is { } kind)
            throw new HeatmapToolsException(errorId, ErrorKind.InvalidType, $"{what} '{path}' is {kind}, not a regular file; it is not read.", path);
    }

    /// <summary>What a non-regular file is ("a named pipe (FIFO)", ...), or null for a regular file, a missing one, or where this cannot be told.</summary>
    public static string? Kind(string path)
    {
        if (path.Contains('\0')) return "a path with a NUL character";
        if (!OperatingSystem.IsLinux()) return Directory.Exists(path) ? "a directory" : null;
        // statx's buffer has the same layout on every Linux architecture, unlike struct stat: stx_mode is the u16 at 28.
        var buffer = new byte[256];
        if (Statx(AtCurrentDirectory, path, 0, StatxType, buffer) != 0) return null;
        int type = BitConverter.ToUInt16(buffer, 28) & 0xF000;
        return type switch
        {
            0x8000 => null,
            0x4000 => "a directory",
            0x1000 => "a named pipe (FIFO)",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0xC000 => "a socket",
            _ => "not a regular file",
        };
    }

    private const int AtCurrentDirectory = -100;
    private const uint StatxType = 0x1;

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
}
