using System.Collections.Concurrent;

namespace HeatmapTools.Commands;

/// <summary>
/// Maps a cmdlet enum to the engine enum it mirrors, member by name. PowerShell reflects over parameter types before the
/// module's load context exists, so parameters use these mirrors; <see cref="Mismatches"/> (checked by a Pester test)
/// lists any member one side has and the other lacks, so a rename fails a test instead of a user's run.
/// </summary>
public static class EnumMirror
{
    private static readonly ConcurrentDictionary<(Type, Type), IReadOnlyDictionary<string, object>> Maps = new();

    /// <summary>The mirrored pairs: (cmdlet enum, engine enum).</summary>
    public static IReadOnlyList<(Type Cmdlet, Type Engine)> Pairs { get; } = new[]
    {
        (typeof(PatchOrigin), typeof(Engine.Patches.GridOrigin)),
        (typeof(ProbabilityScaleKind), typeof(Engine.Patches.ProbabilityScale)),
        (typeof(PatientImageKind), typeof(Engine.Patches.PatientImages)),
        (typeof(RawMapFormat), typeof(Engine.Rendering.MapFormat)),
        (typeof(FaithfulnessScore), typeof(Engine.Trust.ScoreKind)),
        (typeof(CamScaleKind), typeof(Engine.Patches.CamScale)),
        (typeof(ResizeKind), typeof(Engine.Imaging.ResizeMode)),
        (typeof(NormalizationKind), typeof(Engine.Imaging.Normalization)),
        (typeof(HeadActivationKind), typeof(Engine.Prediction.HeadActivation)),
    };

    public static TEngine To<TEngine>(Enum value) where TEngine : struct, Enum
    {
        var map = Maps.GetOrAdd((value.GetType(), typeof(TEngine)), key =>
            Enum.GetNames(key.Item2).ToDictionary(n => n, n => Enum.Parse(key.Item2, n), StringComparer.Ordinal));
        return map.TryGetValue(value.ToString(), out var mapped) ? (TEngine)mapped
            : throw new InvalidOperationException($"{value.GetType().Name}.{value} has no counterpart in {typeof(TEngine).Name}.");
    }

    /// <summary>Members of a cmdlet enum that its engine enum lacks ("Type.Member"); the engine may have more (flags such as All).</summary>
    public static IReadOnlyList<string> Mismatches() =>
        Pairs.SelectMany(p => Enum.GetNames(p.Cmdlet).Except(Enum.GetNames(p.Engine)).Select(n => $"{p.Cmdlet.Name}.{n}")).ToList();
}
