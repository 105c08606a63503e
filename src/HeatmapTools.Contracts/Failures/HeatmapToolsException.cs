namespace HeatmapTools;

/// <summary>
/// A failure the user can act on. <see cref="ErrorId"/> is stable across releases so scripts and tests can match on
/// it; <see cref="Category"/> is PowerShell's ErrorCategory by value, without the engine knowing PowerShell.
/// </summary>
public class HeatmapToolsException : Exception
{
    public HeatmapToolsException(string errorId, ErrorKind category, string message, object? target = null, Exception? inner = null)
        : base(WithoutNativeBacktrace(message), inner)
    {
        ErrorId = errorId;
        Category = category;
        Target = target;
    }

    /// <summary>
    /// libtorch's messages end in a C++ backtrace ("Exception raised from ... frame #0: ..."), dozens of lines no user
    /// can act on: the message keeps what comes before it.
    /// </summary>
    internal static string WithoutNativeBacktrace(string message)
    {
        int cut = message.IndexOf("Exception raised from ", StringComparison.Ordinal);
        int frames = message.IndexOf("frame #0:", StringComparison.Ordinal);
        if (frames >= 0 && (cut < 0 || frames < cut)) cut = frames;
        return cut < 0 ? message : message[..cut].TrimEnd(' ', '\n', '\r', ':', '(');
    }

    public string ErrorId { get; }
    public ErrorKind Category { get; }
    public object? Target { get; }
}
