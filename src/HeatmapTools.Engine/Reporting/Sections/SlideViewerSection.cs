using System.Text;

namespace HeatmapTools.Engine.Reporting.Sections;

/// <summary>
/// The slide viewers: a deep-zoom page per slide (one OpenSeadragon per page, see <see cref="SlideViewer"/>), listed
/// first with its preview; a slide that cannot be read is that item's error and a card saying so.
/// </summary>
internal static class SlideViewerSection
{
    public static void Append(StringBuilder html, string folder, string title, IReadOnlyList<SlideViewerInput> viewers, int viewerSize,
        Action<string> wrote, Func<string, Shown?> copy, Action<string, Exception> failed, CancellationToken cancellation)
    {
        // A deep-zoom viewer per slide, on a page of its own (one OpenSeadragon per page), listed first with its preview.
        SlideViewer.WriteAssets(folder, wrote);
        html.Append("<h2>Slide viewers (").Append(viewers.Count).Append(")</h2>\n<div class=\"gallery\">");
        for (int v = 0; v < viewers.Count; v++)
        {
            cancellation.ThrowIfCancellationRequested();
            Running.RunScope.Current.Progress($"Deep-zoom viewer of {Path.GetFileName(viewers[v].Slide)}", (double)v / viewers.Count);
            string page = $"slide{v + 1}.html";
            try
            {
                SlideViewer.Write(folder, page, $"files/deepzoom/{v + 1}", title, viewers[v], viewerSize, wrote, cancellation);
            }
            catch (Exception ex) when (ex is HeatmapToolsException or IOException or UnauthorizedAccessException or OpenCvSharp.OpenCVException)
            {
                failed(viewers[v].Slide, ex);
                html.Append("<figure><figcaption>").Append(HtmlReport.E(Path.GetFileName(viewers[v].Slide))).Append(": no viewer, the slide could not be read</figcaption></figure>");
                continue;
            }
            if (copy(viewers[v].Slide) is not { Thumb: var thumb }) continue;
            html.Append("<figure><a href=\"").Append(page).Append("\"><img loading=\"lazy\" src=\"").Append(thumb).Append("\" alt=\"")
                .Append(HtmlReport.E(Path.GetFileName(viewers[v].Slide))).Append("\"></a><figcaption><a href=\"").Append(page).Append("\">")
                .Append(HtmlReport.E(Path.GetFileName(viewers[v].Slide))).Append("</a><br>").Append(viewers[v].Tiles.Count).Append(" tiles")
                .Append(viewers[v].Annotation is null ? "" : ", annotated").Append("</figcaption></figure>");
        }
        html.Append("</div>\n");
    }
}
