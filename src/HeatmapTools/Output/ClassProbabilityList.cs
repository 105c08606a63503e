using System.Collections;

namespace HeatmapTools;

/// <summary>One class's probability in a prediction.</summary>
public sealed class ClassProbability
{
    public int ClassIndex { get; init; }
    public string Label { get; init; } = "";
    public double Probability { get; init; }

    /// <summary>label=p with every digit: what ConvertTo-Json writes for it beyond its -Depth, which the slide cmdlets read back.</summary>
    public override string ToString() => $"{Label}={Probability.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}";
}

/// <summary>
/// Every class's probability of one prediction, in class order: a list to sort and filter
/// (<c>$p.ClassProbabilities | Sort-Object Probability -Descending</c>) and to index by label
/// (<c>$p.ClassProbabilities['idc']</c>) or by class. Export-Csv writes it (its ToString) as the JSON object {label: p}
/// with every digit kept, which New-PatientPatchGrid and the slide cmdlets read back to the same doubles; ToJson() is that text.
/// Not an IList, so PowerShell's index operator reaches the label indexer.
/// </summary>
public sealed class ClassProbabilityList : IReadOnlyList<ClassProbability>
{
    private readonly ClassProbability[] _items;
    private readonly string _json;

    public ClassProbabilityList(IReadOnlyList<string> labels, IReadOnlyList<double> values, string json)
    {
        if (labels.Count != values.Count) throw new ArgumentException("One label per class.");
        _items = labels.Select((label, i) => new ClassProbability { ClassIndex = i, Label = label, Probability = values[i] }).ToArray();
        _json = json;
    }

    public int Count => _items.Length;

    public ClassProbability this[int classIndex] => _items[classIndex];

    /// <summary>The probability of the (first) class of this label; null when no class has it.</summary>
    public double? this[string label] => _items.FirstOrDefault(c => c.Label.Equals(label, StringComparison.Ordinal))?.Probability
        ?? _items.FirstOrDefault(c => c.Label.Equals(label, StringComparison.OrdinalIgnoreCase))?.Probability;

    /// <summary>The JSON object {label: probability} in class order, as Export-Csv writes it.</summary>
    public string ToJson() => _json;

    public override string ToString() => _json;

    public IEnumerator<ClassProbability> GetEnumerator() => ((IEnumerable<ClassProbability>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();
}
