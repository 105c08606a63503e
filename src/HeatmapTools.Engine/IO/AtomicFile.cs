using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace HeatmapTools.Engine.IO;

/// <summary>
/// Writes a file through a temporary sibling and a rename, so a reader (or a cancelled run) never sees half a file.
/// Without overwrite the rename itself refuses an existing file (renameat2 with RENAME_NOREPLACE, else link and
/// unlink), so of two processes racing for one name exactly one wins and the other gets OutputExists. Temporary
/// files are named <c>.NAME.hmt-PID-RANDOM.tmp</c>: removed on SIGTERM, and those of a process that is gone (SIGKILL)
/// are swept the first time this process writes into their folder.
/// </summary>
public static partial class AtomicFile
{
    private static readonly ConcurrentDictionary<string, byte> InFlight = new();
    private static readonly ConcurrentDictionary<string, byte> SweptFolders = new(StringComparer.Ordinal);
    private static readonly PosixSignalRegistration? TermHandler = RegisterTermHandler();

    /// <summary>
    /// Writes <paramref name="path"/>; never over a file in <paramref name="inputs"/> (the run's inputs, full paths),
    /// with or without <paramref name="overwrite"/>.
    /// </summary>
    public static void Write(string path, bool overwrite, Action<Stream> write, IReadOnlySet<string>? inputs = null)
    {
        string full = Path.GetFullPath(path);
        if (inputs is not null && inputs.Contains(full))
            throw new HeatmapToolsException(ErrorIds.OutputIsInput, ErrorKind.InvalidArgument,
                $"Output '{full}' is one of this run's inputs; it is never written over, -Force or not. Choose another output name.", full);
        if (!overwrite && File.Exists(full))
            throw new HeatmapToolsException(ErrorIds.OutputExists, ErrorKind.ResourceExists, ExistsMessage(full), full);
        string folder = Path.GetDirectoryName(full)!;
        string temp = Path.Combine(folder, $".{Path.GetFileName(full)}.hmt-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}.tmp");
        InFlight[temp] = 0;
        try
        {
            Directory.CreateDirectory(folder);
            if (SweptFolders.TryAdd(folder, 0)) SweepStale(folder);
            // Read too: a TIFF writer walks back over the directories it wrote to link the next one.
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite))
                write(stream);
            if (overwrite) File.Move(temp, full, overwrite: true);
            else PublishNoReplace(temp, full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A full disk, a read-only folder, a folder removed mid-run: this output fails with an ErrorId, the run goes on.
            throw new HeatmapToolsException(ErrorIds.OutputWriteFailed, ErrorKind.WriteError, $"Could not write '{full}': {ex.Message}", full, ex);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
            InFlight.TryRemove(temp, out _);
        }
    }

    /// <summary>Creates an output folder; one the file system refuses (a file in its way, no permission) is OutputWriteFailed.</summary>
    public static void CreateFolder(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new HeatmapToolsException(ErrorIds.OutputWriteFailed, ErrorKind.WriteError, $"Could not create the output folder '{folder}': {ex.Message}", folder, ex);
        }
    }

    public static string ExistsMessage(string fullPath) => $"Output '{fullPath}' already exists. Use -Force to overwrite it.";

    public static void WriteBytes(string path, bool overwrite, byte[] bytes) => Write(path, overwrite, s => s.Write(bytes));

    private static void PublishNoReplace(string temp, string full)
    {
        if (OperatingSystem.IsLinux())
        {
            if (RenameAt2(AtCurrentDirectory, temp, AtCurrentDirectory, full, RenameNoReplace) == 0) return;
            int errno = Marshal.GetLastPInvokeError();
            if (errno == EExist) throw new HeatmapToolsException(ErrorIds.OutputExists, ErrorKind.ResourceExists, ExistsMessage(full), full);
            // EINVAL: a file system without RENAME_NOREPLACE; .NET's own no-overwrite move links and unlinks instead.
        }
        try
        {
            File.Move(temp, full, overwrite: false);
        }
        catch (IOException) when (File.Exists(full))
        {
            throw new HeatmapToolsException(ErrorIds.OutputExists, ErrorKind.ResourceExists, ExistsMessage(full), full);
        }
    }

    /// <summary>Removes temporary files of processes that no longer run (killed mid-write); returns what it removed.</summary>
    public static IReadOnlyList<string> SweepStale(string folder)
    {
        var removed = new List<string>();
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(folder, ".*.hmt-*.tmp").ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return removed;
        }
        foreach (var file in candidates)
        {
            var match = TempName().Match(Path.GetFileName(file));
            if (!match.Success || !int.TryParse(match.Groups["pid"].Value, out int pid) || IsRunning(pid)) continue;
            try
            {
                File.Delete(file);
                removed.Add(file);
                Running.RunScope.Current.TemporarySwept(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another sweeper got there first, or the folder is read-only: nothing to report.
            }
        }
        return removed;
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        if (OperatingSystem.IsLinux()) return Directory.Exists($"/proc/{pid}");
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static PosixSignalRegistration? RegisterTermHandler()
    {
        if (OperatingSystem.IsWindows()) return null;
        // The handler only tidies up; the signal then does what it would have done.
        return PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ =>
        {
            foreach (var temp in InFlight.Keys)
            {
                try { File.Delete(temp); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
            }
        });
    }

    [GeneratedRegex(@"^\..+\.hmt-(?<pid>\d+)-[0-9a-f]{8}\.tmp$")]
    private static partial Regex TempName();

    private const int AtCurrentDirectory = -100;
    private const uint RenameNoReplace = 1;
    private const int EExist = 17;

    [DllImport("libc", EntryPoint = "renameat2", SetLastError = true)]
    private static extern int RenameAt2(int oldDirectory, [MarshalAs(UnmanagedType.LPUTF8Str)] string oldPath, int newDirectory,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath, uint flags);
}
