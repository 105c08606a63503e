using HeatmapTools.Engine.Models;

namespace HeatmapTools.Engine.Cam;

/// <summary>
/// The target layers a run asks for, parsed once where -Layer (or a piped result's Layer) enters: names as given, none
/// for the model's default. Two selections are equal when they name the same layers in the same order, so records that
/// ask alike share a batch.
/// </summary>
public sealed class LayerSelection : IEquatable<LayerSelection>
{
    private LayerSelection(IReadOnlyList<string> names) => Names = names;

    public static LayerSelection Default { get; } = new(Array.Empty<string>());

    /// <summary>The names as given; empty for the model's default layer.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Layer names; a piped result names its several layers in one value, joined by commas.</summary>
    public static LayerSelection Parse(IEnumerable<string>? given)
    {
        var names = (given ?? Enumerable.Empty<string>())
            .SelectMany(l => l.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        return names.Count == 0 ? Default : new LayerSelection(names);
    }

    /// <summary>Layers named one by one (or a result's comma-joined value).</summary>
    public static LayerSelection Of(params string[] names) => Parse(names);

    /// <summary>The layers on <paramref name="model"/>, each checked (UnknownLayer); the default layer when none was given.</summary>
    public MapLayers Resolve(LayeredModel model) =>
        new(model, (Names.Count == 0 ? new[] { model.Info.DefaultLayer } : Names).Select(model.ResolveTarget).ToList());

    public bool Equals(LayerSelection? other) => other is not null && Names.SequenceEqual(other.Names, StringComparer.OrdinalIgnoreCase);
    public override bool Equals(object? obj) => Equals(obj as LayerSelection);
    public override int GetHashCode() => Names.Aggregate(17, (h, n) => h * 31 + StringComparer.OrdinalIgnoreCase.GetHashCode(n));
    public override string ToString() => Names.Count == 0 ? "(default)" : string.Join(",", Names);
}
