using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace HeatmapTools.Engine.Onnx;

public static partial class OnnxOps
{
    private static void AddNeural(Dictionary<string, OnnxOperator> t)
    {
        t["Conv"] = (n, i, c) => One(Conv(n, Required(i, 0, n), Required(i, 1, n), Optional(i, 2)));
        t["ConvTranspose"] = (n, i, c) => One(ConvTranspose(n, Required(i, 0, n), Required(i, 1, n), Optional(i, 2)));
        t["MaxPool"] = (n, i, c) => One(Pool(n, Required(i, 0, n), max: true));
        t["AveragePool"] = (n, i, c) => One(Pool(n, Required(i, 0, n), max: false));
        t["GlobalAveragePool"] = (n, i, c) => One(Required(i, 0, n).mean(SpatialDims(Required(i, 0, n)), keepdim: true));
        t["GlobalMaxPool"] = (n, i, c) => One(Required(i, 0, n).amax(SpatialDims(Required(i, 0, n)), keepdim: true));
        t["BatchNormalization"] = (n, i, c) => One(F.batch_norm(Required(i, 0, n), Required(i, 3, n), Required(i, 4, n), Required(i, 1, n), Required(i, 2, n),
            training: false, eps: n.Float("epsilon", 1e-5f)));
        t["InstanceNormalization"] = (n, i, c) => One(F.instance_norm(Required(i, 0, n), weight: Required(i, 1, n), bias: Required(i, 2, n), eps: n.Float("epsilon", 1e-5f)));
        t["LayerNormalization"] = (n, i, c) =>
        {
            var x = Required(i, 0, n);
            long axis = Axis(n.Int("axis", -1), x.dim());
            return One(F.layer_norm(x, x.shape.Skip((int)axis).ToArray(), Required(i, 1, n), Optional(i, 2), n.Float("epsilon", 1e-5f)));
        };
        t["Gemm"] = (n, i, c) =>
        {
            var a = Required(i, 0, n);
            var b = Required(i, 1, n);
            if (n.Int("transA", 0) != 0) a = a.t();
            if (n.Int("transB", 0) != 0) b = b.t();
            var y = a.matmul(b);
            float alpha = n.Float("alpha", 1f), beta = n.Float("beta", 1f);
            if (alpha != 1f) y = y * alpha;
            if (Optional(i, 2) is { } bias) y = y + (beta == 1f ? bias : bias * beta);
            return One(y);
        };
        t[OnnxFusion.Linear] = (n, i, c) => One(F.linear(Required(i, 0, n), Required(i, 1, n), Required(i, 2, n)));
        t[OnnxFusion.Gelu] = (n, i, c) => One(F.gelu(Required(i, 0, n)));
        t["MatMul"] = (n, i, c) => One(Required(i, 0, n).matmul(Required(i, 1, n)));
        t["Einsum"] = (n, i, c) => One(einsum(n.String("equation", "").Replace(" ", ""), i.Select(x => x!).ToArray()));
        t["Relu"] = (n, i, c) => One(F.relu(Required(i, 0, n)));
        t["LeakyRelu"] = (n, i, c) => One(F.leaky_relu(Required(i, 0, n), n.Float("alpha", 0.01f)));
        t["PRelu"] = (n, i, c) =>
        {
            var x = Required(i, 0, n);
            return One(where(x >= 0, x, x * Required(i, 1, n)));
        };
        t["Elu"] = (n, i, c) => One(F.elu(Required(i, 0, n), n.Float("alpha", 1f)));
        t["Selu"] = (n, i, c) =>
        {
            var x = Required(i, 0, n);
            float alpha = n.Float("alpha", 1.67326319217681884765625f), gamma = n.Float("gamma", 1.05070102214813232421875f);
            return One(gamma * where(x > 0, x, alpha * (x.exp() - 1)));
        };
        t["Sigmoid"] = (n, i, c) => One(Required(i, 0, n).sigmoid());
        t["HardSigmoid"] = (n, i, c) => One((Required(i, 0, n) * n.Float("alpha", 0.2f) + n.Float("beta", 0.5f)).clamp(0, 1));
        t["HardSwish"] = (n, i, c) => One(F.hardswish(Required(i, 0, n)));
        t["Tanh"] = (n, i, c) => One(Required(i, 0, n).tanh());
        t["Softplus"] = (n, i, c) => One(F.softplus(Required(i, 0, n)));
        t["Softsign"] = (n, i, c) => One(Required(i, 0, n) / (Required(i, 0, n).abs() + 1));
        t["Mish"] = (n, i, c) => One(F.mish(Required(i, 0, n), false));
        t["Gelu"] = (n, i, c) => One(n.String("approximate", "none") == "tanh" ? GeluTanh(Required(i, 0, n)) : F.gelu(Required(i, 0, n)));
        t["Clip"] = (n, i, c) =>
        {
            var x = Required(i, 0, n);
            // Bounds are inputs from opset 11, attributes before.
            Tensor? low = Optional(i, 1), high = Optional(i, 2);
            double? lo = low is not null ? low.ToDouble() : n.Has("min") ? n.Float("min", 0) : null;
            double? hi = high is not null ? high.ToDouble() : n.Has("max") ? n.Float("max", 0) : null;
            return One(lo is null && hi is null ? x : x.clamp(lo is double l ? l : (Scalar?)null, hi is double h ? h : (Scalar?)null));
        };
        t["Softmax"] = (n, i, c) => One(SoftmaxOf(n, Required(i, 0, n), c, log: false));
        t["LogSoftmax"] = (n, i, c) => One(SoftmaxOf(n, Required(i, 0, n), c, log: true));
        t["Dropout"] = (n, i, c) => n.Outputs.Length > 1 && n.Outputs[1].Length > 0
            ? new[] { Required(i, 0, n), ones_like(Required(i, 0, n), dtype: ScalarType.Bool) }
            : One(Required(i, 0, n));
    }

    private static Tensor GeluTanh(Tensor x) => 0.5 * x * (1 + (Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x.pow(3))).tanh());

    private static long[] SpatialDims(Tensor x) => Enumerable.Range(2, (int)x.dim() - 2).Select(d => (long)d).ToArray();

    private static Tensor SoftmaxOf(OnnxNode n, Tensor x, OnnxRunContext c, bool log)
    {
        long rank = x.dim();
        long axis = Axis(n.Int("axis", c.Opset >= 13 ? -1 : 1), rank);
        if (c.Opset >= 13 || axis == rank - 1)
            return log ? F.log_softmax(x, axis) : F.softmax(x, axis);
        // Before opset 13 the input is seen as 2-D at the axis: one softmax over every dimension from it on.
        var shape = x.shape;
        var flat = x.reshape(shape.Take((int)axis).Aggregate(1L, (a, b) => a * b), -1);
        return (log ? F.log_softmax(flat, 1) : F.softmax(flat, 1)).reshape(shape);
    }

    /// <summary>Per spatial dimension: begin and end padding, from pads or auto_pad.</summary>
    private static (long[] Begin, long[] End) Pads(OnnxNode n, long[] inputSpatial, long[] kernel, long[] strides, long[] dilations)
    {
        int d = inputSpatial.Length;
        string autoPad = n.String("auto_pad", "NOTSET");
        if (autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            var begin = new long[d];
            var end = new long[d];
            for (int k = 0; k < d; k++)
            {
                long output = (inputSpatial[k] + strides[k] - 1) / strides[k];
                long total = Math.Max(0, (output - 1) * strides[k] + (kernel[k] - 1) * dilations[k] + 1 - inputSpatial[k]);
                begin[k] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
                end[k] = total - begin[k];
            }
            return (begin, end);
        }
        if (autoPad == "VALID") return (new long[d], new long[d]);
        var pads = n.Ints("pads") ?? new long[2 * d];
        return (pads.Take(d).ToArray(), pads.Skip(d).ToArray());
    }

    /// <summary>Pads the spatial dimensions on both sides as given (torch's pad lists the last dimension first).</summary>
    private static Tensor PadSpatial(Tensor x, long[] begin, long[] end, double value)
    {
        var list = new List<long>();
        for (int k = begin.Length - 1; k >= 0; k--) { list.Add(begin[k]); list.Add(end[k]); }
        return F.pad(x, list.ToArray(), PaddingModes.Constant, value);
    }

    private static Tensor Conv(OnnxNode n, Tensor x, Tensor w, Tensor? b)
    {
        int d = (int)x.dim() - 2;
        long[] kernel = n.Ints("kernel_shape") ?? w.shape.Skip(2).ToArray();
        long[] strides = n.Ints("strides") ?? Enumerable.Repeat(1L, d).ToArray();
        long[] dilations = n.Ints("dilations") ?? Enumerable.Repeat(1L, d).ToArray();
        long groups = n.Int("group", 1);
        var (begin, end) = Pads(n, x.shape.Skip(2).ToArray(), kernel, strides, dilations);
        long[] padding = begin;
        if (!begin.SequenceEqual(end))
        {
            x = PadSpatial(x, begin, end, 0);
            padding = new long[d];
        }
        return d switch
        {
            1 => F.conv1d(x, w, b, strides[0], padding[0], dilations[0], groups),
            2 => F.conv2d(x, w, b, strides, padding, dilations, groups),
            3 => F.conv3d(x, w, b, strides, padding, dilations, groups),
            _ => throw NotSupported(n, $"a {d}-D convolution"),
        };
    }

    private static Tensor ConvTranspose(OnnxNode n, Tensor x, Tensor w, Tensor? b)
    {
        int d = (int)x.dim() - 2;
        long[] strides = n.Ints("strides") ?? Enumerable.Repeat(1L, d).ToArray();
        long[] dilations = n.Ints("dilations") ?? Enumerable.Repeat(1L, d).ToArray();
        long[] outputPadding = n.Ints("output_padding") ?? new long[d];
        var pads = n.Ints("pads") ?? new long[2 * d];
        if (!pads.Take(d).SequenceEqual(pads.Skip(d)) || n.Has("output_shape") || n.String("auto_pad", "NOTSET") != "NOTSET")
            throw NotSupported(n, "asymmetric padding, auto_pad or output_shape on a transposed convolution");
        var padding = pads.Take(d).ToArray();
        long groups = n.Int("group", 1);
        return d == 2 ? F.conv_transpose2d(x, w, b, strides, padding, outputPadding, dilations, groups)
            : d == 1 ? F.conv_transpose1d(x, w, b, strides[0], padding[0], outputPadding[0], dilations[0], groups)
            : throw NotSupported(n, $"a {d}-D transposed convolution");
    }

    private static Tensor Pool(OnnxNode n, Tensor x, bool max)
    {
        int d = (int)x.dim() - 2;
        long[] kernel = n.Ints("kernel_shape")!;
        long[] strides = n.Ints("strides") ?? Enumerable.Repeat(1L, d).ToArray();
        long[] dilations = n.Ints("dilations") ?? Enumerable.Repeat(1L, d).ToArray();
        bool ceil = n.Int("ceil_mode", 0) != 0;
        var (begin, end) = Pads(n, x.shape.Skip(2).ToArray(), kernel, strides, dilations);
        bool symmetric = begin.SequenceEqual(end) && begin.Zip(kernel).All(p => p.First * 2 <= p.Second);
        if (max)
        {
            if (!symmetric) { x = PadSpatial(x, begin, end, double.NegativeInfinity); begin = new long[d]; }
            return d == 2 ? F.max_pool2d(x, kernel, strides, begin, dilations, ceil)
                : d == 1 ? F.max_pool1d(x, kernel[0], strides[0], begin[0], dilations[0], ceil)
                : throw NotSupported(n, $"{d}-D max pooling");
        }
        if (d != 2) throw NotSupported(n, $"{d}-D average pooling");
        bool countPad = n.Int("count_include_pad", 0) != 0;
        if (symmetric) return F.avg_pool2d(x, kernel, strides, begin, ceil, countPad);
        // Uneven padding: pool the zero-padded input, and when padding does not count, divide by the share of real pixels.
        var padded = F.avg_pool2d(PadSpatial(x, begin, end, 0), kernel, strides, new long[d], ceil, true);
        if (countPad) return padded;
        var real = PadSpatial(ones(1, 1, x.shape[2], x.shape[3], dtype: x.dtype), begin, end, 0);
        return padded / F.avg_pool2d(real, kernel, strides, new long[d], ceil, true);
    }
}
