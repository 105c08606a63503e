using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models.Families;

/// <summary>
/// EfficientNet (Tan and Le 2019) and EfficientNetV2 (Tan and Le 2021), built as torchvision builds them
/// (MBConv and FusedMBConv blocks, widths rounded by _make_divisible, depths by ceil).
/// </summary>
internal sealed class EfficientNetFamily : IModelFamily
{
    private sealed record BlockConfig(bool Fused, double Expand, int Kernel, int Stride, int In, int Out, int Layers);

    public IEnumerable<ArchitectureInfo> Architectures()
    {
        // Keras's EfficientNetB0 ends in top_activation: the last 1x1 convolution after its swish, torchvision's features.8.
        var keras = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["top_activation"] = "features.8" };
        yield return V1("efficientnet_b0", 1.0, 1.0, 1e-5, "efficientnet_b0_rwightman-3dd342df.pth", keras);
        yield return V1("efficientnet_b1", 1.0, 1.1, 1e-5, "efficientnet_b1_rwightman-533bc792.pth");
        yield return V1("efficientnet_b2", 1.1, 1.2, 1e-5, "efficientnet_b2_rwightman-bcdf34b7.pth");
        yield return V1("efficientnet_b3", 1.2, 1.4, 1e-5, "efficientnet_b3_rwightman-cf984f9c.pth");
        yield return V1("efficientnet_b4", 1.4, 1.8, 1e-5, "efficientnet_b4_rwightman-7eb33cd5.pth");
        yield return V1("efficientnet_b5", 1.6, 2.2, 1e-3, "efficientnet_b5_lukemelas-b6417697.pth");
        yield return V1("efficientnet_b6", 1.8, 2.6, 1e-3, "efficientnet_b6_lukemelas-c76e70fd.pth");
        yield return V1("efficientnet_b7", 2.0, 3.1, 1e-3, "efficientnet_b7_lukemelas-dcc49843.pth");
        yield return V2("efficientnet_v2_s", "efficientnet_v2_s-dd5fe13b.pth", new BlockConfig[]
        {
            new(true, 1, 3, 1, 24, 24, 2), new(true, 4, 3, 2, 24, 48, 4), new(true, 4, 3, 2, 48, 64, 4),
            new(false, 4, 3, 2, 64, 128, 6), new(false, 6, 3, 1, 128, 160, 9), new(false, 6, 3, 2, 160, 256, 15),
        });
        yield return V2("efficientnet_v2_m", "efficientnet_v2_m-dc08266a.pth", new BlockConfig[]
        {
            new(true, 1, 3, 1, 24, 24, 3), new(true, 4, 3, 2, 24, 48, 5), new(true, 4, 3, 2, 48, 80, 5),
            new(false, 4, 3, 2, 80, 160, 7), new(false, 6, 3, 1, 160, 176, 14), new(false, 6, 3, 2, 176, 304, 18),
            new(false, 6, 3, 1, 304, 512, 5),
        });
        yield return V2("efficientnet_v2_l", "efficientnet_v2_l-59c71312.pth", new BlockConfig[]
        {
            new(true, 1, 3, 1, 32, 32, 4), new(true, 4, 3, 2, 32, 64, 7), new(true, 4, 3, 2, 64, 96, 7),
            new(false, 4, 3, 2, 96, 192, 10), new(false, 6, 3, 1, 192, 224, 19), new(false, 6, 3, 2, 224, 384, 25),
            new(false, 6, 3, 1, 384, 640, 7),
        });
    }

    private static ArchitectureInfo V1(string name, double width, double depth, double eps, string file, IReadOnlyDictionary<string, string>? aliases = null)
    {
        int W(int c) => Blocks.MakeDivisible(c * width, 8);
        int D(int n) => (int)Math.Ceiling(n * depth);
        var config = new BlockConfig[]
        {
            new(false, 1, 3, 1, W(32), W(16), D(1)), new(false, 6, 3, 2, W(16), W(24), D(2)), new(false, 6, 5, 2, W(24), W(40), D(2)),
            new(false, 6, 3, 2, W(40), W(80), D(3)), new(false, 6, 5, 1, W(80), W(112), D(3)), new(false, 6, 5, 2, W(112), W(192), D(4)),
            new(false, 6, 3, 1, W(192), W(320), D(1)),
        };
        return Info(name, config, null, eps, file, aliases);
    }

    private static ArchitectureInfo V2(string name, string file, BlockConfig[] config) => Info(name, config, 1280, 1e-3, file, null);

    private static ArchitectureInfo Info(string name, BlockConfig[] config, int? lastChannel, double eps, string file, IReadOnlyDictionary<string, string>? aliases) =>
        new(name, n => new EfficientNet(config, lastChannel, eps, n), $"features.{config.Length + 1}", file, aliases ?? ModelCatalog.NoAliases)
        {
            Family = "efficientnet",
            Stages = m => new StageChain(m).Open("features").Open("avgpool").Open("classifier").Build(),
        };

    private sealed class EfficientNet : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> features;
        private readonly Module<Tensor, Tensor> avgpool;
        private readonly Module<Tensor, Tensor> classifier;

        public EfficientNet(BlockConfig[] config, int? lastChannel, double eps, int numClasses) : base("EfficientNet")
        {
            var norm = Blocks.BatchNorm(eps);
            var layers = new List<Module<Tensor, Tensor>> { Blocks.ConvNormAct(3, config[0].In, 3, stride: 2, norm: norm, activation: () => SiLU()) };
            foreach (var stageConfig in config)
            {
                var stage = new List<Module<Tensor, Tensor>>();
                for (int i = 0; i < stageConfig.Layers; i++)
                {
                    int inChannels = i == 0 ? stageConfig.In : stageConfig.Out;
                    int stride = i == 0 ? stageConfig.Stride : 1;
                    stage.Add(stageConfig.Fused
                        ? new FusedMBConv(stageConfig.Expand, stageConfig.Kernel, stride, inChannels, stageConfig.Out, norm)
                        : new MBConv(stageConfig.Expand, stageConfig.Kernel, stride, inChannels, stageConfig.Out, norm));
                }
                layers.Add(Sequential(stage));
            }
            int lastIn = config[^1].Out, lastOut = lastChannel ?? 4 * lastIn;
            layers.Add(Blocks.ConvNormAct(lastIn, lastOut, 1, norm: norm, activation: () => SiLU()));
            features = Sequential(layers);
            avgpool = AdaptiveAvgPool2d(1);
            classifier = Sequential(Dropout(0.2), Linear(lastOut, numClasses));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => classifier.call(avgpool.call(features.call(input)).flatten(1));
    }

    /// <summary>Inverted residual: expand (1x1), depthwise, squeeze-excite, project; stochastic depth is the identity at inference.</summary>
    private sealed class MBConv : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> block;
        private readonly bool _residual;

        public MBConv(double expand, int kernel, int stride, int inChannels, int outChannels, Func<long, Module<Tensor, Tensor>> norm) : base("MBConv")
        {
            _residual = stride == 1 && inChannels == outChannels;
            int expanded = Blocks.MakeDivisible(inChannels * expand, 8);
            var layers = new List<Module<Tensor, Tensor>>();
            if (expanded != inChannels) layers.Add(Blocks.ConvNormAct(inChannels, expanded, 1, norm: norm, activation: () => SiLU()));
            layers.Add(Blocks.ConvNormAct(expanded, expanded, kernel, stride: stride, groups: expanded, norm: norm, activation: () => SiLU()));
            layers.Add(new SqueezeExcitation(expanded, Math.Max(1, inChannels / 4), () => SiLU()));
            layers.Add(Blocks.ConvNormAct(expanded, outChannels, 1, norm: norm));
            block = Sequential(layers);
            RegisterComponents();
        }

        // In place, as torchvision's `result += input`: a hook inside the block sees the sum, as in PyTorch.
        public override Tensor forward(Tensor input)
        {
            var result = block.call(input);
            return _residual ? result.add_(input) : result;
        }
    }

    /// <summary>EfficientNetV2's fused block: one full convolution replaces expand + depthwise.</summary>
    private sealed class FusedMBConv : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> block;
        private readonly bool _residual;

        public FusedMBConv(double expand, int kernel, int stride, int inChannels, int outChannels, Func<long, Module<Tensor, Tensor>> norm) : base("FusedMBConv")
        {
            _residual = stride == 1 && inChannels == outChannels;
            int expanded = Blocks.MakeDivisible(inChannels * expand, 8);
            block = expanded != inChannels
                ? Sequential(Blocks.ConvNormAct(inChannels, expanded, kernel, stride: stride, norm: norm, activation: () => SiLU()),
                    Blocks.ConvNormAct(expanded, outChannels, 1, norm: norm))
                : Sequential(Blocks.ConvNormAct(inChannels, outChannels, kernel, stride: stride, norm: norm, activation: () => SiLU()));
            RegisterComponents();
        }

        // In place, as torchvision's `result += input`: a hook inside the block sees the sum, as in PyTorch.
        public override Tensor forward(Tensor input)
        {
            var result = block.call(input);
            return _residual ? result.add_(input) : result;
        }
    }
}
