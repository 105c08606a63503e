using System.Numerics;
using OpenCvSharp;

namespace HeatmapTools.Engine.Patches;

/// <summary>
/// Pixel work on one grid cell of an 8-bit BGR canvas, done on the Mats' memory directly. A patient has about a
/// thousand cells per image; going through OpenCvSharp per cell would create a native sub-matrix (and a finalizable
/// wrapper) for each, which cost as much as decoding the patch itself.
/// </summary>
internal static unsafe class CellPainter
{
    /// <summary>Copies the top-left part of <paramref name="source"/> that fits into <paramref name="cell"/> of the canvas.</summary>
    public static void Copy(Mat source, Pixels canvas, Rect cell)
    {
        var from = Pixels.Of(source);
        int width = Math.Min(cell.Width, source.Width), height = Math.Min(cell.Height, source.Height);
        for (int y = 0; y < height; y++)
            new ReadOnlySpan<byte>(from.At(y, 0), width * 3).CopyTo(new Span<byte>(canvas.At(cell.Y + y, cell.X), width * 3));
    }

    /// <summary>Fills the cell with one colour.</summary>
    public static void Fill(Pixels canvas, Rect cell, Scalar color)
    {
        byte b = Channel(color.Val0), g = Channel(color.Val1), r = Channel(color.Val2);
        for (int y = cell.Y; y < cell.Bottom; y++)
        {
            byte* p = canvas.At(y, cell.X);
            for (int x = 0; x < cell.Width; x++, p += 3)
            {
                p[0] = b;
                p[1] = g;
                p[2] = r;
            }
        }
    }

    /// <summary>Writes <c>(1 - alpha) * source + alpha * colour</c> into the same cell of <paramref name="target"/>.</summary>
    public static void Blend(Pixels source, Pixels target, Rect cell, BlendTable table)
    {
        int rowBytes = cell.Width * 3, lanes = Vector<byte>.Count;
        var terms = table.TermsFor(rowBytes);
        var keep = new Vector<uint>(table.Keep);
        for (int y = cell.Y; y < cell.Bottom; y++)
        {
            byte* from = source.At(y, cell.X), to = target.At(y, cell.X);
            int i = 0;
            // Fixed point with 16 fractional bits: widen bytes to 32-bit lanes, multiply-add, shift back, narrow.
            for (; i + lanes <= rowBytes; i += lanes)
            {
                Vector.Widen(Vector.Load(from + i), out Vector<ushort> low, out Vector<ushort> high);
                Vector.Widen(low, out Vector<uint> a, out Vector<uint> b);
                Vector.Widen(high, out Vector<uint> c, out Vector<uint> d);
                int quarter = Vector<uint>.Count;
                a = Vector.ShiftRightLogical(a * keep + new Vector<uint>(terms, i), 16);
                b = Vector.ShiftRightLogical(b * keep + new Vector<uint>(terms, i + quarter), 16);
                c = Vector.ShiftRightLogical(c * keep + new Vector<uint>(terms, i + 2 * quarter), 16);
                d = Vector.ShiftRightLogical(d * keep + new Vector<uint>(terms, i + 3 * quarter), 16);
                Vector.Narrow(Vector.Narrow(a, b), Vector.Narrow(c, d)).Store(to + i);
            }
            for (; i < rowBytes; i++) to[i] = (byte)((from[i] * table.Keep + terms[i]) >> 16);
        }
    }

    /// <summary>Copies one cell between two canvases of the same size.</summary>
    public static void CopySame(Pixels source, Pixels target, Rect cell)
    {
        for (int y = cell.Y; y < cell.Bottom; y++)
            new ReadOnlySpan<byte>(source.At(y, cell.X), cell.Width * 3).CopyTo(new Span<byte>(target.At(y, cell.X), cell.Width * 3));
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
/// </summary>
internal sealed class BlendTable
{
    private readonly uint[] channelTerms = new uint[3];
    private uint[] terms = Array.Empty<uint>();

    public uint Keep { get; }

    public BlendTable(Scalar color, double alpha)
    {
        Keep = (uint)Math.Round((1 - alpha) * 65536);
        double[] bgr = { color.Val0, color.Val1, color.Val2 };
        for (int c = 0; c < 3; c++) channelTerms[c] = (uint)Math.Round(Math.Clamp(bgr[c], 0, 255) * alpha * 65536) + 32768;
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
