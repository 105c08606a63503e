using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Patches.ImageKinds;
using HeatmapTools.Engine.Rendering;
using OpenCvSharp;

namespace HeatmapTools.Engine.Patches;

/// <summary>
/// Draws one patient: lays its patches out on a canvas, pastes their tissue, and hands the canvas to each image kind
/// asked for (ImageKinds/) to draw and write. Only this patient's canvas is in memory while it is drawn.
/// </summary>
public static class PatientRenderer
{
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

        // Without images each grid cell is drawn as a CellSize square: at one pixel per patch a 20 x 15 grid was a
        // 20 x 15 image beside a colour bar larger than it.
        double scale = hasImages ? 1.0 : (double)options.CellSize / options.PatchSize;
        int longest = Math.Max(fullWidth, fullHeight);
        if (options.MaxSize > 0 && longest * scale > options.MaxSize) scale = (double)options.MaxSize / longest;
        int width = Math.Max(1, (int)Math.Round(fullWidth * scale)), height = Math.Max(1, (int)Math.Round(fullHeight * scale));
        Rect CellRect(int x, int y) => new((int)Math.Round(x * scale), (int)Math.Round(y * scale),
            Math.Max(1, (int)Math.Round(options.PatchSize * scale)), Math.Max(1, (int)Math.Round(options.PatchSize * scale)));

        PatientResult Result(IReadOnlyList<string> listed, (double, double)? dataRange = null, (double, double)? colorRange = null, ConfusionCounts? counts = null) =>
            new(patient.PatientId, patient.Patches.Count, patient.PositiveCount, patient.PositiveFraction, fullWidth, fullHeight, listed, problems,
                dataRange, colorRange, counts) { ImageWidth = width, ImageHeight = height };

        // A canvas over the pixel budget is refused for this patient alone, before anything is allocated.
        if ((long)width * height > options.CanvasPixelBudget && !options.DrawOnly)
            throw new HeatmapToolsException(ErrorIds.CanvasTooLarge, ErrorKind.LimitsExceeded,
                $"Patient {PatchGridJob.Shorten(patient.PatientId)} would need a {width:N0} x {height:N0} canvas ({(long)width * height / 1e6:N0} megapixels, over the " +
                $"{options.CanvasPixelBudget / 1e6:N0}-megapixel budget); it is not drawn. Give -MaxSize (e.g. -MaxSize 8000) to draw it smaller, " +
                $"or raise the budget with {PatchGridOptions.CanvasBudgetVariable}.", PatchGridJob.Shorten(patient.PatientId));
        var probabilities = patient.Patches.Where(p => p.Probability is not null).Select(p => p.Probability!.Value).ToList();
        (double Min, double Max)? dataRange = probabilities.Count > 0 ? (probabilities.Min(), probabilities.Max()) : null;
        var probabilityRange = PatientAnnotations.ColorScale(dataRange, options.Scale, cohortRange);
        bool hasConfusion = options.Confusion && patient.Patches.Any(p => p.Target is not null && p.Probability is not null);
        var facts = new PatientFacts(patient, options, hasImages, probabilityRange, hasConfusion, hasImages && patient.Patches.Any(p => p.CamMap is not null));
        var writes = options.WritePatients ? options.Images.Where(k => k.Applies(facts)).ToList() : new List<PatientImageKind>();
        // The montage shows the kind asked for (-Kind Probability: probabilities), the first of these this patient has.
        var panelKind = !wantPanel ? null : options.Images.Where(k => k.Applies(facts)).OrderBy(k => k.PanelPreference).FirstOrDefault()
            ?? PatientImageKind.All.OrderBy(k => k.PanelPreference).First();
        string FileFor(PatientImageKind kind) => PatientFileNames.For(options, patient.PatientId, kind.FileKind);

        // Nothing to write for this patient (-Kind Probability without probabilities), or a rerun without -Force over
        // finished output: say so without decoding a thousand patches only to draw nothing or refuse to write it.
        if (!wantPanel && !options.DrawOnly)
        {
            var planned = writes.Select(k => Path.GetFullPath(FileFor(k))).ToList();
            if (planned.Count > 0 && options.SkipExisting && !options.Force && planned.All(File.Exists))
                return Result(planned, dataRange, probabilityRange) with { Skipped = true };
            if (planned.Count == 0 || (!options.Force && planned.All(File.Exists)))
            {
                problems.AddRange(planned.Select(path => new PatchProblem(ErrorIds.OutputExists, patient.PatientId, AtomicFile.ExistsMessage(path), path, true)));
                return Result(files, dataRange, probabilityRange, hasConfusion ? PatientAnnotations.CountConfusion(patient.Patches, options.Threshold) : null);
            }
        }

        // The tissue, one written image at a time, and the blend's copy and mask: about four canvases at once, reserved in
        // the budget all workers share, so several huge patients are drawn one after another rather than together.
        using var reserved = options.Budget.Acquire(4L * 3 * width * height, cancellation);
        using var tissue = new Mat(height, width, MatType.CV_8UC3, new Scalar(255, 255, 255));
        // Each patch's place on the canvas, clipped to it; patches wholly outside are left out.
        var placed = new List<(PatchRecord Record, Rect Cell)>(cells.Count);
        foreach (var (record, x, y) in cells)
        {
            cancellation.ThrowIfCancellationRequested();
            var rect = Clip(CellRect(x, y), width, height);
            if (rect.Width <= 0 || rect.Height <= 0) continue;
            placed.Add((record, rect));
            if (record.Path is not null && PatchDecoder.Decode(record, scale, options.PatchSize, problems, patient.PatientId) is { } patch)
            {
                // A patch larger than its cell is clipped to the cell; a smaller one fills only its own pixels.
                var area = new Rect(rect.X, rect.Y, Math.Min(rect.Width, patch.Width), Math.Min(rect.Height, patch.Height));
                using (patch)
                using (var from = new Mat(patch, new Rect(0, 0, area.Width, area.Height)))
                using (var to = new Mat(tissue, area))
                    from.CopyTo(to);
            }
        }

        var canvas = new PatientCanvas { Facts = facts, Tissue = tissue, Placed = placed };
        Mat? panel = null;
        foreach (var kind in PatientImageKind.All.Where(k => writes.Contains(k) || k == panelKind))
        {
            if (!kind.Applies(facts)) continue;
            using var image = kind.Draw(canvas);
            if (writes.Contains(kind)) Write(image, FileFor(kind), options, files, problems, patient.PatientId);
            if (kind == panelKind) panel = PatientAnnotations.Panel(image, patient, options);
        }
        // Without a confusion map drawn, the counts come straight from the records.
        var confusion = canvas.Confusion ?? (hasConfusion ? PatientAnnotations.CountConfusion(patient.Patches, options.Threshold) : null);
        return Result(files, dataRange, probabilityRange, confusion) with { Panel = panel };
    }

    private static void Write(Mat image, string path, PatchGridOptions options, List<string> files, List<PatchProblem> problems, string patientId)
    {
        if (options.DrawOnly) return;
        // A nightly rerun (-SkipExisting): a finished image is passed over; the missing members of the set are written.
        if (options.SkipExisting && !options.Force && File.Exists(path))
        {
            files.Add(Path.GetFullPath(path));
            return;
        }
        try
        {
            AtomicFile.Write(path, options.Force, stream => Encode(image, options.ImageFormat, stream, $"New-PatientPatchGrid; patient={patientId}"), options.Inputs);
            files.Add(Path.GetFullPath(path));
        }
        catch (HeatmapToolsException ex)
        {
            problems.Add(new PatchProblem(ex.ErrorId, patientId, ex.Message, path, true));
        }
    }

    /// <summary>Patient images as PNG or JPEG (quality 92: smaller files for multi-megapixel canvases).</summary>
    internal static void Encode(Mat image, string format, Stream output, string note) => ImageEncoder.Encode(image, format, output, jpegQuality: 92, note: note);

    internal static Rect Clip(Rect r, int width, int height)
    {
        int x = Math.Clamp(r.X, 0, width), y = Math.Clamp(r.Y, 0, height);
        int right = Math.Clamp(r.X + r.Width, 0, width), bottom = Math.Clamp(r.Y + r.Height, 0, height);
        return new Rect(x, y, right - x, bottom - y);
    }

}
