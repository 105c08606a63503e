using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Rendering;
using OpenCvSharp;

namespace HeatmapTools.Engine.Patches;

/// <summary>
/// Draws one patient: the tissue rebuilt from its patches on white, the label overlay, the probability heatmap
/// with a colour bar, and the confusion map. Only this patient's canvas is in memory while it is drawn.
/// </summary>
public static class PatientRenderer
{

    // Where there is no data at all, the probability and confusion maps show this grey, unlike any score.
    private static readonly Scalar NoData = new(200, 200, 200);
    private static readonly Scalar White = new(255, 255, 255);
    private static readonly Scalar[] ConfusionColors = { new(0, 0, 220), new(0, 165, 255), new(220, 80, 0), new(0, 160, 0) };
    private static readonly string[] ConfusionNames = { "TP", "FP", "FN", "TN" };

    public static PatientResult Render(PatientPatches patient, PatchGridOptions options, (double Min, double Max)? cohortRange,
        bool wantPanel, CancellationToken cancellation)
    {
        var problems = new List<PatchProblem>(patient.Problems);
        var files = new List<string>();
        int offset = options.Origin == GridOrigin.OneBased ? 1 : 0;
        // Row by row, left to right: neighbouring cells share cache lines, which matters on canvases of many megabytes.
        // The sort is stable, so of two patches at one place the later one still ends up on top.
        var cells = patient.Patches.Select(p => (Record: p, X: Math.Max(0, p.X - offset), Y: Math.Max(0, p.Y - offset)))
            .OrderBy(c => c.Y).ThenBy(c => c.X).ToList();
        int fullWidth = cells.Count == 0 ? options.PatchSize : cells.Max(c => c.X) + options.PatchSize;
        int fullHeight = cells.Count == 0 ? options.PatchSize : cells.Max(c => c.Y) + options.PatchSize;
        bool hasImages = patient.Patches.Any(p => p.Path is not null);

        // Without images the map is drawn at patch resolution (one pixel per grid cell), like the seed's scatter plot.
        double scale = hasImages ? 1.0 : 1.0 / options.PatchSize;
        int longest = Math.Max(fullWidth, fullHeight);
        if (options.MaxSize > 0 && longest * scale > options.MaxSize) scale = (double)options.MaxSize / longest;
        int width = Math.Max(1, (int)Math.Round(fullWidth * scale)), height = Math.Max(1, (int)Math.Round(fullHeight * scale));
        Rect CellRect(int x, int y) => new((int)Math.Round(x * scale), (int)Math.Round(y * scale),
            Math.Max(1, (int)Math.Round(options.PatchSize * scale)), Math.Max(1, (int)Math.Round(options.PatchSize * scale)));

        string FileFor(string kind) => PatientFileNames.For(options, patient.PatientId, kind);
        var probabilities = patient.Patches.Where(p => p.Probability is not null).Select(p => p.Probability!.Value).ToList();
        (double Min, double Max)? dataRange = probabilities.Count > 0 ? (probabilities.Min(), probabilities.Max()) : null;
        var probabilityRange = ColorScale(dataRange, options.Scale, cohortRange);
        bool drawConfusion = options.Confusion && patient.Patches.Any(p => p.Target is not null && p.Probability is not null);

        // A rerun without -Force over finished output: say which files are there without decoding a thousand patches
        // only to refuse to write them.
        if (options.WritePatients && !options.Force && !wantPanel && !options.DrawOnly)
        {
            var planned = new[] { hasImages ? "tissue" : null, "labels", probabilityRange is null ? null : "probability", drawConfusion ? "confusion" : null }
                .OfType<string>().Select(kind => Path.GetFullPath(FileFor(kind))).ToList();
            if (planned.All(File.Exists))
            {
                problems.AddRange(planned.Select(path => new PatchProblem(ErrorIds.OutputExists, patient.PatientId,
                    AtomicFile.ExistsMessage(path), path, true)));
                return new PatientResult(patient.PatientId, patient.Patches.Count, patient.PositiveCount, patient.PositiveFraction,
                    fullWidth, fullHeight, files, problems, dataRange, probabilityRange, drawConfusion ? CountConfusion(patient.Patches, options.Threshold) : null);
            }
        }

        using var tissue = new Mat(height, width, MatType.CV_8UC3, White);
        var tissuePixels = Pixels.Of(tissue);
        // Each patch's place on the canvas, clipped to it; patches wholly outside are left out.
        var placed = new List<(PatchRecord Record, Rect Cell)>(cells.Count);
        // Patches are decoded a band (one grid row) at a time and copied canvas row by canvas row, like the overlays.
        var band = new List<(Pixels Patch, Rect Area)>();
        var decoded = new List<Mat>();
        void PasteBand()
        {
            CellPainter.ForEachRow(band, b => b.Area, (b, area, y) => CellPainter.CopyRow(b.Patch, y - area.Y, tissuePixels, area, y));
            foreach (var mat in decoded) mat.Dispose();
            band.Clear();
            decoded.Clear();
        }
        try
        {
            foreach (var (record, x, y) in cells)
            {
                cancellation.ThrowIfCancellationRequested();
                var rect = Clip(CellRect(x, y), width, height);
                if (rect.Width <= 0 || rect.Height <= 0) continue;
                placed.Add((record, rect));
                if (band.Count > 0 && band[^1].Area.Y != rect.Y) PasteBand();
                if (record.Path is not null && Decode(record, scale, options.PatchSize, problems, patient.PatientId) is { } patch)
                {
                    decoded.Add(patch);
                    // A patch larger than its cell is clipped to the cell; a smaller one fills only its own pixels.
                    band.Add((Pixels.Of(patch), new Rect(rect.X, rect.Y, Math.Min(rect.Width, patch.Width), Math.Min(rect.Height, patch.Height))));
                }
            }
            PasteBand();
        }
        finally
        {
            foreach (var mat in decoded) mat.Dispose();
        }

        ConfusionCounts? confusion = null;
        Mat? panel = null;

        using (var labels = DrawCells(tissue, placed, options.Alpha, hasImages,
            r => r.Target switch { 1 => options.PositiveColor.ToScalar(), 0 => options.NegativeColor.ToScalar(), _ => (Scalar?)null }))
        {
            if (options.WritePatients)
            {
                if (hasImages) Write(tissue, FileFor("tissue"), options, files, problems, patient.PatientId);
                Write(labels, FileFor("labels"), options, files, problems, patient.PatientId);
            }
            if (wantPanel) panel = Panel(labels, patient, options);
        }

        if (options.WritePatients && probabilityRange is { } range)
        {
            var lut = ColormapLut(Colormaps.Parse(options.Colormap));
            // The colour bar sits right of the map, in the same canvas, so the map is not copied once more.
            var frame = new Rect(0, 0, tissue.Width + ColorBarWidth, Math.Max(tissue.Height, 120));
            using var withBar = DrawCells(tissue, placed, options.Alpha, hasImages,
                r => r.Probability is double p ? lut[ToByte(p, range)] : null, noDataOutside: true, frame);
            DrawColorBar(withBar, tissue.Width, lut, range);
            Write(withBar, FileFor("probability"), options, files, problems, patient.PatientId);
        }

        if (drawConfusion)
        {
            var counts = new int[4];
            // The legend is a strip above the map, in the same canvas.
            var frame = new Rect(0, -LegendHeight, Math.Max(tissue.Width, 330), tissue.Height + LegendHeight);
            using var map = DrawCells(tissue, placed, options.Alpha, hasImages, r =>
            {
                if (ConfusionKind(r, options.Threshold) is not int kind) return null;
                counts[kind]++;
                return ConfusionColors[kind];
            }, noDataOutside: true, frame);
            confusion = new ConfusionCounts(counts[0], counts[1], counts[2], counts[3]);
            if (options.WritePatients)
            {
                DrawLegend(map, confusion);
                Write(map, FileFor("confusion"), options, files, problems, patient.PatientId);
            }
        }

        return new PatientResult(patient.PatientId, patient.Patches.Count, patient.PositiveCount, patient.PositiveFraction,
            fullWidth, fullHeight, files, problems, dataRange, probabilityRange, confusion) { Panel = panel };
    }

    /// <summary>0 TP, 1 FP, 2 FN, 3 TN (the index into the confusion colours); null without both a label and a probability.</summary>
    private static int? ConfusionKind(PatchRecord r, double threshold)
    {
        if (r.Target is not int t || r.Probability is not double p) return null;
        return (t == 1, p >= threshold) switch { (true, true) => 0, (false, true) => 1, (true, false) => 2, _ => 3 };
    }

    private static ConfusionCounts CountConfusion(IEnumerable<PatchRecord> patches, double threshold)
    {
        var counts = new int[4];
        foreach (var p in patches)
            if (ConfusionKind(p, threshold) is int kind) counts[kind]++;
        return new ConfusionCounts(counts[0], counts[1], counts[2], counts[3]);
    }

    /// <summary>
    /// Reads one patch, ready to paste: as decoded at full size, or resized to the canvas scale. Null (with the problem
    /// recorded) when it cannot be read; the caller disposes the result.
    /// </summary>
    private static Mat? Decode(PatchRecord record, double scale, int patchSize, List<PatchProblem> problems, string patientId)
    {
        Mat patch;
        try
        {
            var bytes = File.ReadAllBytes(record.Path!);
            patch = bytes.Length == 0 ? new Mat() : Cv2.ImDecode(bytes, ImreadModes.Color);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems.Add(new PatchProblem(ErrorIds.PatchUnreadable, patientId, $"Patch '{record.Path}' could not be read: {ex.Message}", record.Source, true));
            return null;
        }
        if (patch.Empty())
        {
            patch.Dispose();
            problems.Add(new PatchProblem(ErrorIds.PatchUnreadable, patientId, $"Patch '{record.Path}' is empty or not a readable image; its place stays blank.", record.Source, true));
            return null;
        }
        if (patch.Width != patchSize || patch.Height != patchSize)
            problems.Add(new PatchProblem(ErrorIds.PatchSizeUnexpected, patientId,
                $"Patch '{record.Path}' is {patch.Width}x{patch.Height}, not {patchSize}x{patchSize}; it is pasted as is, clipped to its grid cell.", record.Source, false));
        if (scale == 1.0) return patch;
        using (patch)
        {
            int w = Math.Min(patch.Width, patchSize), h = Math.Min(patch.Height, patchSize);
            using var clipped = new Mat(patch, new Rect(0, 0, w, h));
            var resized = new Mat();
            Cv2.Resize(clipped, resized, new Size(Math.Max(1, (int)Math.Round(w * scale)), Math.Max(1, (int)Math.Round(h * scale))), 0, 0, InterpolationFlags.Area);
            return resized;
        }
    }

    /// <summary>
    /// Blends a colour per cell over the tissue; cells with no colour keep the tissue, and with noDataOutside
    /// everything outside the patches turns grey. Where cells overlap, a coloured cell wins and the later one is on top.
    /// With a frame, the result is that larger white canvas (relative to the tissue's origin) with the map inside it.
    /// </summary>
    private static Mat DrawCells(Mat tissue, List<(PatchRecord Record, Rect Cell)> placed, double alpha, bool hasImages,
        Func<PatchRecord, Scalar?> color, bool noDataOutside = false, Rect? frame = null)
    {
        Mat result;
        var origin = new Point(0, 0);
        if (frame is not { } f)
            result = noDataOutside ? new Mat(tissue.Rows, tissue.Cols, MatType.CV_8UC3, NoData) : tissue.Clone();
        else
        {
            origin = new Point(-f.X, -f.Y);
            var inner = new Rect(origin.X, origin.Y, tissue.Width, tissue.Height);
            // Each pixel is set once: the map area grey (or the tissue), only the strips around it white. Filling the
            // whole multi-megabyte frame white first and then the map area again cost a full extra pass.
            result = noDataOutside ? new Mat(f.Height, f.Width, MatType.CV_8UC3, NoData) : new Mat(f.Height, f.Width, MatType.CV_8UC3);
            if (!noDataOutside)
            {
                using var view = result[inner];
                tissue.CopyTo(view);
            }
            foreach (var strip in Around(inner, f.Width, f.Height))
            {
                using var area = result[strip];
                area.SetTo(White);
            }
        }
        var source = Pixels.Of(tissue);
        var target = Pixels.Of(result).Offset(origin.X, origin.Y);
        var colored = new List<(Rect Cell, Scalar Color, BlendTable? Table)>(placed.Count);
        var plain = new List<Rect>();
        var tables = new Dictionary<Scalar, BlendTable>();
        foreach (var (record, cell) in placed)
        {
            if (color(record) is Scalar c)
            {
                // No tissue to see through (no table): the colour is the picture.
                BlendTable? table = null;
                if (hasImages && !tables.TryGetValue(c, out table)) tables[c] = table = new BlendTable(c, alpha);
                colored.Add((cell, c, table));
            }
            else if (noDataOutside) plain.Add(cell);
        }
        CellPainter.ForEachRow(plain, cell => cell, (_, cell, y) => CellPainter.CopySameRow(source, target, cell, y));
        CellPainter.ForEachRow(colored, item => item.Cell, (item, cell, y) =>
        {
            if (item.Table is { } table) CellPainter.BlendRow(source, target, cell, y, table);
            else CellPainter.FillRow(target, cell, y, item.Color);
        });
        return result;
    }

    /// <summary>The parts of a width x height canvas outside <paramref name="inner"/>: bands above and below, sides between.</summary>
    private static IEnumerable<Rect> Around(Rect inner, int width, int height)
    {
        var parts = new[]
        {
            new Rect(0, 0, width, inner.Y),
            new Rect(0, inner.Bottom, width, height - inner.Bottom),
            new Rect(0, inner.Y, inner.X, inner.Height),
            new Rect(inner.Right, inner.Y, width - inner.Right, inner.Height),
        };
        return parts.Where(r => r.Width > 0 && r.Height > 0);
    }

    private static (double Min, double Max)? ColorScale((double Min, double Max)? data, ProbabilityScale scale, (double Min, double Max)? cohort) =>
        data is null ? null : scale switch
        {
            ProbabilityScale.Patient => data,
            ProbabilityScale.Cohort when cohort is not null => cohort,
            _ => (0.0, 1.0),
        };

    private static byte ToByte(double value, (double Min, double Max) range)
    {
        double span = range.Max - range.Min;
        double unit = span <= 0 ? 0.5 : (value - range.Min) / span;
        return (byte)Math.Clamp((int)Math.Round(unit * 255), 0, 255);
    }

    private static Scalar[] ColormapLut(ColormapTypes colormap) =>
        Colormaps.Colors(colormap).Select(v => new Scalar(v.Item0, v.Item1, v.Item2)).ToArray();

    private const int ColorBarWidth = 70, LegendHeight = 22;

    /// <summary>A vertical colour bar in the strip right of the map, with its range written at both ends.</summary>
    private static void DrawColorBar(Mat canvas, int mapWidth, Scalar[] lut, (double Min, double Max) range)
    {
        int top = 18, bottom = canvas.Height - 18, x0 = mapWidth + 8;
        var pixels = Pixels.Of(canvas);
        for (int y = top; y < bottom; y++)
        {
            int level = (int)Math.Round(255.0 * (bottom - 1 - y) / Math.Max(1, bottom - top - 1));
            CellPainter.Fill(pixels, new Rect(x0, y, 17, 1), lut[level]);
        }
        Cv2.PutText(canvas, range.Max.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture), new Point(x0, top - 4), HersheyFonts.HersheySimplex, 0.4, Scalar.All(0), 1, LineTypes.AntiAlias);
        Cv2.PutText(canvas, range.Min.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture), new Point(x0, bottom + 13), HersheyFonts.HersheySimplex, 0.4, Scalar.All(0), 1, LineTypes.AntiAlias);
    }

    /// <summary>The TP/FP/FN/TN key with counts, in the strip above the map.</summary>
    private static void DrawLegend(Mat canvas, ConfusionCounts counts)
    {
        int[] values = { counts.TruePositive, counts.FalsePositive, counts.FalseNegative, counts.TrueNegative };
        for (int k = 0; k < 4; k++)
        {
            int x = 4 + k * 80;
            Cv2.Rectangle(canvas, new Rect(x, 5, 12, 12), ConfusionColors[k], -1);
            Cv2.PutText(canvas, $"{ConfusionNames[k]} {values[k]}", new Point(x + 15, 16), HersheyFonts.HersheySimplex, 0.4, Scalar.All(0), 1, LineTypes.AntiAlias);
        }
    }

    /// <summary>A fixed-size montage panel: the label map fitted and centred, titled with id, count and positive fraction.</summary>
    private static Mat Panel(Mat labels, PatientPatches patient, PatchGridOptions options)
    {
        int size = options.PanelSize, title = 24;
        var panel = new Mat(size + title, size, MatType.CV_8UC3, White);
        double fit = Math.Min((double)size / labels.Width, (double)size / labels.Height);
        var inner = new Size(Math.Max(1, (int)(labels.Width * fit)), Math.Max(1, (int)(labels.Height * fit)));
        using var small = new Mat();
        Cv2.Resize(labels, small, inner, 0, 0, fit < 1 ? InterpolationFlags.Area : InterpolationFlags.Nearest);
        small.CopyTo(panel[new Rect((size - inner.Width) / 2, title + (size - inner.Height) / 2, inner.Width, inner.Height)]);
        string text = $"patient {patient.PatientId}  n={patient.Patches.Count}  pos={patient.PositiveFraction:P1}";
        // Shrink the title until it fits the panel, so narrow panels keep the whole caption.
        double fontScale = 0.45;
        while (fontScale > 0.2 && Cv2.GetTextSize(text, HersheyFonts.HersheySimplex, fontScale, 1, out _).Width > size - 8) fontScale -= 0.025;
        Cv2.PutText(panel, text, new Point(4, 17), HersheyFonts.HersheySimplex, fontScale, Scalar.All(0), 1, LineTypes.AntiAlias);
        return panel;
    }

    private static void Write(Mat image, string path, PatchGridOptions options, List<string> files, List<PatchProblem> problems, string patientId)
    {
        if (options.DrawOnly) return;
        try
        {
            AtomicFile.Write(path, options.Force, stream => Encode(image, options.ImageFormat, stream));
            files.Add(Path.GetFullPath(path));
        }
        catch (HeatmapToolsException ex)
        {
            problems.Add(new PatchProblem(ex.ErrorId, patientId, ex.Message, path, true));
        }
    }

    /// <summary>
    /// Encoding is a large part of a patient's cost (three multi-megapixel images against a thousand 50x50 decodes),
    /// so PNG goes through the fast deflate encoder; JPEG is there for smaller files.
    /// </summary>
    internal static void Encode(Mat image, string format, Stream output)
    {
        switch (format.ToLowerInvariant())
        {
            case "png":
                PngEncoder.Encode(image, output);
                break;
            case "jpg" or "jpeg":
                output.Write(image.ImEncode(".jpg", new ImageEncodingParam(ImwriteFlags.JpegQuality, 92)));
                break;
            default:
                throw new HeatmapToolsException(ErrorIds.ImageFormatUnknown, "InvalidArgument", $"Image format '{format}' is not png or jpg.", format);
        }
    }

    internal static Rect Clip(Rect r, int width, int height)
    {
        int x = Math.Clamp(r.X, 0, width), y = Math.Clamp(r.Y, 0, height);
        int right = Math.Clamp(r.X + r.Width, 0, width), bottom = Math.Clamp(r.Y + r.Height, 0, height);
        return new Rect(x, y, right - x, bottom - y);
    }

    internal static string Sanitise(string id) => new(id.Select(c => Path.GetInvalidFileNameChars().Contains(c) || c == ' ' ? '_' : c).ToArray());
}
