using HeatmapTools.Engine.Discovery;
using HeatmapTools.Engine.IO;

namespace HeatmapTools.Engine.Rendering.MapFormats;

/// <summary>
/// A way to save a raw [0, 1] map beside its overlay (-MapFormat). Each format is one class in this folder, found by
/// name, so adding a format is adding a file.
/// </summary>
public abstract class RawMapFormat
{
    private static readonly Registry<RawMapFormat> Formats = new(f => f.Name);

    /// <summary>The name -MapFormat takes.</summary>
    public abstract string Name { get; }

    /// <summary>The file extension, with its dot.</summary>
    public abstract string Extension { get; }

    /// <summary>Writes a row-major <paramref name="width"/> x <paramref name="height"/> map to <paramref name="output"/>.</summary>
    protected abstract void Encode(Stream output, float[] map, int width, int height);

    /// <summary>Writes the map to <paramref name="path"/> through a temporary file, never over an existing one unless <paramref name="overwrite"/>.</summary>
    public void Write(string path, float[] map, int width, int height, bool overwrite) =>
        AtomicFile.Write(path, overwrite, stream => Encode(stream, map, width, height));

    public override string ToString() => Name;

    /// <summary>The word that asks for no raw map.</summary>
    public const string NoneName = "None";

    /// <summary>Names -MapFormat takes: None first, then every format alphabetically.</summary>
    public static IReadOnlyList<string> Names =>
        new[] { NoneName }.Concat(Formats.All.Keys.OrderBy(n => n, StringComparer.Ordinal)).ToList();

    /// <summary>The format named <paramref name="name"/>; null for None.</summary>
    public static RawMapFormat? Parse(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Equals(NoneName, StringComparison.OrdinalIgnoreCase)) return null;
        if (Formats.TryGet(name, out var format)) return format;
        throw new HeatmapToolsException(ErrorIds.UnknownMapFormat, ErrorKind.InvalidArgument,
            $"Unknown map format '{name}'.{Formats.Hint(name)} Formats: {string.Join(", ", Names)}.", name);
    }
}
