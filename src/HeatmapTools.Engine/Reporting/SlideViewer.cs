using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Rendering;
using HeatmapTools.Engine.Slides;
using OpenCvSharp;

namespace HeatmapTools.Engine.Reporting;

/// <summary>A slide heatmap as the report shows it in a deep-zoom viewer: the slide, its tiles and how they were painted.</summary>
public sealed record SlideViewerInput(string Slide, IReadOnlyList<TileProbability> Tiles, string Colormap, bool Labels, double? Threshold)
{
    /// <summary>An annotation of the slide (QuPath GeoJSON or a mask image) whose outline the viewer draws.</summary>
    public string? Annotation { get; init; }
    public string? AnnotationClass { get; init; }
}

/// <summary>
/// One page per slide: OpenSeadragon (vendored from the npm registry, embedded in this assembly, copied beside the page)
/// showing the slide as a deep-zoom image with the heatmap as a second, transparent-where-untiled deep-zoom layer, an
/// opacity slider, the annotation's outline and the tiles above the threshold outlined; a click on a tile shows its
/// prediction. Tile sources are inline, not fetched, so the page works opened from disk (file://) with no server.
/// </summary>
public static class SlideViewer
{
    /// <summary>Levels at most this many pixels on their longer side are read as one thumbnail and cut; larger ones tile by tile.</summary>
    private const int WholeLevel = 4096;

    /// <summary>Scale at which the annotation is traced into an outline.</summary>
    private const int OutlineSize = 4096;

    public const string AssetFolder = "files/openseadragon";

    /// <summary>
    /// Writes the viewer page <paramref name="page"/> (relative to <paramref name="folder"/>) and its deep-zoom images under
    /// <paramref name="dataFolder"/> (relative); <paramref name="maxSize"/> caps the deep-zoom image's longer side (0: the
    /// slide's level 0). Every file written goes through <paramref name="wrote"/>.
    /// </summary>
    public static void Write(string folder, string page, string dataFolder, string title, SlideViewerInput input, int maxSize,
        Action<string> wrote, CancellationToken cancellation)
    {
        using var slide = Slide.Open(input.Slide);
        double scale = maxSize <= 0 ? 1 : Math.Min(1, slide.ScaleFor(maxSize));
        long width = Math.Max(1, (long)Math.Round(slide.Width * scale)), height = Math.Max(1, (long)Math.Round(slide.Height * scale));
        int max = DeepZoom.MaxLevel(width, height);
        double LevelScale(long levelWidth) => scale * levelWidth / width;
        string data = Path.Combine(folder, dataFolder);
        AtomicFile.CreateFolder(data);
        void WroteData(string relative) => wrote($"{dataFolder}/{relative}");

        // The slide: small levels from one thumbnail, large ones region by region from the nearest level OpenSlide has.
        Mat? whole = null;
        long wholeWidth = -1;
        try
        {
            DeepZoom.Write(data, "slide", width, height, "jpeg", (lw, lh, window) =>
            {
                double s = LevelScale(lw);
                if (Math.Max(lw, lh) <= WholeLevel)
                {
                    if (wholeWidth != lw)
                    {
                        whole?.Dispose();
                        using var thumbnail = slide.Thumbnail(s, cancellation);
                        whole = new Mat();
                        Cv2.Resize(thumbnail, whole, new Size((int)lw, (int)lh), 0, 0, InterpolationFlags.Area);
                        wholeWidth = lw;
                    }
                    return whole![window].Clone();
                }
                return Region(slide, s, window);
            }, WroteData, cancellation);
        }
        finally
        {
            whole?.Dispose();
        }

        // The heatmap: each tile painted from the tiles under it, transparent where no tile lies.
        var index = new TileIndex(input.Tiles);
        var painted = input.Labels ? input.Tiles.Select(t => t with { Probability = t.Label ?? 0, Map = null }).ToList() : input.Tiles;
        var paintedIndex = input.Labels ? new TileIndex(painted) : index;
        var colormap = Colormaps.Parse(input.Colormap);
        DeepZoom.Write(data, "heatmap", width, height, "png", (lw, lh, window) =>
        {
            double s = LevelScale(lw);
            var (mean, covered) = SlideHeatmap.RasterWindow(paintedIndex.Under(window, s), s, lw, lh, window);
            using var _m = mean;
            using var _c = covered;
            using var levels = new Mat();
            mean.ConvertTo(levels, MatType.CV_8UC1, 255);
            using var colours = new Mat();
            if (input.Labels) SlideHeatmap.LabelColours(levels, colours);
            else Cv2.ApplyColorMap(levels, colours, colormap);
            var bgra = new Mat();
            Cv2.Merge([.. Cv2.Split(colours), covered], bgra);
            return bgra;
        }, WroteData, cancellation);

        string outline = input.Annotation is { } annotation ? Outline(slide, annotation, input.AnnotationClass) : "";
        var clickable = input.Threshold is double threshold ? input.Tiles.Where(t => t.Probability >= threshold).ToList() : input.Tiles.ToList();
        string relativeToAssets = string.Concat(Enumerable.Repeat("../", page.Count(c => c == '/'))) + AssetFolder;
        string dataFromPage = string.Concat(Enumerable.Repeat("../", page.Count(c => c == '/'))) + dataFolder;
        var html = Page(title, slide, width, height, max, dataFromPage, relativeToAssets, input, clickable, outline);
        AtomicFile.Write(Path.Combine(folder, page), true, stream => stream.Write(Encoding.UTF8.GetBytes(html)));
        wrote(page);
    }

    /// <summary>Copies OpenSeadragon (script, button images, licence) into the report once.</summary>
    public static void WriteAssets(string folder, Action<string> wrote)
    {
        var assembly = typeof(SlideViewer).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("openseadragon/", StringComparison.Ordinal)))
        {
            string relative = $"{AssetFolder}/{name["openseadragon/".Length..]}";
            using var source = assembly.GetManifestResourceStream(name)!;
            AtomicFile.CreateFolder(Path.GetDirectoryName(Path.Combine(folder, relative))!);
            AtomicFile.Write(Path.Combine(folder, relative), true, stream => source.CopyTo(stream));
            wrote(relative);
        }
    }

    /// <summary>The version of OpenSeadragon embedded, as its VERSION file says.</summary>
    public static string Version()
    {
        using var stream = typeof(SlideViewer).Assembly.GetManifestResourceStream("openseadragon/VERSION");
        return stream is null ? "" : new StreamReader(stream).ReadToEnd().Trim();
    }

    /// <summary>A window of a level at <paramref name="scale"/> read from the slide level nearest above it.</summary>
    private static Mat Region(Slide slide, double scale, Rect window)
    {
        long x0 = (long)Math.Floor(window.X / scale), y0 = (long)Math.Floor(window.Y / scale);
        long x1 = Math.Min(slide.Width, (long)Math.Ceiling(window.Right / scale)), y1 = Math.Min(slide.Height, (long)Math.Ceiling(window.Bottom / scale));
        var level = slide.LevelFor(1 / scale);
        int w = (int)Math.Max(1, Math.Ceiling((x1 - x0) / level.Downsample)), h = (int)Math.Max(1, Math.Ceiling((y1 - y0) / level.Downsample));
        using var region = slide.ReadRegion(x0, y0, level.Index, w, h);
        var tile = new Mat();
        Cv2.Resize(region, tile, new Size(window.Width, window.Height), 0, 0, InterpolationFlags.Area);
        return tile;
    }

    /// <summary>The annotation's outline as SVG polygons in level-0 pixels, traced from its mask.</summary>
    private static string Outline(Slide slide, string annotation, string? classification)
    {
        double s = Math.Min(1, slide.ScaleFor(OutlineSize));
        int w = Math.Max(1, (int)Math.Round(slide.Width * s)), h = Math.Max(1, (int)Math.Round(slide.Height * s));
        using var mask = SlideAnnotation.Rasterize(annotation, slide.Width, slide.Height, s, w, h, classification);
        Cv2.FindContours(mask, out var contours, out _, RetrievalModes.List, ContourApproximationModes.ApproxSimple);
        var svg = new StringBuilder();
        foreach (var contour in contours.Where(c => c.Length >= 3))
        {
            svg.Append("<polygon class=\"annotation\" points=\"");
            foreach (var p in contour)
                svg.Append(F((p.X + 0.5) / s)).Append(',').Append(F((p.Y + 0.5) / s)).Append(' ');
            svg.Append("\"/>");
        }
        return svg.ToString();
    }

    private static string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Page(string title, Slide slide, long width, long height, int max, string data, string assets, SlideViewerInput input,
        IReadOnlyList<TileProbability> clickable, string outline)
    {
        string E(string text) => WebUtility.HtmlEncode(text);
        string Source(string name, string format) =>
            $"{{Image:{{xmlns:'http://schemas.microsoft.com/deepzoom/2008',Url:'{data}/{name}_files/',Format:'{format}',Overlap:'{DeepZoom.Overlap}'," +
            $"TileSize:'{DeepZoom.TileSize}',Size:{{Width:'{width}',Height:'{height}'}}}}}}";
        var tiles = new StringBuilder("[");
        foreach (var t in clickable)
            tiles.Append('[').Append(t.X).Append(',').Append(t.Y).Append(',').Append(t.Extent).Append(',').Append(t.Probability.ToString("R", CultureInfo.InvariantCulture))
                .Append(',').Append(t.Label is int l ? l.ToString(CultureInfo.InvariantCulture) : "null").Append("],");
        if (tiles.Length > 1) tiles.Length--;
        tiles.Append(']');
        var hot = new StringBuilder();
        if (input.Threshold is not null)
            foreach (var t in clickable)
                hot.Append("<rect class=\"hot\" x=\"").Append(t.X).Append("\" y=\"").Append(t.Y).Append("\" width=\"").Append(t.Extent).Append("\" height=\"").Append(t.Extent).Append("\"/>");
        string threshold = input.Threshold is double th ? th.ToString("R", CultureInfo.InvariantCulture) : "null";
        string painted = input.Labels ? "true class (tumour red, other tissue pink)" : $"probability ({E(Colormaps.Canonical(input.Colormap))})";
        return $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>{{E(title)}}: {{E(Path.GetFileName(slide.Path))}}</title>
            <style>body{font-family:sans-serif;margin:1em}#viewer{width:100%;height:600px;background:#fff;border:1px solid #ccc}
            #controls{margin:.5em 0}#info{min-height:1.5em}svg .annotation{fill:none;stroke:#00a000;stroke-width:2px;vector-effect:non-scaling-stroke}
            svg .hot{fill:none;stroke:#000;stroke-width:1px;vector-effect:non-scaling-stroke}</style>
            <script src="{{assets}}/openseadragon.min.js"></script></head><body>
            <p><a href="index.html">Back to the report</a></p>
            <h1>{{E(Path.GetFileName(slide.Path))}}</h1>
            <p>{{slide.Width}} x {{slide.Height}} pixels at level 0, shown up to {{width}} x {{height}}; {{input.Tiles.Count}} tiles painted by their {{painted}}{{(input.Threshold is null ? "" : $"; {clickable.Count} at or above {threshold} outlined")}}{{(input.Annotation is null ? "" : "; the annotation outlined in green")}}. Click a tile for its prediction.</p>
            <div id="controls"><label>Heatmap opacity <input id="opacity" type="range" min="0" max="100" value="50"></label> <span id="opacityValue">50 %</span></div>
            <div id="viewer"></div>
            <p id="info">No tile chosen.</p>
            <pre id="probe" hidden></pre>
            <script>
            var slideSize = [{{slide.Width}}, {{slide.Height}}], tiles = {{tiles}}, threshold = {{threshold}};
            var viewer = OpenSeadragon({ id: 'viewer', prefixUrl: '{{assets}}/images/', drawer: 'canvas', showNavigator: true,
              tileSources: {{Source("slide", "jpeg")}} });
            var heat = null, opacity = document.getElementById('opacity');
            // Level-0 pixels to the viewer's: the deep-zoom image may be the slide scaled down.
            function viewerPoint(x, y) {
              var item = viewer.world.getItemAt(0), s = item.getContentSize().x / slideSize[0];
              var p = item.imageToViewerElementCoordinates(new OpenSeadragon.Point(x * s, y * s)), r = viewer.element.getBoundingClientRect();
              return [Math.round(p.x + r.left + window.scrollX), Math.round(p.y + r.top + window.scrollY)];
            }
            function setOpacity(v) {
              opacity.value = v; document.getElementById('opacityValue').textContent = v + ' %';
              if (heat) heat.setOpacity(v / 100);
            }
            function choose(x, y) {
              var found = tiles.filter(function (t) { return x >= t[0] && x < t[0] + t[2] && y >= t[1] && y < t[1] + t[2]; });
              var info = document.getElementById('info');
              if (found.length === 0) { info.textContent = 'No ' + (threshold === null ? '' : 'outlined ') + 'tile at x=' + Math.round(x) + ', y=' + Math.round(y) + '.'; return; }
              info.textContent = found.map(function (t) {
                return 'Tile at x=' + t[0] + ', y=' + t[1] + ' (side ' + t[2] + '): probability ' + t[3].toFixed(4) + (t[4] === null ? '' : ', true class ' + t[4]);
              }).join('; ');
            }
            opacity.addEventListener('input', function () { setOpacity(+opacity.value); });
            viewer.addHandler('canvas-click', function (e) {
              if (!e.quick) return;
              var item = viewer.world.getItemAt(0), s = item.getContentSize().x / slideSize[0];
              var p = item.viewerElementToImageCoordinates(e.position);
              choose(p.x / s, p.y / s);
            });
            viewer.addHandler('open', function () {
              viewer.addTiledImage({ tileSource: {{Source("heatmap", "png")}}, x: 0, y: 0, width: 1, opacity: opacity.value / 100,
                success: function (e) { heat = e.item; whenDrawn(); } });
              var svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
              svg.setAttribute('viewBox', '0 0 ' + slideSize[0] + ' ' + slideSize[1]);
              svg.setAttribute('preserveAspectRatio', 'none');
              svg.style.pointerEvents = 'none';
              svg.innerHTML = '{{hot}}{{outline}}';
              viewer.addOverlay({ element: svg, location: new OpenSeadragon.Rect(0, 0, 1, slideSize[1] / slideSize[0]) });
            });
            // The address can ask for a state (index.html links plainly; tests ask): #opacity=N&select=x,y&probe=x,y;x,y
            var wanted = {};
            location.hash.replace(/^#/, '').split('&').forEach(function (kv) { var p = kv.split('='); if (p.length === 2) wanted[p[0]] = p[1]; });
            // Ready once both layers have every tile of the view and a frame has been drawn with them.
            function whenDrawn() {
              var items = [viewer.world.getItemAt(0), heat];
              function check() {
                if (!items.every(function (i) { return i.getFullyLoaded(); })) return;
                items.forEach(function (i) { i.removeHandler('fully-loaded-change', check); });
                // After loading: a layer at opacity 0 loads no tiles.
                if (wanted.opacity !== undefined) setOpacity(+wanted.opacity);
                viewer.forceRedraw();
                viewer.addOnceHandler('update-viewport', function () { requestAnimationFrame(ready); });
              }
              items.forEach(function (i) { i.addHandler('fully-loaded-change', check); });
              check();
            }
            // Each probe: the level-0 point's place in the page, and the drawn colour there (the canvas can be read where
            // the browser lets a page read its own files' pixels: chromium --allow-file-access-from-files).
            function ready() {
              if (wanted.select) { var xy = wanted.select.split(',').map(Number); choose(xy[0], xy[1]); }
              if (wanted.probe) {
                var canvas = viewer.drawer.canvas, context = canvas.getContext('2d'), box = canvas.getBoundingClientRect();
                var scale = canvas.width / box.width;
                document.getElementById('probe').textContent = wanted.probe.split(';').map(function (pt) {
                  var xy = pt.split(',').map(Number), at = viewerPoint(xy[0], xy[1]), rgb;
                  try {
                    var d = context.getImageData(Math.round((at[0] - box.left - window.scrollX) * scale), Math.round((at[1] - box.top - window.scrollY) * scale), 1, 1).data;
                    rgb = [d[0], d[1], d[2]];
                  } catch (e) { rgb = ['unreadable']; }
                  return at.concat(rgb).join(',');
                }).join(';');
              }
              document.body.setAttribute('data-ready', 'true');
            }
            </script></body></html>

            """;
    }

    /// <summary>Tiles by the level-0 cells they touch, so a deep-zoom tile's window looks at the few under it.</summary>
    private sealed class TileIndex
    {
        private readonly Dictionary<(long, long), List<TileProbability>> _cells = new();
        private readonly long _cell;

        public TileIndex(IReadOnlyList<TileProbability> tiles)
        {
            _cell = Math.Max(256, tiles.Count == 0 ? 256 : tiles.Max(t => t.Extent) * 4);
            foreach (var t in tiles)
                for (long cy = t.Y / _cell; cy <= (t.Y + t.Extent) / _cell; cy++)
                    for (long cx = t.X / _cell; cx <= (t.X + t.Extent) / _cell; cx++)
                    {
                        if (!_cells.TryGetValue((cx, cy), out var list)) _cells[(cx, cy)] = list = new List<TileProbability>();
                        list.Add(t);
                    }
        }

        /// <summary>The tiles that may cover <paramref name="window"/> of a raster at <paramref name="scale"/>.</summary>
        public IEnumerable<TileProbability> Under(Rect window, double scale)
        {
            long x0 = (long)Math.Floor((window.X - 1) / scale) / _cell, y0 = (long)Math.Floor((window.Y - 1) / scale) / _cell;
            long x1 = (long)Math.Ceiling((window.Right + 1) / scale) / _cell, y1 = (long)Math.Ceiling((window.Bottom + 1) / scale) / _cell;
            var seen = new HashSet<TileProbability>(ReferenceEqualityComparer.Instance);
            for (long cy = Math.Max(0, y0); cy <= y1; cy++)
                for (long cx = Math.Max(0, x0); cx <= x1; cx++)
                    if (_cells.TryGetValue((cx, cy), out var list))
                        foreach (var t in list)
                            if (seen.Add(t)) yield return t;
        }
    }
}
