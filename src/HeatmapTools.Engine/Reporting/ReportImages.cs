using System.Text;

namespace HeatmapTools.Engine.Reporting;

/// <summary>An image copied into the report: the copy, its thumbnail, and the image's size in pixels.</summary>
internal sealed record Shown(string File, string Thumb, int Width, int Height);

/// <summary>Images in a report cell: thumbnails linked to the copies, with the cell's boxes drawn over them.</summary>
internal static class ReportImages
{
    // Ten colours apart, by class, for the boxes drawn over thumbnails.
    private static readonly string[] BoxColours = { "#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#fabed4" };

    /// <summary>
    /// A cell's images as thumbnails linked to the files; a cell's boxes drawn over each thumbnail as SVG in the image's
    /// own pixels (stretched with the thumbnail), each box's caption its tooltip.
    /// </summary>
    public static void Append(StringBuilder html, ReportCell cell, Func<string, Shown?> copy)
    {
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        foreach (var image in (cell.Images ?? Array.Empty<string>()).Where(File.Exists))
        {
            if (copy(image) is not { } shown)
            {
                html.Append("(").Append(HtmlReport.E(Path.GetFileName(image))).Append(" not shown) ");
                continue;
            }
            bool boxed = cell.Boxes is { Count: > 0 };
            if (boxed) html.Append("<span class=\"boxed\">");
            html.Append("<a href=\"").Append(shown.File).Append("\"><img loading=\"lazy\" src=\"").Append(shown.Thumb).Append("\" alt=\"")
                .Append(HtmlReport.E(Path.GetFileName(image))).Append("\"></a>");
            if (boxed)
            {
                html.Append("<svg viewBox=\"0 0 ").Append(shown.Width).Append(' ').Append(shown.Height).Append("\" preserveAspectRatio=\"none\">");
                foreach (var b in cell.Boxes!)
                    html.Append("<rect x=\"").Append(b.X1.ToString("0.##", invariant)).Append("\" y=\"").Append(b.Y1.ToString("0.##", invariant))
                        .Append("\" width=\"").Append((b.X2 - b.X1).ToString("0.##", invariant)).Append("\" height=\"").Append((b.Y2 - b.Y1).ToString("0.##", invariant))
                        .Append("\" stroke=\"").Append(BoxColours[((b.ClassIndex % BoxColours.Length) + BoxColours.Length) % BoxColours.Length])
                        .Append("\"><title>").Append(HtmlReport.E(b.Caption)).Append("</title></rect>");
                html.Append("</svg></span>");
            }
            html.Append(' ');
        }
    }
}
