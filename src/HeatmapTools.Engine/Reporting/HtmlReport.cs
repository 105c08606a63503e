using System.Net;
using System.Security.Cryptography;
using System.Text;
using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Reporting.Sections;
using OpenCvSharp;

namespace HeatmapTools.Engine.Reporting;

/// <summary>
/// One cell of a report table: text, a number to sort by, or images (each shown as a thumbnail linked to the full file),
/// with boxes to draw over them (a detector's, in the images' pixels).
/// </summary>
public sealed record ReportCell(string Text, double? Number = null, IReadOnlyList<string>? Images = null, IReadOnlyList<ReportBox>? Boxes = null);

/// <summary>A box drawn over a cell's image: its corners in the image's pixels, its class (for the colour) and its caption.</summary>
public sealed record ReportBox(double X1, double Y1, double X2, double Y2, int ClassIndex, string Caption);

/// <summary>
/// A table of one kind of result (predictions, maps, patients, ...); a gallery shows each result as a card of its images
/// with its values beneath, for results that are pictures first (CAM overlays, patient grids).
/// </summary>
public sealed record ReportSection(string Title, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<ReportCell>> Rows, bool Gallery = false);

/// <summary>What the report says of the run itself.</summary>
/// <param name="Settings">The settings the results were made with (method, layer, target, input size, ...), each with its values.</param>
public sealed record ReportFacts(string Title, string ModuleVersion, IReadOnlyList<string> Models, IReadOnlyList<string> WeightsFiles,
    IReadOnlyList<(string Name, IReadOnlyList<string> Values)>? Settings = null);

/// <summary>
/// Writes a run as a folder a reader opens offline: index.html (plain HTML, one small inline script to sort tables, no
/// network), the images it shows copied into files/ with a thumbnail each in thumbs/, lazily loaded; every file whole
/// or not at all (AtomicFile), so a stopped report leaves no half image. Every text from
/// the inputs (file names, patient ids, labels) is HTML-escaped; links are relative to the folder, so it can be moved.
/// </summary>
public static class HtmlReport
{
    private const int ThumbnailSize = 160;

    /// <summary>The longer side of the preview a slide is shown by.</summary>
    private const int SlidePreviewSize = 1024;

    /// <summary>Rows a table shows on one page: past it, the rest go to pages of their own.</summary>
    public const int RowsPerPage = 500;

    /// <summary>The longer side of a slide viewer's deep-zoom image when none is asked for: about 6x below a 40x scan of 100,000 pixels.</summary>
    public const int DefaultViewerSize = 16384;

    public static string Write(string folder, ReportFacts facts, IReadOnlyList<ReportSection> sections, bool force, CancellationToken cancellation,
        IReadOnlyList<SlideViewerInput>? viewers = null, int viewerSize = DefaultViewerSize, Action<HeatmapToolsException>? itemError = null)
    {
        string index = Path.Combine(folder, "index.html");
        // Before anything is written: a file of the user's where the report would write stops it, -Force or not.
        var manifest = ReportManifest.Open(folder);
        if (File.Exists(index) && !force)
            throw new HeatmapToolsException(ErrorIds.OutputExists, ErrorKind.ResourceExists, AtomicFile.ExistsMessage(index), index);
        AtomicFile.CreateFolder(Path.Combine(folder, "files"));
        AtomicFile.CreateFolder(Path.Combine(folder, "thumbs"));
        var copied = new Dictionary<string, Shown?>(StringComparer.Ordinal);
        // An image (or slide) the report cannot show is that item's error, said once; the report goes on without it.
        HeatmapToolsException Unshowable(string source, Exception ex) => ex as HeatmapToolsException
            ?? new HeatmapToolsException(ErrorIds.ImageUnreadable, ErrorKind.InvalidData, $"'{source}' cannot be shown in the report: {ex.Message}", source, ex);
        Shown? Copy(string source)
        {
            if (copied.TryGetValue(source, out var known)) return known;
            try
            {
                return copied[source] = CopyOne(source);
            }
            catch (Exception ex) when (ex is HeatmapToolsException or IOException or UnauthorizedAccessException or OpenCvSharp.OpenCVException)
            {
                itemError?.Invoke(Unshowable(source, ex));
                return copied[source] = null;
            }
        }
        Shown CopyOne(string source)
        {
            cancellation.ThrowIfCancellationRequested();
            // Numbered names: two inputs of one name never collide, and no user text reaches a file name.
            int n = copied.Count + 1;
            // A whole-slide image (gigabytes, and more pixels than a decoder holds) is shown by a preview read through
            // OpenSlide, never copied.
            bool slide = Slides.Slide.Recognises(source);
            string file = slide ? $"files/{n:D5}.slide.png" : $"files/{n:D5}{Path.GetExtension(source).ToLowerInvariant()}", thumb = $"thumbs/{n:D5}.jpg";
            if (slide)
            {
                using var opened = Slides.Slide.Open(source);
                using var preview = opened.Thumbnail(Math.Min(1.0, opened.ScaleFor(SlidePreviewSize)), cancellation);
                AtomicFile.WriteBytes(Path.Combine(folder, file), overwrite: true, preview.ImEncode(".png"));
            }
            else
            {
                AtomicFile.Write(Path.Combine(folder, file), overwrite: true, target =>
                {
                    using var original = File.OpenRead(source);
                    original.CopyTo(target);
                });
            }
            manifest.Wrote(file);
            using var image = Cv2.ImRead(Path.Combine(folder, file), ImreadModes.Color);
            if (image.Empty())
                throw new HeatmapToolsException(ErrorIds.ImageUnreadable, ErrorKind.InvalidData, $"'{source}' is not an image the report can show.", source);
            double scale = (double)ThumbnailSize / Math.Max(image.Width, image.Height);
            using var small = scale < 1 ? image.Resize(new Size(Math.Max(1, (int)(image.Width * scale)), Math.Max(1, (int)(image.Height * scale))), 0, 0, InterpolationFlags.Area) : image.Clone();
            AtomicFile.WriteBytes(Path.Combine(folder, thumb), overwrite: true, small.ImEncode(".jpg"));
            manifest.Wrote(thumb);
            return new Shown(file, thumb, image.Width, image.Height);
        }

        var html = new StringBuilder();
        Head(html, facts.Title);
        html.Append("<dl>");
        Fact(html, "HeatmapTools", facts.ModuleVersion);
        Fact(html, "Written", DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture));
        Fact(html, "Models", facts.Models.Count == 0 ? "-" : string.Join(", ", facts.Models));
        foreach (var weights in facts.WeightsFiles) Fact(html, "Weights", $"{weights} (SHA-256 {Sha256(weights)})");
        foreach (var (name, values) in facts.Settings ?? Array.Empty<(string, IReadOnlyList<string>)>()) Fact(html, name, string.Join(", ", values));
        html.Append("</dl>\n");
        if (viewers is { Count: > 0 })
            SlideViewerSection.Append(html, folder, facts.Title, viewers, viewerSize, manifest.Wrote, Copy, (source, ex) => itemError?.Invoke(Unshowable(source, ex)), cancellation);
        int table = 0;
        var listener = Running.RunScope.Current;
        for (int s = 0; s < sections.Count; s++)
        {
            var section = sections[s];
            listener.Progress($"Report section {section.Title} ({s + 1} of {sections.Count})", (double)s / sections.Count);
            html.Append("<h2>").Append(E(section.Title)).Append(" (").Append(section.Rows.Count).Append(")</h2>\n");
            AppendSection(html, section, section.Rows.Take(RowsPerPage), table, Copy);
            // A large run pages its tables: the first page here, the rest in files of their own, each sortable by itself.
            int pages = (section.Rows.Count + RowsPerPage - 1) / RowsPerPage;
            if (pages > 1)
            {
                html.Append("<p>Rows 1-").Append(RowsPerPage).Append(" of ").Append(section.Rows.Count).Append("; pages:");
                for (int page = 2; page <= pages; page++)
                {
                    string name = $"table{table}-page{page}.html";
                    html.Append(" <a href=\"").Append(name).Append("\">").Append(page).Append("</a>");
                    var body = new StringBuilder();
                    Head(body, $"{facts.Title}: {section.Title}, page {page} of {pages}");
                    body.Append("<p><a href=\"index.html\">Back to the report</a></p>\n");
                    AppendSection(body, section, section.Rows.Skip((page - 1) * RowsPerPage).Take(RowsPerPage), 0, Copy);
                    body.Append(SortScript).Append("</body></html>\n");
                    AtomicFile.Write(Path.Combine(folder, name), force, stream => stream.Write(Encoding.UTF8.GetBytes(body.ToString())));
                    manifest.Wrote(name);
                }
                html.Append("</p>\n");
            }
            table++;
        }
        html.Append(SortScript).Append("</body></html>\n");
        AtomicFile.Write(index, force, stream => stream.Write(Encoding.UTF8.GetBytes(html.ToString())));
        manifest.Wrote("index.html");
        manifest.Finish();
        return index;
    }

    /// <summary>A section as its kind shows it: pictures first as a gallery, the rest as a sortable table.</summary>
    private static void AppendSection(StringBuilder html, ReportSection section, IEnumerable<IReadOnlyList<ReportCell>> rows, int table, Func<string, Shown?> copy)
    {
        if (section.Gallery) GallerySection.Append(html, section, rows, copy);
        else TableSection.Append(html, section, rows, table, copy);
    }

    private static void Head(StringBuilder html, string title) =>
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(title)).Append("</title>\n<style>")
            .Append("body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin-bottom:2em}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}")
            .Append("th{background:#eee;cursor:pointer}img{max-width:160px;max-height:160px}dt{font-weight:bold}")
            .Append(".gallery{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:2em}.gallery figure{margin:0;padding:6px;border:1px solid #ccc;max-width:340px}")
            .Append(".gallery figcaption{font-size:.85em;overflow-wrap:anywhere}")
            .Append(".boxed{position:relative;display:inline-block;line-height:0}.boxed img{display:block}")
            .Append(".boxed svg{position:absolute;left:0;top:0;width:100%;height:100%;pointer-events:none}")
            .Append(".boxed rect{fill:none;stroke-width:2;vector-effect:non-scaling-stroke;pointer-events:visibleStroke}")
            .Append("</style></head><body>\n<h1>").Append(E(title)).Append("</h1>\n");

    private static void Fact(StringBuilder html, string name, string value) => html.Append("<dt>").Append(E(name)).Append("</dt><dd>").Append(E(value)).Append("</dd>");

    internal static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }

    // Sorts a table by a column when its header is clicked: by data-sort numbers when the cells have them, else by text.
    private const string SortScript = """
        <script>
        function sortTable(t, c) {
          var body = document.getElementById('t' + t).tBodies[0], rows = Array.from(body.rows);
          var asc = body.getAttribute('data-col') != c || body.getAttribute('data-dir') != 'asc';
          rows.sort(function (a, b) {
            var x = a.cells[c], y = b.cells[c], nx = x.getAttribute('data-sort'), ny = y.getAttribute('data-sort');
            var r = nx !== null && ny !== null ? parseFloat(nx) - parseFloat(ny) : x.textContent.localeCompare(y.textContent);
            return asc ? r : -r;
          });
          rows.forEach(function (r) { body.appendChild(r); });
          body.setAttribute('data-col', c); body.setAttribute('data-dir', asc ? 'asc' : 'desc');
        }
        // A link can open the report sorted: index.html#sort=T,C or #sort=T,C,desc (table T, column C, from 0).
        var wanted = /^#sort=(\d+),(\d+)(,desc)?$/.exec(location.hash);
        if (wanted && document.getElementById('t' + wanted[1])) {
          sortTable(+wanted[1], +wanted[2]);
          if (wanted[3]) sortTable(+wanted[1], +wanted[2]);
        }
        </script>

        """;
}
