using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models.Families;

/// <summary>
/// Swin Transformer (Liu et al. 2021, "Hierarchical Vision Transformer using Shifted Windows"), named as torchvision
/// names it. Its blocks work channels-last (B x H x W x C); a CAM turns them channels-first, as pytorch-grad-cam's
/// Swin example does. The default layer is the last block's norm1, where its documentation points.
/// </summary>
internal sealed class SwinTransformerFamily : IModelFamily
{
    public IEnumerable<ArchitectureInfo> Architectures()
    {
        yield return Info("swin_t", 96, new[] { 2, 2, 6, 2 }, new[] { 3, 6, 12, 24 }, "swin_t-704ceda3.pth");
        yield return Info("swin_s", 96, new[] { 2, 2, 18, 2 }, new[] { 3, 6, 12, 24 }, "swin_s-5e29d889.pth");
        yield return Info("swin_b", 128, new[] { 2, 2, 18, 2 }, new[] { 4, 8, 16, 32 }, "swin_b-68c6b09e.pth");
    }

    private static ArchitectureInfo Info(string name, int embed, int[] depths, int[] heads, string file) =>
        new(name, n => new SwinTransformer(embed, depths, heads, 7, n), $"features.7.{depths[^1] - 1}.norm1", file, ModelCatalog.NoAliases)
        {
            Family = "swin",
            Layout = ActivationLayout.ChannelsLast,
            Stages = m => new StageChain(m).Open("features").Open("norm").Open("permute").Open("avgpool").Open("head").Build(),
        };

    private sealed class SwinTransformer : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> features, norm, permute, avgpool, head;

        public SwinTransformer(int embed, int[] depths, int[] heads, int window, int numClasses) : base("SwinTransformer")
        {
            var layers = new List<Module<Tensor, Tensor>>
            {
                Sequential(Conv2d(3, embed, 4, stride: 4), new Permute(0, 2, 3, 1), LayerNorm(embed, eps: 1e-5)),
            };
            for (int s = 0; s < depths.Length; s++)
            {
                int dim = embed << s;
                layers.Add(Sequential(Enumerable.Range(0, depths[s])
                    .Select(i => (Module<Tensor, Tensor>)new SwinBlock(dim, heads[s], window, i % 2 == 0 ? 0 : window / 2)).ToArray()));
                if (s < depths.Length - 1) layers.Add(new PatchMerging(dim));
            }
            int features_ = embed << (depths.Length - 1);
            features = Sequential(layers);
            norm = LayerNorm(features_, eps: 1e-5);
            permute = new Permute(0, 3, 1, 2);
            avgpool = AdaptiveAvgPool2d(1);
            head = Linear(features_, numClasses);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) =>
            head.call(avgpool.call(permute.call(norm.call(features.call(input)))).flatten(1));
    }

    private sealed class PatchMerging : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> reduction;
        private readonly Module<Tensor, Tensor> norm;

        public PatchMerging(int dim) : base("PatchMerging")
        {
            reduction = Linear(4 * dim, 2 * dim, hasBias: false);
            norm = LayerNorm(4 * dim, eps: 1e-5);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            long h = x.shape[^3], w = x.shape[^2];
            x = functional.pad(x, new long[] { 0, 0, 0, w % 2, 0, h % 2 });
            var x0 = x[.., TensorIndex.Slice(0, null, 2), TensorIndex.Slice(0, null, 2), ..];
            var x1 = x[.., TensorIndex.Slice(1, null, 2), TensorIndex.Slice(0, null, 2), ..];
            var x2 = x[.., TensorIndex.Slice(0, null, 2), TensorIndex.Slice(1, null, 2), ..];
            var x3 = x[.., TensorIndex.Slice(1, null, 2), TensorIndex.Slice(1, null, 2), ..];
            return reduction.call(norm.call(cat(new[] { x0, x1, x2, x3 }, -1)));
        }
    }

    private sealed class SwinBlock : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> norm1;
        private readonly Module<Tensor, Tensor> attn;
        private readonly Module<Tensor, Tensor> norm2;
        private readonly Module<Tensor, Tensor> mlp;

        public SwinBlock(int dim, int heads, int window, int shift) : base("SwinTransformerBlock")
        {
            norm1 = LayerNorm(dim, eps: 1e-5);
            attn = new ShiftedWindowAttention(dim, window, shift, heads);
            norm2 = LayerNorm(dim, eps: 1e-5);
            mlp = Mlp.Gelu(dim, 4 * dim, dim);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            var x = input + attn.call(norm1.call(input));
            return x + mlp.call(norm2.call(x));
        }
    }

    private sealed class ShiftedWindowAttention : Module<Tensor, Tensor>
    {
        private readonly Linear qkv;
        private readonly Linear proj;
        private readonly Parameter relative_position_bias_table;
        private readonly Tensor relative_position_index;
        private readonly int _window, _shift, _heads;

        public ShiftedWindowAttention(int dim, int window, int shift, int heads) : base("ShiftedWindowAttention")
        {
            (_window, _shift, _heads) = (window, shift, heads);
            qkv = Linear(dim, 3 * dim);
            proj = Linear(dim, dim);
            relative_position_bias_table = Parameter(zeros((2 * window - 1) * (2 * window - 1), heads));
            init.trunc_normal_(relative_position_bias_table, std: 0.02);
            // Each pair of positions in a window indexes the bias table by their offset (dy, dx), both shifted to start at 0.
            var index = new long[window * window * window * window];
            int at = 0;
            for (int a = 0; a < window * window; a++)
                for (int b = 0; b < window * window; b++)
                    index[at++] = (a / window - b / window + window - 1) * (2 * window - 1) + (a % window - b % window + window - 1);
            relative_position_index = tensor(index);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            long b = input.shape[0], h = input.shape[1], w = input.shape[2], c = input.shape[3];
            int ws = _window;
            long padR = (ws - w % ws) % ws, padB = (ws - h % ws) % ws;
            var x = functional.pad(input, new long[] { 0, 0, 0, padR, 0, padB });
            long ph = x.shape[1], pw = x.shape[2];
            long shiftH = ws >= ph ? 0 : _shift, shiftW = ws >= pw ? 0 : _shift;
            bool shifted = shiftH + shiftW > 0;
            if (shifted) x = roll(x, new[] { -shiftH, -shiftW }, new long[] { 1, 2 });
            long windows = (ph / ws) * (pw / ws), n = ws * ws, d = c / _heads;
            x = x.view(b, ph / ws, ws, pw / ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(b * windows, n, c);

            var qkvOut = qkv.call(x).reshape(x.shape[0], n, 3, _heads, d).permute(2, 0, 3, 1, 4);
            var q = qkvOut[0] * Math.Pow(d, -0.5);
            var attention = matmul(q, qkvOut[1].transpose(-2, -1));
            var bias = relative_position_bias_table.index_select(0, relative_position_index).view(n, n, -1).permute(2, 0, 1).contiguous().unsqueeze(0);
            attention = attention + bias;
            if (shifted)
            {
                var mask = WindowMask(ph, pw, ws, shiftH, shiftW, windows, n);
                attention = (attention.view(b, windows, _heads, n, n) + mask.unsqueeze(1).unsqueeze(0)).view(-1, _heads, n, n);
            }
            attention = functional.softmax(attention, -1);
            x = matmul(attention, qkvOut[2]).transpose(1, 2).reshape(x.shape[0], n, c);
            x = proj.call(x);
            x = x.view(b, ph / ws, pw / ws, ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(b, ph, pw, c);
            if (shifted) x = roll(x, new[] { shiftH, shiftW }, new long[] { 1, 2 });
            return x[.., TensorIndex.Slice(0, h), TensorIndex.Slice(0, w), ..].contiguous();
        }

        /// <summary>After the cyclic shift a window holds pieces of up to four regions; tokens attend only within their own region.</summary>
        private static Tensor WindowMask(long ph, long pw, long ws, long shiftH, long shiftW, long windows, long n)
        {
            var region = new float[ph * pw];
            // torchvision's slices (0, -ws), (-ws, -shift), (-shift, None), with Python's meaning of negative bounds (and of -0).
            static (long, long)[] Slices(long length, long ws, long shift)
            {
                long At(long v) => v < 0 ? v + length : v;
                return new[] { (0L, At(-ws)), (At(-ws), At(-shift)), (At(-shift), length) };
            }
            var hSlices = Slices(ph, ws, shiftH);
            var wSlices = Slices(pw, ws, shiftW);
            int count = 0;
            foreach (var (top, bottom) in hSlices)
                foreach (var (left, right) in wSlices)
                {
                    for (long y = top; y < bottom; y++)
                        for (long x = left; x < right; x++) region[y * pw + x] = count;
                    count++;
                }
            var mask = tensor(region).view(ph / ws, ws, pw / ws, ws).permute(0, 2, 1, 3).reshape(windows, n);
            var difference = mask.unsqueeze(1) - mask.unsqueeze(2);
            return where(difference.ne(0), full_like(difference, -100f), zeros_like(difference));
        }
    }
}
