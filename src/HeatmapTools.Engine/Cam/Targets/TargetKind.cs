using HeatmapTools.Engine.Discovery;

namespace HeatmapTools.Engine.Cam.Targets;

/// <summary>What the targets of one image are made from: the classes asked for (or ranked) and, for similarity, the reference.</summary>
public sealed class TargetContext(string? referenceImage, Func<float[]> referenceFeatures)
{
    public string? ReferenceImage { get; } = referenceImage;

    private float[]? _features;

    /// <summary>The reference image's pooled features, computed once per batch.</summary>
    public float[] ReferenceFeatures() => _features ??= referenceFeatures();
}

/// <summary>
/// A kind of target -Target names: it makes each image's targets. Each lives beside its target in that target's file,
/// so adding a target is adding a file.
/// </summary>
public abstract class TargetKind
{
    private static readonly Registry<TargetKind> Kinds = new(k => k.KindName);

    public abstract string KindName { get; }

    /// <summary>Whether the targets depend on the classes asked for (or the top ones); false skips ranking.</summary>
    public virtual bool UsesClasses => true;

    public abstract IEnumerable<CamTarget> For(TargetContext context, IReadOnlyList<int> classes);

    public override string ToString() => KindName;

    public static TargetKind Default => Get(ClassTarget.Maker.Name);

    /// <summary>Names -Target takes: Logit first, then alphabetically.</summary>
    public static IReadOnlyList<string> Names =>
        Kinds.All.Keys.OrderBy(n => n == ClassTarget.Maker.Name ? 0 : 1).ThenBy(n => n, StringComparer.Ordinal).ToList();

    public static TargetKind Get(string name) => Kinds.TryGet(name, out var kind) ? kind
        : throw new HeatmapToolsException(ErrorIds.UnknownTarget, ErrorKind.InvalidArgument,
            $"Unknown target '{name}'.{Kinds.Hint(name)} Targets: {string.Join(", ", Names)}.", name);
}
