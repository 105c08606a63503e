using System.Text;

namespace HeatmapTools.Engine.Reporting.Sections;

/// <summary>A report section as a table: a sortable header (the page's sortTable script), a row per result, images as thumbnails.</summary>
internal static class TableSection
{
    public static void Append(StringBuilder html, ReportSection section, IEnumerable<IReadOnlyList<ReportCell>> rows, int table,
        Func<string, Shown?> copy)
    {
        html.Append("<table id=\"t").Append(table).Append("\"><thead><tr>");
        for (int c = 0; c < section.Columns.Count; c++) html.Append("<th onclick=\"sortTable(").Append(table).Append(',').Append(c).Append(")\">").Append(HtmlReport.E(section.Columns[c])).Append("</th>");
        html.Append("</tr></thead><tbody>\n");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            foreach (var cell in row)
            {
                html.Append("<td");
                if (cell.Number is double number) html.Append(" data-sort=\"").Append(number.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append('"');
                html.Append('>');
                ReportImages.Append(html, cell, copy);
                if (cell.Images is { Count: > 0 }) html.Append("<br>");
                html.Append(HtmlReport.E(cell.Text)).Append("</td>");
            }
            html.Append("</tr>\n");
        }
        html.Append("</tbody></table>\n");
    }
}
