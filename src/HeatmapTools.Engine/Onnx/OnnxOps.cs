using static TorchSharp.torch;

namespace HeatmapTools.Engine.Onnx;

/// <summary>What an operator may need beyond its node: the opset it was written for and the batch it now runs.</summary>
public sealed class OnnxRunContext
{
    public required int Opset { get; init; }
    /// <summary>
    /// The batch size the graph was exported with when it is fixed (1 for a plain torch.onnx.export), else 0. Shapes
    /// written into such a graph name that batch; operators that take shapes scale it to the batch being run.
    /// </summary>
    public required long StaticBatch { get; init; }
    public long Batch { get; init; } = 1;
}

public delegate Tensor[] OnnxOperator(OnnxNode node, Tensor?[] inputs, OnnxRunContext context);

/// <summary>
/// ONNX operators as TorchSharp operations, so autograd runs through a graph as through a module (ONNX Runtime computes
/// no gradients). Each file of this partial class holds one kind: neural layers, element-wise math, shapes.
/// Semantics follow the ONNX operator documentation for opsets 11 to 17.
/// </summary>
public static partial class OnnxOps
{
    private static readonly Lazy<Dictionary<string, OnnxOperator>> Table = new(() =>
    {
        var table = new Dictionary<string, OnnxOperator>(StringComparer.Ordinal);
        AddNeural(table);
        AddMath(table);
        AddShape(table);
        return table;
    });

    public static IReadOnlyCollection<string> Supported => Table.Value.Keys;

    public static bool TryGet(string op, out OnnxOperator implementation) => Table.Value.TryGetValue(op, out implementation!);

    private static Tensor[] One(Tensor t) => new[] { t };

    private static Tensor Required(Tensor?[] inputs, int i, OnnxNode node) =>
        i < inputs.Length && inputs[i] is { } t ? t
            : throw new HeatmapToolsException(ErrorIds.OnnxModelInvalid, ErrorKind.InvalidData, $"{node} has no input {i}.", node.Name);

    private static Tensor? Optional(Tensor?[] inputs, int i) => i < inputs.Length ? inputs[i] : null;

    /// <summary>A small integer tensor (shapes, axes, pads) as values.</summary>
    internal static long[] Longs(Tensor t) => t.to_type(ScalarType.Int64).contiguous().data<long>().ToArray();

    internal static long Axis(long axis, long rank) => axis < 0 ? axis + rank : axis;

    /// <summary>Axes of an operator: an input from opset 13 (18 for the reductions), an attribute before.</summary>
    private static long[]? Axes(OnnxNode node, Tensor?[] inputs, int inputIndex) =>
        Optional(inputs, inputIndex) is { } t ? Longs(t) : node.Ints("axes");

    internal static HeatmapToolsException NotSupported(OnnxNode node, string what) =>
        new(ErrorIds.OnnxOperatorUnsupported, ErrorKind.NotImplemented, $"{node} uses {what}, which HeatmapTools does not run.", node.Name);
}
