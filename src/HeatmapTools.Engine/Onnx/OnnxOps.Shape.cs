using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Onnx;

public static partial class OnnxOps
{
    private static void AddShape(Dictionary<string, OnnxOperator> t)
    {
        t["Constant"] = (n, i, c) => One(ConstantOf(n));
        t["Shape"] = (n, i, c) =>
        {
            var shape = Required(i, 0, n).shape;
            long rank = shape.Length;
            long start = Math.Clamp(Axis(n.Int("start", 0), rank), 0, rank), end = Math.Clamp(Axis(n.Int("end", rank), rank), 0, rank);
            return One(tensor(shape.Skip((int)start).Take((int)Math.Max(0, end - start)).ToArray()));
        };
        t["Size"] = (n, i, c) => One(tensor(Required(i, 0, n).numel()));
        t["Reshape"] = (n, i, c) => One(ReshapeOf(n, Required(i, 0, n), Longs(Required(i, 1, n)), c));
        t["Flatten"] = (n, i, c) =>
        {
            var x = Required(i, 0, n);
            long axis = Axis(n.Int("axis", 1), x.dim());
            long outer = x.shape.Take((int)axis).Aggregate(1L, (a, b) => a * b);
            return One(x.reshape(outer, -1));
        };
        t["Transpose"] = (n, i, c) =>
        {
            var x = Required(i, 0, n);
            var perm = n.Ints("perm") ?? Enumerable.Range(0, (int)x.dim()).Reverse().Select(d => (long)d).ToArray();
            return One(x.permute(perm));
        };
        t["Concat"] = (n, i, c) => One(ConcatOf(n, i.Where(x => x is not null && !(x.dim() == 1 && x.numel() == 0)).Select(x => x!).ToArray(), c));
        t["Split"] = (n, i, c) =>
        {
            var x = Required(i, 0, n);
            long axis = Axis(n.Int("axis", 0), x.dim());
            long[] parts = (c.Opset >= 13 ? Optional(i, 1) is { } s ? Longs(s) : null : n.Ints("split"))
                ?? EvenSplit(x.shape[axis], n.Has("num_outputs") ? (int)n.Int("num_outputs", 1) : n.Outputs.Length);
            return x.split(parts, axis);
        };
        t["Slice"] = (n, i, c) => One(SliceOf(n, i, c));
        t["Gather"] = (n, i, c) =>
        {
            var x = Required(i, 0, n);
            var index = Required(i, 1, n).to_type(ScalarType.Int64);
            long axis = Axis(n.Int("axis", 0), x.dim());
            index = where(index < 0, index + x.shape[axis], index);
            if (index.dim() == 0) return One(x.select(axis, index.item<long>()));
            var picked = x.index_select(axis, index.flatten());
            var shape = x.shape.Take((int)axis).Concat(index.shape).Concat(x.shape.Skip((int)axis + 1)).ToArray();
            return One(picked.reshape(shape));
        };
        t["GatherElements"] = (n, i, c) =>
        {
            var x = Required(i, 0, n);
            return One(x.gather(Axis(n.Int("axis", 0), x.dim()), Required(i, 1, n).to_type(ScalarType.Int64)));
        };
        t["Squeeze"] = (n, i, c) =>
        {
            var x = Required(i, 0, n);
            var axes = c.Opset >= 13 ? Axes(n, i, 1) : n.Ints("axes");
            if (axes is null) return One(x.squeeze());
            foreach (var a in axes.Select(a => Axis(a, x.dim())).OrderByDescending(a => a)) x = x.squeeze(a);
            return One(x);
        };
        t["Unsqueeze"] = (n, i, c) =>
        {
            var x = Required(i, 0, n);
            var axes = (c.Opset >= 13 ? Axes(n, i, 1) : n.Ints("axes"))!;
            long rank = x.dim() + axes.Length;
            foreach (var a in axes.Select(a => Axis(a, rank)).Order()) x = x.unsqueeze(a);
            return One(x);
        };
        t["ConstantOfShape"] = (n, i, c) =>
        {
            var shape = Longs(Required(i, 0, n));
            var value = n.TensorAttribute("value") ?? tensor(new[] { 0f });
            return One(full(shape, value.flatten()[0].ToScalar(), dtype: value.dtype));
        };
        t["Expand"] = (n, i, c) =>
        {
            var x = Required(i, 0, n);
            var shape = Longs(Required(i, 1, n));
            // Expand broadcasts both ways: the result has the larger of each pair of dimensions.
            long rank = Math.Max(x.dim(), shape.Length);
            var target = new long[rank];
            for (int k = 0; k < rank; k++)
            {
                long a = k - (rank - x.dim()) >= 0 ? x.shape[k - (rank - x.dim())] : 1;
                long b = k - (rank - shape.Length) >= 0 ? shape[k - (rank - shape.Length)] : 1;
                target[k] = a == 1 ? b : a;
            }
            return One(x.expand(target));
        };
        t["Tile"] = (n, i, c) => One(Required(i, 0, n).tile(Longs(Required(i, 1, n))));
        t["Range"] = (n, i, c) =>
        {
            var start = Required(i, 0, n);
            return One(IsInteger(start)
                ? arange(start.item<long>(), Required(i, 1, n).item<long>(), Required(i, 2, n).item<long>(), dtype: ScalarType.Int64)
                : arange(start.ToDouble(), Required(i, 1, n).ToDouble(), Required(i, 2, n).ToDouble(), dtype: ScalarType.Float32));
        };
        t["ScatterND"] = (n, i, c) =>
        {
            // Swin's attention mask is written this way: a copy of the data with the indexed slices replaced (or reduced into).
            var data = Required(i, 0, n);
            var indices = Required(i, 1, n).to_type(ScalarType.Int64);
            var updates = Required(i, 2, n);
            long k = indices.shape[^1];
            var index = Enumerable.Range(0, (int)k).Select(j => indices.select(-1, j)).ToArray();
            string reduction = n.String("reduction", "none");
            return One(reduction switch
            {
                "none" => data.clone().index_put_(updates, index),
                "add" => data.clone().index_put_(updates, index, accumulate: true),
                _ => throw NotSupported(n, $"ScatterND reduction '{reduction}'"),
            });
        };
        t["NonZero"] = (n, i, c) => One(Required(i, 0, n).nonzero().t());
        t["DepthToSpace"] = (n, i, c) =>
        {
            var x = Required(i, 0, n);
            long b = n.Int("blocksize", 1), N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
            var y = n.String("mode", "DCR") == "DCR"
                ? x.reshape(N, b, b, C / (b * b), H, W).permute(0, 3, 4, 1, 5, 2)
                : x.reshape(N, C / (b * b), b, b, H, W).permute(0, 1, 4, 2, 5, 3);
            return One(y.reshape(N, C / (b * b), H * b, W * b));
        };
    }

    private static long[] EvenSplit(long length, int parts)
    {
        long each = (length + parts - 1) / parts;
        return Enumerable.Range(0, parts).Select(k => Math.Max(0, Math.Min(each, length - k * each))).ToArray();
    }

    private static Tensor ConstantOf(OnnxNode n)
    {
        if (n.TensorAttribute("value") is { } value) return value;
        if (n.Has("value_float")) return tensor(n.Float("value_float", 0));
        if (n.Floats("value_floats") is { } floats) return tensor(floats);
        if (n.Has("value_int")) return tensor(n.Int("value_int", 0));
        if (n.Ints("value_ints") is { } ints) return tensor(ints);
        throw NotSupported(n, "a constant kind other than a tensor, floats or ints");
    }

    /// <summary>
    /// ONNX Reshape: 0 copies the input's dimension (unless allowzero), -1 is inferred. A graph exported for a batch of
    /// one names that batch in its shapes; a larger batch scales the first dimension.
    /// </summary>
    private static Tensor ReshapeOf(OnnxNode n, Tensor x, long[] shape, OnnxRunContext c)
    {
        shape = (long[])shape.Clone();
        if (n.Int("allowzero", 0) == 0)
            for (int k = 0; k < shape.Length; k++)
                if (shape[k] == 0) shape[k] = x.shape[k];
        if (c.StaticBatch > 0 && c.Batch != c.StaticBatch && shape.Length > 0 && shape[0] == c.StaticBatch && !shape.Contains(-1)
            && x.numel() == shape.Aggregate(1L, (a, b) => a * b) / c.StaticBatch * c.Batch)
            shape[0] = c.Batch;
        return x.reshape(shape);
    }

    private static Tensor ConcatOf(OnnxNode n, Tensor[] parts, OnnxRunContext c)
    {
        long axis = Axis(n.Int("axis", 0), parts[0].dim());
        // In a graph exported for one image, a learned token (a class token) is concatenated to the batch as a batch of one.
        if (c.StaticBatch > 0 && axis != 0 && parts.Length > 1 && parts.All(p => p.dim() > 1))
        {
            long batch = parts.Max(p => p.shape[0]);
            if (batch > 1)
                parts = parts.Select(p => p.shape[0] == 1 ? p.expand(new[] { batch }.Concat(p.shape.Skip(1)).ToArray()) : p).ToArray();
        }
        return cat(parts, axis);
    }

    private static Tensor SliceOf(OnnxNode n, Tensor?[] i, OnnxRunContext c)
    {
        var x = Required(i, 0, n);
        long[] starts, ends, axes, steps;
        if (c.Opset >= 10)
        {
            starts = Longs(Required(i, 1, n));
            ends = Longs(Required(i, 2, n));
            axes = Optional(i, 3) is { } a ? Longs(a) : Enumerable.Range(0, starts.Length).Select(k => (long)k).ToArray();
            steps = Optional(i, 4) is { } s ? Longs(s) : Enumerable.Repeat(1L, starts.Length).ToArray();
        }
        else
        {
            starts = n.Ints("starts")!;
            ends = n.Ints("ends")!;
            axes = n.Ints("axes") ?? Enumerable.Range(0, starts.Length).Select(k => (long)k).ToArray();
            steps = Enumerable.Repeat(1L, starts.Length).ToArray();
        }
        for (int k = 0; k < starts.Length; k++)
        {
            long axis = Axis(axes[k], x.dim()), length = x.shape[axis], step = steps[k];
            long start = starts[k] < 0 ? starts[k] + length : starts[k];
            long end = ends[k] < 0 ? ends[k] + length : ends[k];
            if (step > 0)
            {
                start = Math.Clamp(start, 0, length);
                end = Math.Clamp(end, 0, length);
                if (start == 0 && end == length && step == 1) continue;
                x = x.slice(axis, start, Math.Max(start, end), step);
            }
            else
            {
                // A negative step (a reversal): flip, then slice forward.
                start = Math.Clamp(start, -1, length - 1);
                end = Math.Clamp(end, -1, length - 1);
                var flipped = x.flip(axis);
                long fs = length - 1 - start, fe = length - 1 - end;
                x = flipped.slice(axis, fs, Math.Max(fs, fe), -step);
            }
        }
        return x;
    }
}
