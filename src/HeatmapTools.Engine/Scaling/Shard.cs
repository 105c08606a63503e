using System.IO.Hashing;
using System.Text;

namespace HeatmapTools.Engine.Scaling;

/// <summary>
/// One node's share of a job split N ways without coordination (-Shard k/N): an item belongs to shard
/// XxHash64(key) mod N + 1, so every item lands in exactly one shard, the same on every machine and every run.
/// Images are keyed by their path relative to the folder the command runs in (full path outside it), so nodes that
/// mount a shared folder at different places agree; patients by their id.
/// </summary>
public sealed record Shard(int Index, int Count)
{
    public const int MaxCount = 100_000;

    public static Shard Parse(string text)
    {
        var parts = text.Split('/', StringSplitOptions.TrimEntries);
        if (parts.Length == 2 && int.TryParse(parts[0], out int k) && int.TryParse(parts[1], out int n) && n >= 1 && n <= MaxCount && k >= 1 && k <= n)
            return new Shard(k, n);
        throw new HeatmapToolsException(ErrorIds.ShardInvalid, "InvalidArgument",
            $"-Shard '{text}' is not k/N with 1 <= k <= N <= {MaxCount:N0} (for example 2/3: the second of three shares).", text);
    }

    /// <summary>The shard (1..count) an item key belongs to.</summary>
    public static int Of(string key, int count) => (int)(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(key)) % (ulong)count) + 1;

    public bool Contains(string key) => Of(key, Count) == Index;

    /// <summary>An image's key: its path relative to <paramref name="baseDirectory"/> with '/' separators when below it, else its full path.</summary>
    public static string ImageKey(string path, string? baseDirectory)
    {
        string full = Path.GetFullPath(path);
        if (baseDirectory is not null)
        {
            string relative = Path.GetRelativePath(Path.GetFullPath(baseDirectory), full);
            if (!relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative)) return relative.Replace('\\', '/');
        }
        return full.Replace('\\', '/');
    }

    public override string ToString() => $"{Index}/{Count}";
}
