namespace HeatmapTools.Engine.IO;

/// <summary>A file's length and last write time: whether it is still the file something was made from.</summary>
public sealed record FileStamp(long Length, DateTime WrittenUtc)
{
    /// <summary>The stamp of <paramref name="path"/>, or null when there is no such file.</summary>
    public static FileStamp? Of(string path)
    {
        var file = new FileInfo(path);
        return file.Exists ? new FileStamp(file.Length, file.LastWriteTimeUtc) : null;
    }
}
