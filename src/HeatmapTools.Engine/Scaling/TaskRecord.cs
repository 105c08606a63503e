using System.Text;
using System.Text.Json;

namespace HeatmapTools.Engine.Scaling;

/// <summary>What one input came to in a task: its outputs written, passed over as finished, or its error.</summary>
public sealed record TaskRecordEntry(string Input, string Status, IReadOnlyList<string> Outputs, string? ErrorId, string? Message,
    IReadOnlyDictionary<string, string> Facts, string Task, string Host, DateTimeOffset Time);

/// <summary>
/// A task's account of its run, as JSON Lines beside its outputs (-RecordPath): a start line, one line per input (Done
/// with its outputs and facts, Skipped as finished, Failed with its ErrorId) and an end line. Lines are appended whole
/// and forced to disk after every batch, so a task killed mid-run (scancel, a lost node) leaves every line it finished
/// and never half a record; a resubmitted task appends its own run. <see cref="Read"/> gathers every task's records.
/// </summary>
public sealed class TaskRecord : IDisposable
{
    public const string Done = "Done", Skipped = "Skipped", Failed = "Failed", Missing = "Missing";

    private readonly FileStream _stream;
    private readonly List<string> _pending = new();
    private readonly string _task;
    private readonly object _gate = new();
    private int _done, _skipped, _failed;

    public TaskRecord(string path, string command, string task)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        _stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        try
        {
            RequireRecord(path);
        }
        catch
        {
            _stream.Dispose();
            throw;
        }
        _task = task;
        Line(new Dictionary<string, object?> { ["kind"] = "start", ["command"] = command, ["task"] = task, ["host"] = Environment.MachineName,
            ["pid"] = Environment.ProcessId, ["time"] = DateTimeOffset.UtcNow });
        Flush();
    }

    /// <summary>
    /// A record is appended to only when it is one: an existing file whose first line is not a task's start line (an
    /// image, a CSV, a typo'd path to the user's notes) is the user's, and is left as it was.
    /// </summary>
    private static void RequireRecord(string path)
    {
        string? first;
        using (var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite)))
        {
            if (reader.BaseStream.Length == 0) return;
            var buffer = new char[4096];
            int read = reader.ReadBlock(buffer, 0, buffer.Length);
            first = new string(buffer, 0, read).Split('\n')[0];
        }
        bool ours;
        try
        {
            using var doc = JsonDocument.Parse(first);
            ours = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("kind", out var kind)
                && kind.ValueKind == JsonValueKind.String && kind.GetString() == "start" && doc.RootElement.TryGetProperty("command", out _);
        }
        catch (JsonException)
        {
            ours = false;
        }
        if (!ours)
            throw new HeatmapToolsException(ErrorIds.RecordFileNotOurs, ErrorKind.ResourceExists,
                $"'{Path.GetFullPath(path)}' exists and is not a run record (its first line is not a task's start line), so -RecordPath will not " +
                "append to it. Give a new file or one an earlier run recorded into.", path);
    }

    public void Item(string input, string status, IEnumerable<string> outputs, IReadOnlyDictionary<string, string>? facts = null,
        string? errorId = null, string? message = null)
    {
        lock (_gate)
        {
            _ = status switch { Done => ++_done, Skipped => ++_skipped, _ => ++_failed };
            Line(new Dictionary<string, object?> { ["kind"] = "item", ["input"] = input, ["status"] = status, ["outputs"] = outputs.ToArray(),
                ["errorId"] = errorId, ["message"] = message, ["facts"] = facts, ["task"] = _task, ["host"] = Environment.MachineName, ["time"] = DateTimeOffset.UtcNow });
        }
    }

    /// <summary>Appends the lines so far in one write and forces them to disk.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            if (_pending.Count == 0) return;
            var bytes = Encoding.UTF8.GetBytes(string.Concat(_pending));
            _stream.Write(bytes);
            _stream.Flush(flushToDisk: true);
            _pending.Clear();
        }
    }

    /// <summary>The end line: the run finished (not stopped, not killed).</summary>
    public void Complete()
    {
        lock (_gate)
            Line(new Dictionary<string, object?> { ["kind"] = "end", ["task"] = _task, ["done"] = _done, ["skipped"] = _skipped, ["failed"] = _failed,
                ["time"] = DateTimeOffset.UtcNow });
        Flush();
    }

    public void Dispose()
    {
        Flush();
        _stream.Dispose();
    }

    private void Line(Dictionary<string, object?> fields) => _pending.Add(JsonSerializer.Serialize(fields) + "\n");

    /// <summary>
    /// Every input once, from every task's records: the newest line for an input wins (a resubmitted task's), a Done or
    /// Skipped input whose outputs are gone is Missing, and each expected input no record names is Missing too. A line cut
    /// short (a task killed mid-write on a filesystem that does not append atomically) is left out.
    /// </summary>
    public static IReadOnlyList<TaskRecordEntry> Read(IEnumerable<string> files, IEnumerable<string>? expected = null)
    {
        var latest = new Dictionary<string, TaskRecordEntry>(StringComparer.Ordinal);
        foreach (var file in files)
            foreach (var line in File.ReadLines(file))
            {
                JsonElement root;
                try { root = JsonDocument.Parse(line).RootElement; }
                catch (JsonException) { continue; }
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("kind", out var kind) || kind.GetString() != "item") continue;
                string input = root.GetProperty("input").GetString()!;
                var outputs = root.GetProperty("outputs").EnumerateArray().Select(o => o.GetString()!).ToList();
                var facts = root.TryGetProperty("facts", out var f) && f.ValueKind == JsonValueKind.Object
                    ? f.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ToString()) : new Dictionary<string, string>();
                var entry = new TaskRecordEntry(input, root.GetProperty("status").GetString()!, outputs, Text(root, "errorId"), Text(root, "message"),
                    facts, Text(root, "task") ?? "", Text(root, "host") ?? "", root.GetProperty("time").GetDateTimeOffset());
                if (!latest.TryGetValue(input, out var seen) || seen.Time <= entry.Time) latest[input] = entry;
            }
        var entries = latest.Values.Select(e => e.Status is Done or Skipped && e.Outputs.Any(o => !File.Exists(o))
            ? e with { Status = Missing, Message = $"Recorded {e.Status.ToLowerInvariant()}, but {e.Outputs.First(o => !File.Exists(o))} is not there." } : e).ToList();
        foreach (var input in expected ?? Enumerable.Empty<string>())
            if (!latest.ContainsKey(input))
                entries.Add(new TaskRecordEntry(input, Missing, Array.Empty<string>(), null, "No task recorded it.", new Dictionary<string, string>(), "", "", DateTimeOffset.MinValue));
        return entries.OrderBy(e => e.Input, StringComparer.Ordinal).ToList();
    }

    private static string? Text(JsonElement root, string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
