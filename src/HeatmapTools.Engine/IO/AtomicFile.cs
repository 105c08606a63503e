namespace HeatmapTools.Engine.IO;

/// <summary>
/// Writes a file through a temporary sibling and a rename, so a reader (or a cancelled run) never sees half a file,
/// and refuses to replace an existing file unless asked to.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, bool overwrite, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        if (!overwrite && File.Exists(full))
            throw new HeatmapToolsException(ErrorIds.OutputExists, "ResourceExists",
                ExistsMessage(full), full);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                write(stream);
            File.Move(temp, full, overwrite);
        }
        catch (IOException) when (!overwrite && File.Exists(full))
        {
            throw new HeatmapToolsException(ErrorIds.OutputExists, "ResourceExists",
                ExistsMessage(full), full);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public static string ExistsMessage(string fullPath) => $"Output '{fullPath}' already exists. Use -Force to overwrite it.";

    public static void WriteBytes(string path, bool overwrite, byte[] bytes) => Write(path, overwrite, s => s.Write(bytes));
}
