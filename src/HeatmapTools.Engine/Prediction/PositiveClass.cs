using System.Globalization;

namespace HeatmapTools.Engine.Prediction;

/// <summary>
/// Which class is "positive" when a prediction becomes one probability (a patient's heatmap): parsed once where it
/// enters (-PositiveClass, a model's sidecar file), then matched against each prediction's classes. Without one, a
/// two-class head's class 1, or a one-logit head's only output.
/// </summary>
public sealed class PositiveClass
{
    private readonly int? _index;
    private readonly string? _label;

    private PositiveClass(int? index, string? label) => (_index, _label) = (index, label);

    /// <summary>Nothing said: the obvious class of a one- or two-class head.</summary>
    public static PositiveClass Unspecified { get; } = new(null, null);

    public bool IsSpecified => _index is not null || _label is not null;

    /// <summary>An index ("1") or a label ("idc"); null or empty is <see cref="Unspecified"/>.</summary>
    public static PositiveClass Parse(string? text) =>
        string.IsNullOrWhiteSpace(text) ? Unspecified
        : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int index) ? new PositiveClass(index, null)
        : new PositiveClass(null, text.Trim());

    /// <summary>This one if it was said, else <paramref name="fallback"/>.</summary>
    public PositiveClass Or(PositiveClass? fallback) => IsSpecified || fallback is null ? this : fallback;

    /// <summary>The positive class's index among <paramref name="labels"/> (PositiveClassRequired when it names none).</summary>
    public int IndexIn(IReadOnlyList<string> labels, string item)
    {
        int count = labels.Count;
        if (_index is int i)
            return i >= 0 && i < count ? i : throw new HeatmapToolsException(ErrorIds.PositiveClassRequired, ErrorKind.InvalidArgument,
                $"-PositiveClass {i} is outside the {count} classes of '{item}'.", item);
        if (_label is { } label)
        {
            for (int c = 0; c < count; c++)
                if (string.Equals(labels[c], label, StringComparison.OrdinalIgnoreCase)) return c;
            throw new HeatmapToolsException(ErrorIds.PositiveClassRequired, ErrorKind.InvalidArgument,
                $"-PositiveClass '{label}' is neither a class index nor a label of '{item}' ({string.Join(", ", labels.Take(8))}{(count > 8 ? ", ..." : "")}).", label);
        }
        // A one-logit head's only probability is the positive class's.
        return count == 2 ? 1 : count == 1 ? 0 : throw new HeatmapToolsException(ErrorIds.PositiveClassRequired, ErrorKind.InvalidArgument,
            $"'{item}' was classified into {count} classes: say which is positive with -PositiveClass (an index or a label); " +
            "only a two-class head defaults to class 1.", item);
    }

    public override string ToString() => _index?.ToString(CultureInfo.InvariantCulture) ?? _label ?? "(unspecified)";
}
