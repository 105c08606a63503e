using Google.Protobuf;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Onnx;

/// <summary>One operator of an ONNX graph with its attributes read once, at load.</summary>
public sealed class OnnxNode
{
    private readonly Dictionary<string, AttributeProto> _attributes;

    public OnnxNode(NodeProto proto, int index, string modelDirectory)
    {
        Index = index;
        Op = proto.OpType;
        Domain = proto.Domain;
        Name = string.IsNullOrEmpty(proto.Name) ? $"{proto.OpType}_{index}" : proto.Name;
        Inputs = proto.Input.ToArray();
        Outputs = proto.Output.ToArray();
        _attributes = proto.Attribute.ToDictionary(a => a.Name, StringComparer.Ordinal);
        ModelDirectory = modelDirectory;
    }

    /// <summary>An operator HeatmapTools composes from several of the graph's (see OnnxFusion), named as the last of them.</summary>
    internal OnnxNode(string name, string op, string[] inputs, string[] outputs, int index)
    {
        Index = index;
        Op = op;
        Domain = "";
        Name = name;
        Inputs = inputs;
        Outputs = outputs;
        _attributes = new Dictionary<string, AttributeProto>(StringComparer.Ordinal);
        ModelDirectory = "";
    }

    public int Index { get; }
    public string Op { get; }
    public string Domain { get; }
    public string Name { get; }
    /// <summary>Input tensor names; an empty name is an optional input left out.</summary>
    public string[] Inputs { get; }
    public string[] Outputs { get; }
    private string ModelDirectory { get; }

    public bool Has(string name) => _attributes.ContainsKey(name);

    public long Int(string name, long fallback) => _attributes.TryGetValue(name, out var a) ? a.I : fallback;

    public float Float(string name, float fallback) => _attributes.TryGetValue(name, out var a) ? a.F : fallback;

    public string String(string name, string fallback) => _attributes.TryGetValue(name, out var a) ? a.S.ToStringUtf8() : fallback;

    public long[]? Ints(string name) => _attributes.TryGetValue(name, out var a) ? a.Ints.ToArray() : null;

    public float[]? Floats(string name) => _attributes.TryGetValue(name, out var a) ? a.Floats.ToArray() : null;

    public Tensor? TensorAttribute(string name) => _attributes.TryGetValue(name, out var a) && a.T is not null ? OnnxTensors.Read(a.T, ModelDirectory) : null;

    public override string ToString() => $"{Op} node '{Name}'";
}

/// <summary>ONNX TensorProto to TorchSharp tensors: raw or typed data, or data kept in an external file beside the model.</summary>
public static class OnnxTensors
{
    public static Tensor Read(TensorProto proto, string modelDirectory)
    {
        long[] shape = proto.Dims.ToArray();
        var type = (TensorProto.Types.DataType)proto.DataType;
        ReadOnlySpan<byte> raw = proto.RawData.Span;
        byte[]? external = null;
        if (proto.DataLocation == TensorProto.Types.DataLocation.External)
        {
            external = ReadExternal(proto, modelDirectory);
            raw = external;
        }
        if (raw.Length > 0) return FromRaw(raw, type, shape, proto.Name);
        return type switch
        {
            TensorProto.Types.DataType.Float => tensor(proto.FloatData.ToArray(), shape),
            TensorProto.Types.DataType.Double => tensor(proto.DoubleData.ToArray(), shape).to_type(ScalarType.Float32),
            TensorProto.Types.DataType.Int64 => tensor(proto.Int64Data.ToArray(), shape),
            TensorProto.Types.DataType.Int32 or TensorProto.Types.DataType.Int16 or TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint8
                => tensor(proto.Int32Data.Select(v => (long)v).ToArray(), shape),
            TensorProto.Types.DataType.Bool => tensor(proto.Int32Data.Select(v => v != 0).ToArray(), shape),
            TensorProto.Types.DataType.Float16 => tensor(proto.Int32Data.Select(v => (float)BitConverter.UInt16BitsToHalf((ushort)v)).ToArray(), shape),
            _ => throw Unsupported(proto.Name, type),
        };
    }

    private static Tensor FromRaw(ReadOnlySpan<byte> raw, TensorProto.Types.DataType type, long[] shape, string name)
    {
        // Integer tensors become int64 and floating ones float32: the graph's arithmetic then needs no casts of its own.
        switch (type)
        {
            case TensorProto.Types.DataType.Float: return tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw).ToArray(), shape);
            case TensorProto.Types.DataType.Double: return tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(raw).ToArray(), shape).to_type(ScalarType.Float32);
            case TensorProto.Types.DataType.Float16:
                return tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(raw).ToArray().Select(h => (float)h).ToArray(), shape);
            case TensorProto.Types.DataType.Int64: return tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(raw).ToArray(), shape);
            case TensorProto.Types.DataType.Int32: return tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(raw).ToArray().Select(v => (long)v).ToArray(), shape);
            case TensorProto.Types.DataType.Uint8: return tensor(raw.ToArray().Select(v => (long)v).ToArray(), shape);
            case TensorProto.Types.DataType.Int8: return tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(raw).ToArray().Select(v => (long)v).ToArray(), shape);
            case TensorProto.Types.DataType.Bool: return tensor(raw.ToArray().Select(v => v != 0).ToArray(), shape);
            default: throw Unsupported(name, type);
        }
    }

    private static byte[] ReadExternal(TensorProto proto, string modelDirectory)
    {
        var info = proto.ExternalData.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        if (!info.TryGetValue("location", out var location))
            throw new HeatmapToolsException(ErrorIds.OnnxModelInvalid, ErrorKind.InvalidData, $"Tensor '{proto.Name}' says its data is external but names no file.", proto.Name);
        string path = Path.GetFullPath(Path.Combine(modelDirectory, location));
        if (!File.Exists(path))
            throw new HeatmapToolsException(ErrorIds.OnnxModelInvalid, ErrorKind.ObjectNotFound,
                $"Tensor '{proto.Name}' keeps its data in '{path}', which does not exist: copy the model's data file beside the .onnx file.", path);
        long offset = info.TryGetValue("offset", out var o) ? long.Parse(o, System.Globalization.CultureInfo.InvariantCulture) : 0;
        using var stream = File.OpenRead(path);
        long length = info.TryGetValue("length", out var l) ? long.Parse(l, System.Globalization.CultureInfo.InvariantCulture) : stream.Length - offset;
        var buffer = new byte[length];
        stream.Seek(offset, SeekOrigin.Begin);
        stream.ReadExactly(buffer);
        return buffer;
    }

    private static HeatmapToolsException Unsupported(string name, TensorProto.Types.DataType type) =>
        new(ErrorIds.OnnxModelInvalid, ErrorKind.InvalidData, $"Tensor '{name}' has element type {type}, which HeatmapTools does not read.", name);
}
