using System.Collections.Concurrent;
using System.Globalization;

namespace HeatmapTools.Engine.Native;

/// <summary>
/// The module's environment variables read with a warning for a value it cannot use: HEATMAPTOOLS_HELD_MB=-1 must not
/// quietly become the default. Warnings are queued (settings are read on any thread, often in static initialisers) and
/// the cmdlets report each once per process, naming the variable, the value and what is used instead.
/// </summary>
public static class EnvironmentSettings
{
    private static readonly ConcurrentDictionary<string, byte> Warned = new(StringComparer.Ordinal);

    /// <summary>Warnings not yet reported.</summary>
    public static ConcurrentQueue<string> Warnings { get; } = new();

    /// <summary>A whole number of at least <paramref name="minimum"/>, or <paramref name="fallback"/> when unset (or unusable, with a warning).</summary>
    public static long Number(string variable, long minimum, long fallback, string unit, string? fallbackText = null)
    {
        string? text = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        if (long.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) && value >= minimum) return value;
        Warn(variable, text, $"it is not a whole number of at least {minimum}; {fallbackText ?? $"{fallback:N0} {unit}"} is used");
        return fallback;
    }

    /// <summary>A switch: 1/true/yes/on or 0/false/no/off (any case); anything else warns and counts as unset.</summary>
    public static bool Flag(string variable)
    {
        string? text = Environment.GetEnvironmentVariable(variable)?.Trim();
        if (string.IsNullOrEmpty(text)) return false;
        switch (text.ToLowerInvariant())
        {
            case "1" or "true" or "yes" or "on": return true;
            case "0" or "false" or "no" or "off": return false;
        }
        Warn(variable, text, "it is none of 1, true, yes, on, 0, false, no, off; it counts as off");
        return false;
    }

    /// <summary>One of <paramref name="allowed"/> (any case), or null when unset (or unusable, with a warning).</summary>
    public static string? Choice(string variable, params string[] allowed)
    {
        string? text = Environment.GetEnvironmentVariable(variable)?.Trim();
        if (string.IsNullOrEmpty(text)) return null;
        if (allowed.FirstOrDefault(a => a.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } known) return known;
        Warn(variable, text, $"it is not {string.Join(" or ", allowed)}; it is ignored");
        return null;
    }

    private static void Warn(string variable, string text, string what)
    {
        if (Warned.TryAdd($"{variable}={text}", 0)) Running.RunScope.Current.Warning($"{variable}='{text}' cannot be used: {what} (about_HeatmapTools, Environment variables).");
    }
}
