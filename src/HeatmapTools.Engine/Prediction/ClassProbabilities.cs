using System.Text.Json;

namespace HeatmapTools.Engine.Prediction;

/// <summary>
/// Every class's probability (a softmax; the sigmoid for a one-logit head), as a prediction carries it and as its CSV row writes it: one JSON object
/// {label: probability} in class order, numbers written round-trippable, so a table read back gives the very doubles
/// the pipeline used (New-PatientPatchGrid draws the same bytes from either).
/// </summary>
public sealed class ClassProbabilities
{
    /// <summary>
    /// Heads up to this many classes carry the text: a patch classifier's handful fits a CSV cell, an ImageNet head's
    /// thousand would make every row 20 KB (Ranking names its top classes instead).
    /// </summary>
    public const int MaxClassesWritten = 32;

    public IReadOnlyList<string> Labels { get; }
    public IReadOnlyList<double> Values { get; }

    public ClassProbabilities(IReadOnlyList<string> labels, IReadOnlyList<double> values)
    {
        if (labels.Count != values.Count) throw new ArgumentException("One label per class.");
        Labels = labels;
        Values = values;
    }

    /// <summary>Softmax in double, shifted by the largest logit: the one computation every probability here comes from.</summary>
    public static double[] Softmax(IReadOnlyList<float> logits)
    {
        double max = logits.Max();
        var p = new double[logits.Count];
        double sum = 0;
        for (int i = 0; i < p.Length; i++) sum += p[i] = Math.Exp(logits[i] - max);
        for (int i = 0; i < p.Length; i++) p[i] /= sum;
        return p;
    }

    /// <summary>
    /// The head's probabilities: a softmax over its logits, or, for a head of one logit (a binary classifier trained
    /// with BCEWithLogitsLoss), the sigmoid of it, P(positive). A softmax over one logit is 1 for every input.
    /// </summary>
    public static ClassProbabilities FromLogits(IReadOnlyList<float> logits, IReadOnlyList<string> labels,
        HeadActivation head = HeadActivation.Auto, bool outputIsProbability = false, string? item = null)
    {
        switch (Resolve(head, logits.Count, outputIsProbability))
        {
            case HeadActivation.Sigmoid:
                return new(labels, logits.Select(l => Sigmoid(l)).ToArray());
            case HeadActivation.None:
                for (int i = 0; i < logits.Count; i++)
                    if (!(logits[i] >= 0 && logits[i] <= 1))
                        throw new HeatmapToolsException(ErrorIds.HeadNotProbability, ErrorKind.InvalidResult,
                            $"{(item is null ? "The model" : $"The model's output for '{item}'")} is {logits[i]} at class {i}, not a probability: its head " +
                            "does not end in a softmax or sigmoid. Use -HeadActivation Softmax (one class per image) or Sigmoid (independent classes).", item);
                return new(labels, logits.Select(l => (double)l).ToArray());
            default:
                return new(labels, Softmax(logits));
        }
    }

    /// <summary>What Auto means for a head: None when the network ends in a softmax, Sigmoid for one logit, else Softmax.</summary>
    public static HeadActivation Resolve(HeadActivation head, int classes, bool outputIsProbability) =>
        head != HeadActivation.Auto ? head : outputIsProbability ? HeadActivation.None : classes == 1 ? HeadActivation.Sigmoid : HeadActivation.Softmax;

    /// <summary>1 / (1 + e^-x), in double, written so neither tail overflows.</summary>
    public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    /// <summary>The JSON text for a CSV cell, or null for heads too big to write (see <see cref="MaxClassesWritten"/>).</summary>
    public string? ToText()
    {
        if (Values.Count > MaxClassesWritten) return null;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            for (int i = 0; i < Values.Count; i++) json.WriteNumber(Labels[i], Values[i]);
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Reads <see cref="ToText"/>'s form back; <paramref name="item"/> names the row in the error.</summary>
    public static ClassProbabilities Parse(string text, string item)
    {
        try
        {
            // Duplicate labels are allowed (ImageNet has two "crane"s): the order, not the name, says the class.
            using var doc = JsonDocument.Parse(text);
            var labels = new List<string>();
            var values = new List<double>();
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                double p = property.Value.GetDouble();
                if (p is < 0 or > 1 || double.IsNaN(p)) throw new FormatException($"'{property.Name}' has {p}, not a probability");
                labels.Add(property.Name);
                values.Add(p);
            }
            if (values.Count == 0) throw new FormatException("it names no class");
            return new ClassProbabilities(labels, values);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            throw new HeatmapToolsException(ErrorIds.CsvRowInvalid, ErrorKind.InvalidData,
                $"{item}: ClassProbabilities is not an object of class probabilities ({ex.Message}).", item);
        }
    }

    /// <summary>The index of the positive class among these (see <see cref="PositiveClass"/>).</summary>
    public int PositiveIndex(PositiveClass? positive, string item) => (positive ?? PositiveClass.Unspecified).IndexIn(Labels, item);

    public double Positive(PositiveClass? positive, string item) => Values[PositiveIndex(positive, item)];
}
