using System.Globalization;
using OpenCvSharp;
using SkiaSharp;

namespace HeatmapTools.Engine.Rendering;

/// <summary>
/// Text drawn into images with the system's fonts, each character in a font that has it (the first font lacks "😀",
/// so it comes from the emoji font): OpenCV's built-in Hershey fonts know ASCII only and turned "ünï 😀" into "??n?? ????".
/// </summary>
public static class TextRenderer
{
    private static readonly SKTypeface Primary = SKFontManager.Default.MatchFamily("DejaVu Sans") ?? SKTypeface.Default;

    /// <summary>
    /// A white strip with <paramref name="text"/> in black, at most <paramref name="maxPixels"/> high and shrunk until it
    /// fits <paramref name="width"/>; characters no font has are drawn as the primary font's missing-glyph box.
    /// </summary>
    public static Mat Caption(string text, int width, int height, float maxPixels = 13f)
    {
        var runs = Runs(text);
        float size = maxPixels;
        while (size > 6 && Measure(runs, size) > width - 8) size -= 0.5f;
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Bgra8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true })
        {
            canvas.Clear(SKColors.White);
            float x = 4, baseline = height / 2f + size * 0.35f;
            foreach (var (typeface, part) in runs)
            {
                using var font = new SKFont(typeface, size);
                canvas.DrawText(part, x, baseline, SKTextAlign.Left, font, paint);
                x += font.MeasureText(part);
            }
        }
        using var bgra = Mat.FromPixelData(height, width, MatType.CV_8UC4, bitmap.GetPixels());
        var bgr = new Mat();
        Cv2.CvtColor(bgra, bgr, ColorConversionCodes.BGRA2BGR);
        return bgr;
    }

    /// <summary>The width a caption needs to show <paramref name="text"/> at <paramref name="maxPixels"/>, margins included.</summary>
    public static int Width(string text, float maxPixels = 13f) => (int)Math.Ceiling(Measure(Runs(text), maxPixels)) + 8;

    private static float Measure(List<(SKTypeface Typeface, string Text)> runs, float size)
    {
        float total = 0;
        foreach (var (typeface, part) in runs)
        {
            using var font = new SKFont(typeface, size);
            total += font.MeasureText(part);
        }
        return total;
    }

    /// <summary>The text cut into runs of one font each: the primary font where it has the character, else a font that has it.</summary>
    private static List<(SKTypeface Typeface, string Text)> Runs(string text)
    {
        var runs = new List<(SKTypeface, string)>();
        var elements = StringInfo.GetTextElementEnumerator(text);
        while (elements.MoveNext())
        {
            string element = (string)elements.Current;
            int codepoint = char.ConvertToUtf32(element, 0);
            var typeface = Primary.ContainsGlyph(codepoint) || char.IsWhiteSpace(element[0]) ? Primary
                : SKFontManager.Default.MatchCharacter(codepoint) ?? Primary;
            if (runs.Count > 0 && ReferenceEquals(runs[^1].Item1, typeface)) runs[^1] = (typeface, runs[^1].Item2 + element);
            else runs.Add((typeface, element));
        }
        return runs;
    }
}
