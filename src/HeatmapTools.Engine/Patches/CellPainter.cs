using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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

    /// <summary>Off where the CPU lacks AVX2; tests turn it off to run the portable path on every machine.</summary>
    internal static bool UseAvx2 = Avx2.IsSupported;

    /// <summary>
    /// Writes <c>(1 - alpha) * source + alpha * colour</c> into row <paramref name="y"/> of the cell in
    /// <paramref name="target"/>, which must be another canvas than <paramref name="source"/>.
    /// </summary>
    public static void BlendRow(Pixels source, Pixels target, Rect cell, int y, BlendTable table)
    {
        if (UseAvx2) BlendAvx2(source.At(y, cell.X), target.At(y, cell.X), cell.Width * 3, table);
        else BlendPortable(source.At(y, cell.X), target.At(y, cell.X), cell.Width * 3, table);
    }

    /// <summary>
    /// 16 bytes per 256-bit multiply instead of 8: the source byte moved up 8 bits times Keep (16 fractional bits) keeps
    /// the high half of the product, which is source * (1 - alpha) with 8 fractional bits and an error below 1/256.
    /// </summary>
    internal static void BlendAvx2(byte* from, byte* to, int rowBytes, BlendTable table)
    {
        var keep = Vector256.Create(table.Keep16);
        fixed (ushort* t = table.ShortTermsFor(rowBytes))
        {
            int i;
            for (i = 0; i + 32 <= rowBytes; i += 32) Blend32(from, to, t, i, keep);
            // A 50-pixel row is 150 bytes: rather than 22 bytes one at a time, redo the last 32 (source and target
            // are different canvases, so blending a byte twice gives the same value).
            if (i < rowBytes && rowBytes >= 32) Blend32(from, to, t, rowBytes - 32, keep);
            else for (; i < rowBytes; i++) to[i] = (byte)((((uint)from[i] << 8) * table.Keep16 >> 16) + t[i] >> 8);
        }
    }

    private static void Blend32(byte* from, byte* to, ushort* terms, int i, Vector256<ushort> keep)
    {
        var (low, high) = Vector256.Widen(Vector256.Load(from + i));
        low = Avx2.MultiplyHigh(Vector256.ShiftLeft(low, 8), keep) + Vector256.Load(terms + i);
        high = Avx2.MultiplyHigh(Vector256.ShiftLeft(high, 8), keep) + Vector256.Load(terms + i + 16);
        Vector256.Narrow(Vector256.ShiftRightLogical(low, 8), Vector256.ShiftRightLogical(high, 8)).Store(to + i);
    }

    /// <summary>The same blend without AVX2: fixed point with 16 fractional bits in 32-bit lanes.</summary>
    internal static void BlendPortable(byte* from, byte* to, int rowBytes, BlendTable table)
    {
        int lanes = Vector<byte>.Count, quarter = Vector<uint>.Count, i = 0;
        var terms = table.TermsFor(rowBytes);
        var keep = new Vector<uint>(table.Keep);
        for (; i + lanes <= rowBytes; i += lanes)
        {
            Vector.Widen(Vector.Load(from + i), out Vector<ushort> low, out Vector<ushort> high);
            Vector.Widen(low, out Vector<uint> a, out Vector<uint> b);
            Vector.Widen(high, out Vector<uint> c, out Vector<uint> d);
            a = Vector.ShiftRightLogical(a * keep + new Vector<uint>(terms, i), 16);
            b = Vector.ShiftRightLogical(b * keep + new Vector<uint>(terms, i + quarter), 16);
            c = Vector.ShiftRightLogical(c * keep + new Vector<uint>(terms, i + 2 * quarter), 16);
            d = Vector.ShiftRightLogical(d * keep + new Vector<uint>(terms, i + 3 * quarter), 16);
            Vector.Narrow(Vector.Narrow(a, b), Vector.Narrow(c, d)).Store(to + i);
        }
        for (; i < rowBytes; i++) to[i] = (byte)((from[i] * table.Keep + terms[i]) >> 16);
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

/// <summary>
/// One colour blended at one alpha, in fixed point with 16 fractional bits: <c>out = (source * Keep + term) >> 16</c>,
/// where Keep is (1 - alpha) and the term, which repeats every three bytes (blue, green, red), is alpha * colour plus
/// one half for rounding. Within 0.01 of the exact blend, so it rounds as OpenCV's addWeighted does except at ties.
/// The AVX2 path uses the same numbers with 8 fractional bits after the multiply (<see cref="Keep16"/>, the short
/// terms), within 0.01 as well.
/// </summary>
internal sealed class BlendTable
{
    private readonly uint[] channelTerms = new uint[3];
    private uint[] terms = Array.Empty<uint>();

    public uint Keep { get; }

    /// <summary>(1 - alpha) with 16 fractional bits, capped to fit 16 bits (alpha 0 then loses under 1/65536).</summary>
    public ushort Keep16 { get; }

    private readonly ushort[] channelShortTerms = new ushort[3];
    private ushort[] shortTerms = Array.Empty<ushort>();

    public BlendTable(Scalar color, double alpha)
    {
        Keep = (uint)Math.Round((1 - alpha) * 65536);
        Keep16 = (ushort)Math.Min(65535, Keep);
        double[] bgr = { color.Val0, color.Val1, color.Val2 };
        for (int c = 0; c < 3; c++)
        {
            channelTerms[c] = (uint)Math.Round(Math.Clamp(bgr[c], 0, 255) * alpha * 65536) + 32768;
            // The same term with 8 fractional bits; source * (1 - alpha) + term stays below 65,536 since both weights sum to 1.
            channelShortTerms[c] = (ushort)(Math.Round(Math.Clamp(bgr[c], 0, 255) * alpha * 256) + 128);
        }
    }

    /// <summary>The 8-fractional-bit terms for a row, padded so whole vectors can be read.</summary>
    public ushort[] ShortTermsFor(int rowBytes)
    {
        int needed = rowBytes + 32;
        if (shortTerms.Length < needed)
        {
            shortTerms = new ushort[needed];
            for (int i = 0; i < needed; i++) shortTerms[i] = channelShortTerms[i % 3];
        }
        return shortTerms;
    }

    /// <summary>The repeating term for a row of <paramref name="rowBytes"/> bytes, padded so whole vectors can be read.</summary>
    public uint[] TermsFor(int rowBytes)
    {
        int needed = rowBytes + Vector<byte>.Count;
        if (terms.Length < needed)
        {
            terms = new uint[needed];
            for (int i = 0; i < needed; i++) terms[i] = channelTerms[i % 3];
        }
        return terms;
    }
}
