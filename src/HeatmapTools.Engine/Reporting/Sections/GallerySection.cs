using System.Text;

namespace HeatmapTools.Engine.Reporting.Sections;

/// <summary>A report section as a gallery, for results that are pictures first (CAM overlays, patient grids).</summary>
internal static class GallerySection
{
    /// <summary>Each result a card: its images as thumbnails linked to the files, then its other values, one per line.</summary>
    public static void Append(StringBuilder html, ReportSection section, IEnumerable<IReadOnlyList<ReportCell>> rows,
        Func<string, Shown?> copy)
    {
        html.Append("<div class=\"gallery\">\n");
        foreach (var row in rows)
        {
            html.Append("<figure>");
            foreach (var cell in row) ReportImages.Append(html, cell, copy);
            html.Append("<figcaption>");
            for (int c = 0; c < row.Count && c < section.Columns.Count; c++)
            {
                if (row[c].Text.Length == 0) continue;
                html.Append("<b>").Append(HtmlReport.E(section.Columns[c])).Append("</b> ").Append(HtmlReport.E(row[c].Text)).Append("<br>");
            }
            html.Append("</figcaption></figure>\n");
        }
        html.Append("</div>\n");
    }
}
