using System.IO.Hashing;
using System.Text;

namespace HeatmapTools.Engine.Scaling;

/// <summary>
/// One node's share of a job split N ways without coordination (-Shard k/N): an item belongs to shard
/// XxHash64(key) mod N + 1, so every item lands in exactly one shard, the same on every machine and every run.
/// Images are keyed by their full path, or with -ShardRoot by their path below it, so nodes that mount a shared folder
/// at different places agree; patients by their id.
/// </summary>
public sealed record Shard(int Index, int Count)
{
    public const int MaxCount = 100_000;

    public static Shard Parse(string text)
    {
        var parts = text.Split('/', StringSplitOptions.TrimEntries);
        if (parts.Length == 2 && int.TryParse(parts[0], out int k) && int.TryParse(parts[1], out int n) && n >= 1 && n <= MaxCount && k >= 1 && k <= n)
            return new Shard(k, n);
        throw new HeatmapToolsException(ErrorIds.ShardInvalid, ErrorKind.InvalidArgument,
            $"-Shard '{text}' is not k/N with 1 <= k <= N <= {MaxCount:N0} (for example 2/3: the second of three shares).", text);
    }

    /// <summary>The shard (1..count) an item key belongs to.</summary>
    public static int Of(string key, int count) => (int)(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(key)) % (ulong)count) + 1;

    public bool Contains(string key) => Of(key, Count) == Index;

    /// <summary>
    /// An image's key: its path relative to <paramref name="root"/> with '/' separators, or without a root its full path
    /// with '/'. Never the current folder: the same paths must split the same way wherever the command runs. Null when
    /// the image is not below the root (the caller reports it; it belongs to no shard).
    /// </summary>
    public static string? ImageKey(string path, string? root)
    {
        string full = Path.GetFullPath(path);
        if (root is null) return full.Replace('\\', '/');
        string relative = Path.GetRelativePath(Path.GetFullPath(root), full);
        if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative)) return null;
        return relative.Replace('\\', '/');
    }

    public override string ToString() => $"{Index}/{Count}";
}
