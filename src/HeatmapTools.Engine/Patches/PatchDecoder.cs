using OpenCvSharp;

namespace HeatmapTools.Engine.Patches;

/// <summary>Reads patch images for a patient canvas, refusing what is not a patch (a device, a decompression bomb).</summary>
internal static class PatchDecoder
{
    /// <summary>
    /// Reads one patch, ready to paste: as decoded at full size, or resized to the canvas scale. Null (with the problem
    /// recorded) when it cannot be read; the caller disposes the result.
    /// </summary>
    public static Mat? Decode(PatchRecord record, double scale, int patchSize, List<PatchProblem> problems, string patientId)
    {
        Mat patch;
        try
        {
            if (IO.RegularFile.Kind(record.Path!) is { } kind)
            {
                problems.Add(new PatchProblem(ErrorIds.PatchUnreadable, patientId, $"Patch '{record.Path}' is {kind}, not a regular file; it is not read.", record.Source, true));
                return null;
            }
            var bytes = File.ReadAllBytes(record.Path!);
            // A patch that declares far more pixels than a cell holds is a decompression bomb, not tissue: not decoded.
            if (Imaging.ImageHeader.Size(bytes) is (int w, int h) && (long)w * h > Math.Max(16L * patchSize * patchSize, 4_000_000))
            {
                problems.Add(new PatchProblem(ErrorIds.PatchUnreadable, patientId,
                    $"Patch '{record.Path}' declares {w:N0} x {h:N0} pixels, far more than a {patchSize}-pixel patch; it is not decoded.", record.Source, true));
                return null;
            }
            patch = bytes.Length == 0 ? new Mat() : Cv2.ImDecode(bytes, ImreadModes.Color);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or OpenCVException or OutOfMemoryException)
        {
            // OpenCV refuses images over its pixel limit (decompression bombs) with an exception: this patch only.
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
}
