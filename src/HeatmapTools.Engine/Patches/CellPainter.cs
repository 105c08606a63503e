using OpenCvSharp;

namespace HeatmapTools.Engine.Patches;

/// <summary>
/// Pixel work on grid cells of an 8-bit BGR canvas, one row of a cell at a time (<see cref="ForEachRow"/> orders the
/// rows), done on the Mats' memory directly. A patient has about a thousand cells per image; going through OpenCvSharp
/// per cell would create a native sub-matrix (and a finalizable wrapper) for each, which cost as much as decoding the
/// patch itself.
/// </summary>
internal static unsafe class CellPainter
{
    /// <summary>Copies row <paramref name="sourceRow"/> of an image into canvas row <paramref name="y"/> across <paramref name="area"/>.</summary>
    public static void CopyRow(Pixels source, int sourceRow, Pixels canvas, Rect area, int y) =>
        new ReadOnlySpan<byte>(source.At(sourceRow, 0), area.Width * 3).CopyTo(new Span<byte>(canvas.At(y, area.X), area.Width * 3));

    /// <summary>Fills the cell with one colour.</summary>
    public static void Fill(Pixels canvas, Rect cell, Scalar color)
    {
        for (int y = cell.Y; y < cell.Bottom; y++) FillRow(canvas, cell, y, color);
    }

    /// <summary>Fills row <paramref name="y"/> of the cell with one colour.</summary>
    public static void FillRow(Pixels canvas, Rect cell, int y, Scalar color)
    {
        byte b = Channel(color.Val0), g = Channel(color.Val1), r = Channel(color.Val2);
        byte* p = canvas.At(y, cell.X);
        for (int x = 0; x < cell.Width; x++, p += 3)
        {
            p[0] = b;
            p[1] = g;
            p[2] = r;
        }
    }

    /// <summary>Copies row <paramref name="y"/> of one cell between two canvases of the same size.</summary>
    public static void CopySameRow(Pixels source, Pixels target, Rect cell, int y) =>
        new ReadOnlySpan<byte>(source.At(y, cell.X), cell.Width * 3).CopyTo(new Span<byte>(target.At(y, cell.X), cell.Width * 3));

    /// <summary>
    /// Visits every row of every cell, canvas row by canvas row: consecutive cells starting on the same row form a band,
    /// and each pixel row of a band is done left to right across its cells before the next. Cells one after another in
    /// memory cost far less than 50 rows a canvas-stride apart per cell (a thousand cells of a 2.5-megapixel canvas
    /// blended 4-5x faster this way). Where cells overlap, a later cell still ends up on top, as cell by cell.
    /// </summary>
    public static void ForEachRow<T>(IReadOnlyList<T> items, Func<T, Rect> cellOf, Action<T, Rect, int> row)
    {
        for (int start = 0; start < items.Count;)
        {
            int top = cellOf(items[start]).Y, end = start, bottom = top;
            for (; end < items.Count && cellOf(items[end]).Y == top; end++) bottom = Math.Max(bottom, cellOf(items[end]).Bottom);
            for (int y = top; y < bottom; y++)
                for (int k = start; k < end; k++)
                {
                    var cell = cellOf(items[k]);
                    if (y < cell.Bottom) row(items[k], cell, y);
                }
            start = end;
        }
    }

    private static byte Channel(double value) => (byte)Math.Clamp((int)Math.Round(value), 0, 255);
}

/// <summary>
/// The address and row stride of an 8-bit, 3-channel Mat, read once: asking the Mat for a row pointer is a native
/// call each time. Valid only while the Mat lives and is not reallocated.
/// </summary>
internal readonly unsafe struct Pixels
{
    private readonly byte* data;
    private readonly long step;

    private Pixels(byte* data, long step)
    {
        this.data = data;
        this.step = step;
    }

    public static Pixels Of(Mat mat)
    {
        if (mat.Type() != MatType.CV_8UC3) throw new ArgumentException($"Expected an 8-bit BGR image, not {mat.Type()}.", nameof(mat));
        return new Pixels((byte*)mat.Data, mat.Step());
    }

    public byte* At(int y, int x) => data + y * step + x * 3;

    /// <summary>The same pixels seen from (x, y) on, so cell coordinates of a smaller image can address a larger canvas.</summary>
    public Pixels Offset(int x, int y) => new(At(y, x), step);
}

