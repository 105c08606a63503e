using System.Globalization;

namespace HeatmapTools;

/// <summary>A box in an image's pixels by its corners: X1, Y1 (top left) to X2, Y2 (bottom right).</summary>
public sealed class BoxRecord
{
    public double X1 { get; init; }
    public double Y1 { get; init; }
    public double X2 { get; init; }
    public double Y2 { get; init; }

    internal static BoxRecord From(Engine.Detection.BoxCorners b) => new() { X1 = b.X1, Y1 = b.Y1, X2 = b.X2, Y2 = b.Y2 };

    internal Engine.Detection.BoxCorners ToCorners() => Engine.Detection.BoxCorners.Parse(new[] { X1, Y1, X2, Y2 });

    /// <summary>As -Box takes it: "x1,y1,x2,y2".</summary>
    public override string ToString() => string.Format(CultureInfo.InvariantCulture, "{0:0.##},{1:0.##},{2:0.##},{3:0.##}", X1, Y1, X2, Y2);
}

/// <summary>One box a detector found (or a map explains): its class, score and where it is in the photo.</summary>
public sealed class DetectionRecord
{
    public int ClassIndex { get; init; }
    public string Label { get; init; } = "";
    /// <summary>The detector's score for the box's class (objectness times class probability for a YOLOv5 output); null for a box typed with -Box.</summary>
    public double? Score { get; init; }
    public BoxRecord Box { get; init; } = new();

    public override string ToString() => Score is double s
        ? string.Format(CultureInfo.InvariantCulture, "{0} {1:0.000} [{2}]", Label, s, Box) : $"{Label} [{Box}]";
}
