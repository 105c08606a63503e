namespace HeatmapTools.Engine.Cam.Targets;

/// <summary>What -Target and -ReferenceImage asked for, parsed once where they enter.</summary>
public sealed record TargetRequest(TargetKind Kind, string? ReferenceImage = null)
{
    /// <summary>Where a segmentation target sums its category (-Region, -RegionMask); the predicted pixels by default.</summary>
    public SegmentRegion Region { get; init; } = SegmentRegion.Predicted;

    /// <summary>Boxes typed with -Box (photo pixels) for every image of a detector; null: each image's own detections.</summary>
    public IReadOnlyList<LabelledBox>? Boxes { get; init; }

    /// <summary>A detector's map per box (-PerBox) instead of one map per image for all its boxes.</summary>
    public bool PerBox { get; init; }

    /// <summary>Which of a detector's outputs are its detections, when a map explains them.</summary>
    public Detection.DetectionOptions Detection { get; init; } = Engine.Detection.DetectionOptions.Default;

    public static TargetRequest Default { get; } = new(TargetKind.Default);

    /// <summary>Whether -Target named the kind: an explicit Logit is not the default on a segmentation model.</summary>
    public bool Explicit { get; init; }

    /// <summary>The default kind is Logit, or Similarity when a reference image is given.</summary>
    public static TargetRequest Parse(string? kind, string? referenceImage, int[]? region = null, string? regionMask = null)
    {
        if (region is not null || regionMask is not null)
        {
            if (kind is not null && !string.Equals(kind, SegmentTarget.Maker.Name, StringComparison.OrdinalIgnoreCase))
                throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                    $"-Region and -RegionMask say where -Target Segment sums a segmentation model's category; -Target {kind} does not use them.", kind);
            if (referenceImage is not null)
                throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                    "-ReferenceImage (similarity) and -Region or -RegionMask (segmentation) explain different things: give one.", referenceImage);
            return new TargetRequest(TargetKind.Get(SegmentTarget.Maker.Name)) { Region = SegmentRegion.Parse(region, regionMask) };
        }
        var similarity = TargetKind.Get("Similarity");
        var chosen = kind is not null ? TargetKind.Get(kind) : referenceImage is not null ? similarity : TargetKind.Default;
        if (chosen == similarity && referenceImage is null)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                "-Target Similarity compares each image with a reference: give it with -ReferenceImage.", kind);
        if (chosen != similarity && referenceImage is not null)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"-ReferenceImage is what -Target Similarity compares with; -Target {chosen.KindName} does not use it.", referenceImage);
        return new TargetRequest(chosen, referenceImage is null ? null : Path.GetFullPath(referenceImage)) { Explicit = kind is not null };
    }

    // Requests are compared to batch records that ask alike: boxes by value, not by list.
    public bool Equals(TargetRequest? other) => other is not null && Kind == other.Kind && ReferenceImage == other.ReferenceImage && Region == other.Region
        && Explicit == other.Explicit && Detection == other.Detection && PerBox == other.PerBox && (Boxes is null) == (other.Boxes is null) && (Boxes is null || Boxes.SequenceEqual(other.Boxes!));

    public override int GetHashCode() => HashCode.Combine(Kind, ReferenceImage, Region, Explicit, Detection, PerBox, Boxes?.Count);

    public override string ToString() => Boxes is { Count: > 0 } boxes ? $"{Kind.KindName}({string.Join("; ", boxes.Select(b => $"{b.ClassIndex}@{b.Box}"))})"
        : ReferenceImage is not null ? $"{Kind.KindName}({Path.GetFileName(ReferenceImage)})"
        : Region.IsPredicted ? Kind.KindName : $"{Kind.KindName}({Region})";
}
