using HeatmapTools.Engine.Discovery;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Detection;

/// <summary>
/// How a detector's raw output is laid out: each layout (YOLOv8's, YOLOv5's) is one file in this folder that reads a
/// sample's output as boxes and class scores. Decoding is differentiable, so a box target reads the same numbers the
/// detections came from.
/// </summary>
public abstract class DetectionOutput
{
    private static readonly Registry<DetectionOutput> Layouts = new(l => l.Name);

    /// <summary>The name a settings file's "detectionOutput" gives.</summary>
    public abstract string Name { get; }

    /// <summary>Classes in an output of this layout with <paramref name="rows"/> x <paramref name="columns"/> per sample; 0 when it cannot hold any.</summary>
    public abstract int ClassesOf(long rows, long columns);

    /// <summary>
    /// One sample's output (no batch axis) as boxes (anchors x 4: x1, y1, x2, y2 in network-input pixels) and each
    /// anchor's score per class (anchors x classes).
    /// </summary>
    public abstract (Tensor Boxes, Tensor Scores) Decode(Tensor output);

    /// <summary>Rows and columns of one sample's output of <paramref name="values"/> numbers for <paramref name="classes"/> classes (outputs arrive flattened).</summary>
    public (long Rows, long Columns) Shape(long values, int classes)
    {
        long width = classes + BoxColumns;
        return AnchorsFirst ? (values / width, width) : (width, values / width);
    }

    /// <summary>Whether a layout's output is read anchors first: the orientation that tells the two exports apart.</summary>
    protected abstract bool AnchorsFirst { get; }

    /// <summary>Numbers per anchor before the class scores: the box, and YOLOv5's objectness.</summary>
    protected virtual int BoxColumns => AnchorsFirst ? 5 : 4;

    /// <summary>Whether the network has suppressed its own boxes (thresholded, NMS per class, the best kept): reading it applies the threshold and the count only.</summary>
    public virtual bool Suppressed => false;

    /// <summary>Whether a graph's output may be read in this layout by its shape alone.</summary>
    internal virtual bool Recognisable => true;

    public static IReadOnlyCollection<string> Names => Layouts.All.Keys.Order(StringComparer.Ordinal).ToList();

    public static DetectionOutput Get(string name) => Layouts.TryGet(name, out var layout) ? layout
        : throw new HeatmapToolsException(ErrorIds.ModelSidecarInvalid, ErrorKind.InvalidArgument,
            $"Unknown detection output '{name}'.{Layouts.Hint(name)} Layouts: {string.Join(", ", Names)}.", name);

    /// <summary>
    /// The layout of a B x rows x columns output: the one declared, else by orientation, as the exports write it (YOLOv8:
    /// fewer rows than anchors, 4 + classes rows; YOLOv5: anchors first, 5 + classes columns). Null when none fits.
    /// </summary>
    public static DetectionOutput? Recognise(long rows, long columns, string? declared)
    {
        if (declared is not null)
        {
            var layout = Get(declared);
            return layout.ClassesOf(rows, columns) > 0 ? layout : null;
        }
        bool anchorsFirst = rows > columns;
        return Layouts.All.Values.FirstOrDefault(l => l.Recognisable && l.AnchorsFirst == anchorsFirst && l.ClassesOf(rows, columns) > 0);
    }

    /// <summary>Centre x, centre y, width, height (anchors x 4) as corners.</summary>
    protected static Tensor Corners(Tensor cxcywh)
    {
        var centre = cxcywh[.., 0..2];
        var half = cxcywh[.., 2..4] / 2;
        return cat(new[] { centre - half, centre + half }, 1);
    }
}
