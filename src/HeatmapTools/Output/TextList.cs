using System.Collections.ObjectModel;

namespace HeatmapTools;

/// <summary>
/// A list of strings on a result (files written, patient ids, labels) that Export-Csv writes as its items joined by
/// "; " rather than "System.String[]"; in the pipeline it is a list like any other ($r.Files[0], $r.Files.Count).
/// </summary>
public sealed class TextList : ReadOnlyCollection<string>
{
    public TextList(IList<string> items) : base(items) { }

    public static TextList Empty { get; } = new(Array.Empty<string>());

    public override string ToString() => string.Join("; ", this);

    // A null array (no -Labels given) stays null.
    public static implicit operator TextList(string[]? items) => items is null ? null! : new(items);
}
