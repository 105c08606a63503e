using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models.Families;

/// <summary>
/// Vision Transformer (Dosovitskiy et al. 2021, "An Image is Worth 16x16 Words"), named as torchvision names it. Its
/// layers output tokens (class token, then the patch grid); a CAM folds the patch tokens back into a grid, as
/// pytorch-grad-cam's ViT example does. The default layer is the last block's ln_1, where its documentation points.
/// </summary>
internal sealed class VisionTransformerFamily : IModelFamily
{
    public IEnumerable<ArchitectureInfo> Architectures()
    {
        yield return Info("vit_b_16", 16, 12, 12, 768, 3072, "vit_b_16-c867db91.pth");
        yield return Info("vit_b_32", 32, 12, 12, 768, 3072, "vit_b_32-d86f8d99.pth");
        yield return Info("vit_l_16", 16, 24, 16, 1024, 4096, "vit_l_16-852ce7e3.pth");
        yield return Info("vit_l_32", 32, 24, 16, 1024, 4096, "vit_l_32-c7638314.pth");
    }

    private static ArchitectureInfo Info(string name, int patch, int layers, int heads, int hidden, int mlp, string file) =>
        new(name, n => new VisionTransformer(224, patch, layers, heads, hidden, mlp, n), $"encoder.layers.encoder_layer_{layers - 1}.ln_1", file, ModelCatalog.NoAliases)
        {
            Family = "vit",
            Layout = ActivationLayout.ClassTokenSequence,
            Stages = m => ((VisionTransformer)m).Stages(),
        };

    private sealed class VisionTransformer : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> conv_proj;
        private readonly Parameter class_token;
        private readonly Encoder encoder;
        private readonly Sequential heads;

        public VisionTransformer(int imageSize, int patch, int layers, int numHeads, int hidden, int mlp, int numClasses) : base("VisionTransformer")
        {
            conv_proj = Conv2d(3, hidden, patch, stride: patch);
            class_token = Parameter(zeros(1, 1, hidden));
            encoder = new Encoder((imageSize / patch) * (imageSize / patch) + 1, layers, numHeads, hidden, mlp);
            heads = Sequential(("head", Linear(hidden, numClasses)));
            RegisterComponents();
        }

        /// <summary>Patches to tokens, with the class token first and the position embedding added.</summary>
        private Tensor Tokens(Tensor x)
        {
            long n = x.shape[0], c = x.shape[1];
            x = x.reshape(n, c, -1).permute(0, 2, 1);
            x = cat(new[] { class_token.expand(n, -1, -1), x }, 1);
            return x + encoder.pos_embedding;
        }

        public IReadOnlyList<Stage> Stages()
        {
            var chain = new StageChain(this).Whole("conv_proj").Step("encoder.tokens", new FunctionStage("Tokens", Tokens)).Open("encoder.layers").Whole("encoder.ln")
                .Step("class_token", new FunctionStage("ClassToken", x => x[.., 0]));
            return chain.Open("heads").Build();
        }

        public override Tensor forward(Tensor input)
        {
            var x = Tokens(conv_proj.call(input));
            x = encoder.call(x);
            return heads.call(x[.., 0]);
        }
    }

    private sealed class Encoder : Module<Tensor, Tensor>
    {
        public readonly Parameter pos_embedding;
        private readonly Module<Tensor, Tensor> dropout;
        private readonly Module<Tensor, Tensor> layers;
        private readonly Module<Tensor, Tensor> ln;

        public Encoder(int sequence, int count, int heads, int hidden, int mlp) : base("Encoder")
        {
            pos_embedding = Parameter(empty(1, sequence, hidden).normal_(0, 0.02));
            dropout = Dropout(0);
            layers = Sequential(Enumerable.Range(0, count).Select(i => ($"encoder_layer_{i}", (Module<Tensor, Tensor>)new EncoderBlock(heads, hidden, mlp))).ToArray());
            ln = LayerNorm(hidden, eps: 1e-6);
            RegisterComponents();
        }

        // Tokens arrive with the position embedding added (see VisionTransformer.Tokens).
        public override Tensor forward(Tensor input) => ln.call(layers.call(dropout.call(input)));
    }

    private sealed class EncoderBlock : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> ln_1;
        private readonly SelfAttention self_attention;
        private readonly Module<Tensor, Tensor> dropout;
        private readonly Module<Tensor, Tensor> ln_2;
        private readonly Module<Tensor, Tensor> mlp;

        public EncoderBlock(int heads, int hidden, int mlpDim) : base("EncoderBlock")
        {
            ln_1 = LayerNorm(hidden, eps: 1e-6);
            self_attention = new SelfAttention(hidden, heads);
            dropout = Dropout(0);
            ln_2 = LayerNorm(hidden, eps: 1e-6);
            mlp = Mlp.Gelu(hidden, mlpDim, hidden);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            var x = dropout.call(self_attention.call(ln_1.call(input))) + input;
            return x + mlp.call(ln_2.call(x));
        }
    }

    /// <summary>
    /// torch.nn.MultiheadAttention's self-attention (query = key = value, batch first), with its parameter names:
    /// in_proj_weight, in_proj_bias, out_proj.
    /// </summary>
    private sealed class SelfAttention : Module<Tensor, Tensor>
    {
        private readonly Parameter in_proj_weight;
        private readonly Parameter in_proj_bias;
        private readonly Linear out_proj;
        private readonly int _heads;

        public SelfAttention(int dim, int heads) : base("MultiheadAttention")
        {
            _heads = heads;
            in_proj_weight = Parameter(empty(3 * dim, dim));
            init.xavier_uniform_(in_proj_weight);
            in_proj_bias = Parameter(zeros(3 * dim));
            out_proj = Linear(dim, dim);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            long b = x.shape[0], n = x.shape[1], c = x.shape[2], d = c / _heads;
            var qkv = functional.linear(x, in_proj_weight, in_proj_bias).reshape(b, n, 3, _heads, d).permute(2, 0, 3, 1, 4);
            var (q, k, v) = (qkv[0], qkv[1], qkv[2]);
            var attention = functional.softmax(matmul(q * (1.0 / Math.Sqrt(d)), k.transpose(-2, -1)), -1);
            var y = matmul(attention, v).transpose(1, 2).reshape(b, n, c);
            return out_proj.call(y);
        }
    }
}
