using System.Text;
using System.Text.RegularExpressions;

namespace HeatmapTools.Engine.IO;

/// <summary>NumPy's .npy format for little-endian float32 arrays: magic, version, a dict-literal header, raw data.</summary>
public static partial class Npy
{
    public sealed record Array(int[] Shape, float[] Data);

    public static Array ReadFloat32(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        var magic = reader.ReadBytes(6);
        if (magic.Length != 6 || magic[0] != 0x93 || Encoding.ASCII.GetString(magic, 1, 5) != "NUMPY")
            throw new InvalidDataException($"'{path}' is not a .npy file.");
        byte major = reader.ReadByte();
        reader.ReadByte();
        int headerLength = major == 1 ? reader.ReadUInt16() : (int)reader.ReadUInt32();
        string header = Encoding.Latin1.GetString(reader.ReadBytes(headerLength));
        if (!header.Contains("'<f4'"))
            throw new InvalidDataException($"'{path}' is not little-endian float32: {header.Trim()}");
        if (header.Contains("'fortran_order': True"))
            throw new InvalidDataException($"'{path}' is Fortran-ordered, which is not supported.");
        var shapeText = ShapePattern().Match(header).Groups[1].Value;
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        int count = shape.Aggregate(1, (a, b) => a * b);
        var bytes = reader.ReadBytes(count * 4);
        var data = new float[count];
        Buffer.BlockCopy(bytes, 0, data, 0, bytes.Length);
        return new Array(shape, data);
    }

    public static void WriteFloat32(Stream stream, int[] shape, ReadOnlySpan<float> data)
    {
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        string header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dims}), }}";
        // The whole preamble is padded with spaces to a multiple of 64 bytes and ends in a newline.
        int preamble = 10 + header.Length + 1;
        header += new string(' ', (64 - preamble % 64) % 64) + "\n";
        using var writer = new BinaryWriter(stream, Encoding.Latin1, leaveOpen: true);
        writer.Write((byte)0x93);
        writer.Write(Encoding.ASCII.GetBytes("NUMPY"));
        writer.Write((byte)1);
        writer.Write((byte)0);
        writer.Write((ushort)header.Length);
        writer.Write(Encoding.Latin1.GetBytes(header));
        foreach (var value in data) writer.Write(value);
    }

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
