using OpenCvSharp;

namespace HeatmapTools.Engine.Rendering;

/// <summary>
/// The one place images are encoded, through OpenCV. PNG is written with OpenCV's defaults on purpose: without a
/// compression parameter it uses the Sub filter, zlib level 1 and run-length matching, its fastest setting; passing
/// IMWRITE_PNG_COMPRESSION (even 1) drops the Sub filter and is much slower. A hand-written deflate encoder does not
/// make the whole run the 1.5x faster that would justify one (the `patches` part, docs/benchmarks.md).
/// </summary>
public static class ImageEncoder
{
    /// <summary>
    /// Encodes in the format <paramref name="extension"/> names (png, jpg, bmp, tif, webp; with or without the dot), with
    /// <paramref name="note"/> (see <see cref="OutputMarker"/>) inside PNG and JPEG files when given.
    /// </summary>
    public static void Encode(Mat image, string extension, Stream output, int jpegQuality = 95, string? note = null)
    {
        string ext = "." + extension.TrimStart('.').ToLowerInvariant();
        byte[] bytes = ext switch
        {
            ".png" or "." => image.ImEncode(".png"),
            ".jpg" or ".jpeg" => image.ImEncode(".jpg", new ImageEncodingParam(ImwriteFlags.JpegQuality, jpegQuality)),
            _ => image.ImEncode(ext),
        };
        output.Write(note is null ? bytes : OutputMarker.Add(bytes, note));
    }
}
