namespace HeatmapTools.Engine.Cam.Targets;

/// <summary>What -Target and -ReferenceImage asked for, parsed once where they enter.</summary>
public sealed record TargetRequest(TargetKind Kind, string? ReferenceImage = null)
{
    public static TargetRequest Default { get; } = new(TargetKind.Default);

    /// <summary>The default kind is Logit, or Similarity when a reference image is given.</summary>
    public static TargetRequest Parse(string? kind, string? referenceImage)
    {
        var similarity = TargetKind.Get("Similarity");
        var chosen = kind is not null ? TargetKind.Get(kind) : referenceImage is not null ? similarity : TargetKind.Default;
        if (chosen == similarity && referenceImage is null)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                "-Target Similarity compares each image with a reference: give it with -ReferenceImage.", kind);
        if (chosen != similarity && referenceImage is not null)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"-ReferenceImage is what -Target Similarity compares with; -Target {chosen.KindName} does not use it.", referenceImage);
        return new TargetRequest(chosen, referenceImage is null ? null : Path.GetFullPath(referenceImage));
    }

    public override string ToString() => ReferenceImage is null ? Kind.KindName : $"{Kind.KindName}({Path.GetFileName(ReferenceImage)})";
}
