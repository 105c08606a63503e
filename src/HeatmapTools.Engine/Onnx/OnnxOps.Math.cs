using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace HeatmapTools.Engine.Onnx;

public static partial class OnnxOps
{
    private static void AddMath(Dictionary<string, OnnxOperator> t)
    {
        t["Add"] = (n, i, c) => One(Required(i, 0, n) + Required(i, 1, n));
        t["Sub"] = (n, i, c) => One(Required(i, 0, n) - Required(i, 1, n));
        t["Mul"] = (n, i, c) => One(Required(i, 0, n) * Required(i, 1, n));
        // Integer division truncates in ONNX; torch's '/' would turn integers into floats.
        t["Div"] = (n, i, c) => One(IsInteger(Required(i, 0, n)) && IsInteger(Required(i, 1, n))
            ? Required(i, 0, n).div(Required(i, 1, n), RoundingMode.trunc) : Required(i, 0, n) / Required(i, 1, n));
        t["Mod"] = (n, i, c) => One(n.Int("fmod", 0) != 0 ? Required(i, 0, n).fmod(Required(i, 1, n)) : Required(i, 0, n).remainder(Required(i, 1, n)));
        t["Pow"] = (n, i, c) => One(Required(i, 0, n).pow(Required(i, 1, n)).to_type(Required(i, 0, n).dtype));
        t["Sqrt"] = (n, i, c) => One(Required(i, 0, n).sqrt());
        t["Reciprocal"] = (n, i, c) => One(Required(i, 0, n).reciprocal());
        t["Neg"] = (n, i, c) => One(-Required(i, 0, n));
        t["Abs"] = (n, i, c) => One(Required(i, 0, n).abs());
        t["Exp"] = (n, i, c) => One(Required(i, 0, n).exp());
        t["Log"] = (n, i, c) => One(Required(i, 0, n).log());
        t["Erf"] = (n, i, c) => One(Required(i, 0, n).erf());
        t["Floor"] = (n, i, c) => One(Required(i, 0, n).floor());
        t["Ceil"] = (n, i, c) => One(Required(i, 0, n).ceil());
        t["Round"] = (n, i, c) => One(Required(i, 0, n).round());
        t["Sign"] = (n, i, c) => One(Required(i, 0, n).sign());
        t["Sin"] = (n, i, c) => One(Required(i, 0, n).sin());
        t["Cos"] = (n, i, c) => One(Required(i, 0, n).cos());
        t["Equal"] = (n, i, c) => One(Required(i, 0, n).eq(Required(i, 1, n)));
        t["Greater"] = (n, i, c) => One(Required(i, 0, n).gt(Required(i, 1, n)));
        t["GreaterOrEqual"] = (n, i, c) => One(Required(i, 0, n).ge(Required(i, 1, n)));
        t["Less"] = (n, i, c) => One(Required(i, 0, n).lt(Required(i, 1, n)));
        t["LessOrEqual"] = (n, i, c) => One(Required(i, 0, n).le(Required(i, 1, n)));
        t["Not"] = (n, i, c) => One(Required(i, 0, n).logical_not());
        t["And"] = (n, i, c) => One(Required(i, 0, n).logical_and(Required(i, 1, n)));
        t["Or"] = (n, i, c) => One(Required(i, 0, n).logical_or(Required(i, 1, n)));
        t["Where"] = (n, i, c) => One(where(Required(i, 0, n), Required(i, 1, n), Required(i, 2, n)));
        t["Max"] = (n, i, c) => One(i.Skip(1).Aggregate(Required(i, 0, n), (a, b) => a.maximum(b!)));
        t["Min"] = (n, i, c) => One(i.Skip(1).Aggregate(Required(i, 0, n), (a, b) => a.minimum(b!)));
        t["Sum"] = (n, i, c) => One(i.Skip(1).Aggregate(Required(i, 0, n), (a, b) => a + b!));
        t["Mean"] = (n, i, c) => One(i.Skip(1).Aggregate(Required(i, 0, n), (a, b) => a + b!) / i.Length);
        t["ReduceMean"] = (n, i, c) => One(Reduce(n, i, c, 18, (x, axes, keep) => x.mean(axes, keep)));
        t["ReduceSum"] = (n, i, c) => One(Reduce(n, i, c, 13, (x, axes, keep) => x.sum(axes, keep)));
        t["ReduceMax"] = (n, i, c) => One(Reduce(n, i, c, 18, (x, axes, keep) => x.amax(axes, keep)));
        t["ReduceMin"] = (n, i, c) => One(Reduce(n, i, c, 18, (x, axes, keep) => x.amin(axes, keep)));
        t["ReduceProd"] = (n, i, c) => One(Reduce(n, i, c, 18, (x, axes, keep) =>
            axes.OrderByDescending(a => a).Aggregate(x, (y, a) => y.prod(a, keep))));
        t["ReduceL2"] = (n, i, c) => One(Reduce(n, i, c, 18, (x, axes, keep) => x.square().sum(axes, keep).sqrt()));
        t["ReduceSumSquare"] = (n, i, c) => One(Reduce(n, i, c, 18, (x, axes, keep) => x.square().sum(axes, keep)));
        t["ReduceLogSumExp"] = (n, i, c) => One(Reduce(n, i, c, 18, (x, axes, keep) => axes.OrderByDescending(a => a).Aggregate(x, (y, a) => y.logsumexp(a, keep))));
        t["ArgMax"] = (n, i, c) => One(ArgReduce(n, Required(i, 0, n), max: true));
        t["ArgMin"] = (n, i, c) => One(ArgReduce(n, Required(i, 0, n), max: false));
        t["Cast"] = (n, i, c) => One(Required(i, 0, n).to_type(ElementType(n, n.Int("to", 1))));
        t["CastLike"] = (n, i, c) => One(Required(i, 0, n).to_type(Required(i, 1, n).dtype));
        t["Identity"] = (n, i, c) => One(Required(i, 0, n));
        t["Pad"] = (n, i, c) => One(PadOf(n, i, c));
        t["Resize"] = (n, i, c) => One(ResizeOf(n, Required(i, 0, n), c.Opset >= 11 ? Optional(i, 2) : Optional(i, 1), c.Opset >= 11 ? Optional(i, 3) : null));
        t["Upsample"] = (n, i, c) => One(ResizeOf(n, Required(i, 0, n), n.Floats("scales") is { } s ? tensor(s) : Optional(i, 1), null));
    }

    internal static bool IsInteger(Tensor t) => t.dtype is ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte;

    internal static ScalarType ElementType(OnnxNode n, long onnxType) => onnxType switch
    {
        1 or 10 or 11 or 16 => ScalarType.Float32,
        2 or 3 or 4 or 5 or 6 or 7 or 12 or 13 => ScalarType.Int64,
        9 => ScalarType.Bool,
        _ => throw NotSupported(n, $"element type {onnxType}"),
    };

    private static Tensor Reduce(OnnxNode n, Tensor?[] i, OnnxRunContext c, int axesInputFrom, Func<Tensor, long[], bool, Tensor> reduce)
    {
        var x = Required(i, 0, n);
        var axes = c.Opset >= axesInputFrom ? Axes(n, i, 1) : n.Ints("axes");
        bool keep = n.Int("keepdims", 1) != 0;
        if (axes is null || axes.Length == 0)
        {
            if (n.Int("noop_with_empty_axes", 0) != 0) return x;
            axes = Enumerable.Range(0, (int)x.dim()).Select(a => (long)a).ToArray();
        }
        return reduce(x, axes.Select(a => Axis(a, x.dim())).ToArray(), keep);
    }

    private static Tensor ArgReduce(OnnxNode n, Tensor x, bool max)
    {
        long axis = Axis(n.Int("axis", 0), x.dim());
        bool keep = n.Int("keepdims", 1) != 0;
        if (n.Int("select_last_index", 0) != 0) x = x.flip(axis);
        var index = max ? x.argmax(axis, keep) : x.argmin(axis, keep);
        return n.Int("select_last_index", 0) != 0 ? x.shape[axis] - 1 - index : index;
    }

    private static Tensor PadOf(OnnxNode n, Tensor?[] i, OnnxRunContext c)
    {
        var x = Required(i, 0, n);
        long[] pads = c.Opset >= 11 ? Longs(Required(i, 1, n)) : n.Ints("pads")!;
        double value = c.Opset >= 11 ? (Optional(i, 2) is { } v && v.numel() > 0 ? v.ToDouble() : 0) : n.Float("value", 0);
        long rank = x.dim();
        long[] axes = Optional(i, 3) is { } a ? Longs(a).Select(ax => Axis(ax, rank)).ToArray() : Enumerable.Range(0, (int)rank).Select(d => (long)d).ToArray();
        int k = axes.Length;
        // ONNX lists all begins then all ends, first axis first; torch lists (begin, end) pairs, last axis first.
        var list = new long[2 * rank];
        for (int j = 0; j < k; j++)
        {
            long dim = axes[j];
            list[2 * (rank - 1 - dim)] = pads[j];
            list[2 * (rank - 1 - dim) + 1] = pads[j + k];
        }
        int used = list.Length;
        while (used > 2 && list[used - 1] == 0 && list[used - 2] == 0) used -= 2;
        var torchPads = list.Take(used).ToArray();
        string mode = n.String("mode", "constant");
        if (mode == "constant") return F.pad(x, torchPads, PaddingModes.Constant, value);
        // Reflect and edge pad only spatial dimensions in torch.
        var spatial = torchPads.Take(Math.Min(torchPads.Length, 2 * ((int)rank - 2))).ToArray();
        return F.pad(x, spatial, mode == "reflect" ? PaddingModes.Reflect : mode == "edge" ? PaddingModes.Replicate : throw NotSupported(n, $"pad mode '{mode}'"));
    }

    private static Tensor ResizeOf(OnnxNode n, Tensor x, Tensor? scales, Tensor? sizes)
    {
        int spatial = (int)x.dim() - 2;
        long[] outSize;
        double[]? factors = null;
        if (sizes is not null && sizes.numel() > 0)
        {
            outSize = Longs(sizes).Skip(2).ToArray();
        }
        else
        {
            var s = scales!.to_type(ScalarType.Float64).data<double>().ToArray();
            factors = s.Skip(2).ToArray();
            outSize = x.shape.Skip(2).Select((d, k) => (long)Math.Floor(d * factors[k])).ToArray();
        }
        string mode = n.String("mode", "nearest");
        string transform = n.String("coordinate_transformation_mode", "half_pixel");
        bool alignCorners = transform == "align_corners";
        switch (mode)
        {
            case "nearest":
                string rounding = n.String("nearest_mode", "round_prefer_floor");
                InterpolationMode? nearest = (transform, rounding) switch
                {
                    ("asymmetric", "floor") => InterpolationMode.Nearest,
                    ("half_pixel" or "pytorch_half_pixel", "round_prefer_ceil") => InterpolationMode.NearestExact,
                    _ => null,
                };
                if (nearest is null) throw NotSupported(n, $"nearest resizing with {transform} coordinates and {rounding} rounding");
                return F.interpolate(x, factors is null ? outSize : null, factors, nearest.Value);
            case "linear" or "bilinear":
                if (transform is not ("half_pixel" or "pytorch_half_pixel" or "align_corners"))
                    throw NotSupported(n, $"linear resizing with {transform} coordinates");
                return F.interpolate(x, factors is null || alignCorners ? outSize : null, alignCorners ? null : factors, spatial == 1 ? InterpolationMode.Linear : spatial == 2 ? InterpolationMode.Bilinear : InterpolationMode.Trilinear, alignCorners);
            case "cubic":
                if (transform is not ("half_pixel" or "pytorch_half_pixel" or "align_corners") || n.Float("cubic_coeff_a", -0.75f) != -0.75f)
                    throw NotSupported(n, $"cubic resizing with {transform} coordinates");
                return F.interpolate(x, factors is null || alignCorners ? outSize : null, alignCorners ? null : factors, InterpolationMode.Bicubic, alignCorners);
            default:
                throw NotSupported(n, $"resize mode '{mode}'");
        }
    }
}
