using System.Collections;
using System.Globalization;
using System.Management.Automation;

namespace HeatmapTools.Commands;

/// <summary>
/// Lets a parameter that reads class probabilities as JSON text bind every form a prediction's probabilities travel in:
/// the list itself (piped from Get-ClassPrediction), the text (a CSV cell), the list after ConvertTo-Json and
/// ConvertFrom-Json (objects with Label and Probability, or label=p texts beyond -Depth), or the text after ConvertFrom-Json (one object, a property per label).
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ClassProbabilitiesArgumentAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        object? value = inputData is PSObject ps ? ps.BaseObject : inputData;
        switch (value)
        {
            case null: return null;
            case string text: return text;
            case ClassProbabilityList list: return list.ToJson();
            case IEnumerable items:
                var labels = new List<string>();
                var values = new List<double>();
                foreach (var item in items)
                {
                    var o = PSObject.AsPSObject(item);
                    // ConvertTo-Json beyond its -Depth writes each class as its ToString(), label=p.
                    if (o.BaseObject is string pair && pair.LastIndexOf('=') is > 0 and int at
                        && double.TryParse(pair[(at + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed))
                    {
                        labels.Add(pair[..at]);
                        values.Add(parsed);
                        continue;
                    }
                    if (o.Properties["Label"]?.Value is not { } label || o.Properties["Probability"]?.Value is not { } p)
                        throw new ArgumentTransformationMetadataException("ClassProbabilities items need a Label and a Probability.");
                    labels.Add(label.ToString()!);
                    values.Add(Convert.ToDouble(p, CultureInfo.InvariantCulture));
                }
                return Text(labels, values);
            case PSCustomObject:
                var byLabel = ((PSObject)inputData!).Properties.Where(p => p.IsGettable).ToList();
                return Text(byLabel.Select(p => p.Name).ToList(), byLabel.Select(p => Convert.ToDouble(p.Value, CultureInfo.InvariantCulture)).ToList());
            default:
                return value.ToString();
        }
    }

    private static string Text(List<string> labels, List<double> values) =>
        new Engine.Prediction.ClassProbabilities(labels, values).ToText()
        ?? throw new ArgumentTransformationMetadataException($"ClassProbabilities of {labels.Count} classes; predictions carry them for heads of at most {Engine.Prediction.ClassProbabilities.MaxClassesWritten}.");
}
