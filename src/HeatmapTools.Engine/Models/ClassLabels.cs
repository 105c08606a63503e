using System.Text.Json;

namespace HeatmapTools.Engine.Models;

public sealed record ClassLabel(int Index, string? WordNetId, string Name);

/// <summary>
/// Human names for class indices: Keras's imagenet_class_index.json (<c>{"0": ["n01440764", "tench"]}</c>), a plain
/// JSON array or object of names, a text file with one label per line, or labels given directly.
/// </summary>
public sealed class ClassLabels
{
    public const string ImageNetIndexFile = "imagenet_class_index.json";
    private readonly ClassLabel[] _labels;

    public ClassLabels(IEnumerable<ClassLabel> labels) => _labels = labels.OrderBy(l => l.Index).ToArray();

    public int Count => _labels.Length;
    public ClassLabel this[int index] => index >= 0 && index < _labels.Length ? _labels[index] : new ClassLabel(index, null, $"class_{index}");
    public IReadOnlyList<ClassLabel> All => _labels;

    public static ClassLabels Numbered(int count) => new(Enumerable.Range(0, count).Select(i => new ClassLabel(i, null, $"class_{i}")));

    public static ClassLabels FromStrings(IReadOnlyList<string> names) => new(names.Select((n, i) => new ClassLabel(i, null, n)));

    public static ClassLabels FromFile(string path)
    {
        if (!File.Exists(path))
            throw new HeatmapToolsException(ErrorIds.LabelsInvalid, ErrorKind.ObjectNotFound, $"Labels file '{path}' does not exist.", path);
        IO.RegularFile.Ensure(path, ErrorIds.LabelsInvalid, "Labels file");
        string text = File.ReadAllText(path);
        if (!path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            // Line i is class i: an empty line inside the list would shift every label below it, so it is refused.
            var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).Reverse().SkipWhile(l => l.Trim().Length == 0).Reverse().ToList();
            int empty = lines.FindIndex(l => l.Trim().Length == 0);
            if (empty >= 0)
                throw new HeatmapToolsException(ErrorIds.LabelsInvalid, ErrorKind.InvalidData,
                    $"Labels file '{path}' has an empty line {empty + 1}: line i names class i - 1, so every label after it would shift. Name that class or remove the line.", path);
            return FromStrings(lines);
        }
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind == JsonValueKind.Array)
                return FromStrings(doc.RootElement.EnumerateArray().Select(e => e.GetString() ?? "").ToList());
            // Read by key, never by position: a repeated or missing key would shift every label above it.
            var labels = new Dictionary<int, ClassLabel>();
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!int.TryParse(property.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index))
                    throw new FormatException($"key '{property.Name}' is not a class index (0, 1, 2, ...)");
                if (labels.ContainsKey(index))
                    throw new FormatException($"key '{property.Name}' appears twice (\"{labels[index].Name}\" and the next); every class must have one label");
                labels[index] = property.Value.ValueKind == JsonValueKind.Array
                    ? new ClassLabel(index, property.Value[0].GetString(), property.Value[1].GetString() ?? "")
                    : new ClassLabel(index, null, property.Value.GetString() ?? "");
            }
            var missing = Enumerable.Range(0, labels.Count == 0 ? 0 : labels.Keys.Max() + 1).Where(i => !labels.ContainsKey(i)).ToList();
            if (missing.Count > 0)
                throw new FormatException($"key{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Take(5).Select(i => $"'{i}'"))}{(missing.Count > 5 ? $" and {missing.Count - 5} more" : "")} " +
                    $"missing below the largest, {labels.Keys.Max()}; every class from 0 up must have its label");
            return new ClassLabels(labels.Values);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new HeatmapToolsException(ErrorIds.LabelsInvalid, ErrorKind.InvalidData,
                $"Labels file '{path}' is not a class index ({{\"0\": [\"n01440764\", \"tench\"]}}), a JSON list of names, or one label per line: {ex.Message}", path, ex);
        }
    }

    /// <summary>The labels a file gives, refused unless it names exactly the model's classes (0 to numClasses - 1).</summary>
    public static ClassLabels FromFile(string path, int numClasses)
    {
        var labels = FromFile(path);
        if (labels.Count != numClasses)
            throw new HeatmapToolsException(ErrorIds.LabelsInvalid, ErrorKind.InvalidData,
                $"Labels file '{path}' names {labels.Count} classes (0 to {labels.Count - 1}) but the model has {numClasses}; " +
                (labels.Count > numClasses ? $"classes {numClasses} and above are out of its range." : $"classes {labels.Count} to {numClasses - 1} would have no label."), path);
        return labels;
    }

    /// <summary>The 21 Pascal VOC categories torchvision's segmentation weights predict, in their order.</summary>
    public static IReadOnlyList<string> VocCategories { get; } = new[]
    {
        "__background__", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow", "diningtable",
        "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    };

    /// <summary>The 91 COCO categories torchvision's detection weights predict, in their order ("N/A" for ids COCO leaves unused).</summary>
    public static IReadOnlyList<string> CocoCategories { get; } = new[]
    {
        "__background__", "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light", "fire hydrant", "N/A",
        "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "N/A", "backpack",
        "umbrella", "N/A", "N/A", "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove",
        "skateboard", "surfboard", "tennis racket", "bottle", "N/A", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich",
        "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant", "bed", "N/A", "dining table", "N/A", "N/A",
        "toilet", "N/A", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "N/A", "book",
        "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
    };

    /// <summary>
    /// ImageNet labels found like weights (HEATMAPTOOLS_MODEL_PATH folders, then the cache), or a segmenter's Pascal VOC
    /// categories when it has their number; numbered names otherwise.
    /// </summary>
    public static ClassLabels ForModel(int numClasses, string? baseDirectory = null, bool segmentation = false)
    {
        if (segmentation && numClasses == VocCategories.Count) return FromStrings(VocCategories);
        if (numClasses == 1000)
        {
            foreach (var folder in WeightsLocator.SearchFolders(baseDirectory))
            {
                var candidate = Path.Combine(folder, ImageNetIndexFile);
                if (File.Exists(candidate)) return FromFile(candidate, numClasses);
            }
        }
        return Numbered(numClasses);
    }

    /// <summary>
    /// Labels for a partly typed name (case-insensitive, spaces or underscores alike): those starting with it first,
    /// then those containing it, each name once, in class order; then, for two or more characters, the classes whose
    /// WordNet id starts with it.
    /// </summary>
    public IEnumerable<(ClassLabel Label, bool ByWordNetId)> Matching(string text)
    {
        string wanted = text.Replace(' ', '_');
        bool Starts(ClassLabel l) => l.Name.Replace(' ', '_').StartsWith(wanted, StringComparison.OrdinalIgnoreCase);
        var names = _labels.DistinctBy(l => l.Name, StringComparer.OrdinalIgnoreCase).ToList();
        var byName = names.Where(Starts).Concat(names.Where(l => !Starts(l) && l.Name.Replace(' ', '_').Contains(wanted, StringComparison.OrdinalIgnoreCase)));
        var byId = _labels.Where(l => wanted.Length > 1 && l.WordNetId is { } id && id.StartsWith(wanted, StringComparison.OrdinalIgnoreCase));
        return byName.Select(l => (l, false)).Concat(byId.Select(l => (l, true)));
    }

    /// <summary>Names at most a few edits from <paramref name="wanted"/> (about one per three letters), nearest first.</summary>
    private IEnumerable<ClassLabel> Misspelt(string wanted)
    {
        int allowed = Math.Max(1, wanted.Length / 3);
        return _labels.DistinctBy(l => l.Name, StringComparer.OrdinalIgnoreCase)
            .Select(l => (Label: l, Distance: EditDistance(wanted.ToLowerInvariant(), l.Name.Replace(' ', '_').ToLowerInvariant())))
            .Where(t => t.Distance <= allowed).OrderBy(t => t.Distance).ThenBy(t => t.Label.Index).Select(t => t.Label);
    }

    /// <summary>Insertions, deletions, substitutions and swaps of neighbours needed to turn one text into the other.</summary>
    internal static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        for (int j = 1; j <= b.Length; j++)
        {
            int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
        }
        return d[a.Length, b.Length];
    }

    /// <summary>Finds a class by label (case-insensitive, spaces or underscores) or WordNet id.</summary>
    public int Find(string nameOrWordNetId)
    {
        string wanted = nameOrWordNetId.Replace(' ', '_');
        foreach (var label in _labels)
        {
            if (string.Equals(label.WordNetId, nameOrWordNetId, StringComparison.OrdinalIgnoreCase) ||
                string.Equals(label.Name.Replace(' ', '_'), wanted, StringComparison.OrdinalIgnoreCase))
                return label.Index;
        }
        // Part of a name first ("lamp"), else names a typo or two away ("tabbby").
        var partial = Matching(nameOrWordNetId).Select(m => m.Label).Take(5).ToList();
        var close = (partial.Count > 0 ? partial : Misspelt(wanted).Take(5)).Select(l => $"{l.Name} ({l.Index})").ToList();
        throw new HeatmapToolsException(ErrorIds.UnknownClass, ErrorKind.InvalidArgument,
            $"No class is named '{nameOrWordNetId}'." + (close.Any() ? $" Did you mean: {string.Join(", ", close)}?" : ""), nameOrWordNetId);
    }
}
