using System.Collections;
using System.Management.Automation;

namespace HeatmapTools.Commands;

/// <summary>
/// A piped object's properties read by name, alike whether it is live, a CSV row or a deserialised object from another
/// process (ConvertFrom-Json, remoting): what lets a map result be made again where it arrives without its map.
/// </summary>
internal static class PipedProperties
{
    /// <summary>A property's value as invariant text (numbers and enums as PowerShell would not localise them); null when absent.</summary>
    public static string? Text(PSObject item, string name) =>
        item.Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))?.Value switch
        {
            IFormattable number => number.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
            var value => value?.ToString(),
        };

    /// <summary>A list of numbers a property holds (a float[] live; a list of numbers after ConvertFrom-Json or remoting), else null.</summary>
    public static float[]? Numbers(PSObject item, string name)
    {
        var value = item.Properties[name]?.Value;
        if ((value as PSObject)?.BaseObject is { } inner) value = inner;
        return value is IEnumerable list and not string
            ? list.Cast<object>().Select(v => Convert.ToSingle((v as PSObject)?.BaseObject ?? v, System.Globalization.CultureInfo.InvariantCulture)).ToArray()
            : null;
    }

    /// <summary>The recipe of a map result (a New-CamHeatmap result, live or deserialised); null for anything else.</summary>
    public static Engine.Cam.CamRecipe? Recipe(PSObject item) => Engine.Cam.CamRecipe.From(name => Text(item, name), name => Numbers(item, name));
}
