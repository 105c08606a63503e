using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models.Families;

/// <summary>
/// MobileNetV2 (Sandler et al. 2018) from TorchVision for .NET, and MobileNetV3 (Howard et al. 2019, "Searching for
/// MobileNetV3") written here: TorchVision for .NET builds V3 only with a 1000-class head.
/// </summary>
internal sealed class MobileNetFamily : IModelFamily
{
    private sealed record Bneck(int In, int Kernel, int Expanded, int Out, bool Se, bool HardSwish, int Stride, int Dilation = 1);

    private static readonly Bneck[] Large =
    {
        new(16, 3, 16, 16, false, false, 1), new(16, 3, 64, 24, false, false, 2), new(24, 3, 72, 24, false, false, 1),
        new(24, 5, 72, 40, true, false, 2), new(40, 5, 120, 40, true, false, 1), new(40, 5, 120, 40, true, false, 1),
        new(40, 3, 240, 80, false, true, 2), new(80, 3, 200, 80, false, true, 1), new(80, 3, 184, 80, false, true, 1),
        new(80, 3, 184, 80, false, true, 1), new(80, 3, 480, 112, true, true, 1), new(112, 3, 672, 112, true, true, 1),
        new(112, 5, 672, 160, true, true, 2), new(160, 5, 960, 160, true, true, 1), new(160, 5, 960, 160, true, true, 1),
    };

    public IEnumerable<ArchitectureInfo> Architectures()
    {
        // torchvision's MobileNetV2 pools with a functional call in forward; Keras's MobileNetV2 ends in out_relu.
        yield return new("mobilenet_v2", n => torchvision.models.mobilenet_v2(n), "features.18", "mobilenet_v2-b0353104.pth",
            new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["out_relu"] = "features.18" })
        {
            Family = "mobilenet",
            Stages = m => new StageChain(m).Open("features").Step("avgpool", FunctionStage.GlobalAveragePool()).Open("classifier").Build(),
        };
        var small = new Bneck[]
        {
            new(16, 3, 16, 16, true, false, 2), new(16, 3, 72, 24, false, false, 2), new(24, 3, 88, 24, false, false, 1),
            new(24, 5, 96, 40, true, true, 2), new(40, 5, 240, 40, true, true, 1), new(40, 5, 240, 40, true, true, 1),
            new(40, 5, 120, 48, true, true, 1), new(48, 5, 144, 48, true, true, 1), new(48, 5, 288, 96, true, true, 2),
            new(96, 5, 576, 96, true, true, 1), new(96, 5, 576, 96, true, true, 1),
        };
        yield return V3("mobilenet_v3_large", Large, 1280, "mobilenet_v3_large-8738ca79.pth");
        yield return V3("mobilenet_v3_small", small, 1024, "mobilenet_v3_small-047dcff4.pth");
    }

    private static ArchitectureInfo V3(string name, Bneck[] setting, int lastChannel, string file) =>
        new(name, n => new MobileNetV3(setting, lastChannel, n), $"features.{setting.Length + 1}", file, ModelCatalog.NoAliases)
        {
            Family = "mobilenet",
            Stages = m => new StageChain(m).Open("features").Open("avgpool").Open("classifier").Build(),
        };

    /// <summary>
    /// MobileNetV3-Large's features (torchvision's <c>features</c>, 17 modules) as segmentation models take them: with
    /// <paramref name="dilated"/>, the last stage keeps its resolution and dilates its depthwise convolutions by 2.
    /// </summary>
    /// <param name="eps">BatchNorm's epsilon: MobileNetV3's own 0.001, or 1e-5 where a detector passes its norm layer.</param>
    /// <param name="reducedTail">The last three blocks at half their channels (torchvision's reduced_tail, SSDlite's).</param>
    internal static Sequential LargeFeatures(bool dilated, double eps = 0.001, bool reducedTail = false)
    {
        // The last three blocks (C5): torchvision's _mobilenet_v3_conf(dilated=True).
        var setting = Large.Select((c, i) => dilated && i >= Large.Length - 3 ? c with { Dilation = 2 } : c).ToArray();
        if (reducedTail)
            for (int i = setting.Length - 3; i < setting.Length; i++)
                setting[i] = setting[i] with { In = i == setting.Length - 3 ? setting[i].In : setting[i].In / 2, Expanded = i == setting.Length - 3 ? setting[i].Expanded : setting[i].Expanded / 2, Out = setting[i].Out / 2 };
        return MobileNetV3.Features(setting, eps);
    }

    private sealed class MobileNetV3 : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> features;
        private readonly Module<Tensor, Tensor> avgpool;
        private readonly Module<Tensor, Tensor> classifier;

        public MobileNetV3(Bneck[] setting, int lastChannel, int numClasses) : base("MobileNetV3")
        {
            features = Features(setting);
            int lastOut = 6 * setting[^1].Out;
            avgpool = AdaptiveAvgPool2d(1);
            classifier = Sequential(Linear(lastOut, lastChannel), Hardswish(), Dropout(0.2), Linear(lastChannel, numClasses));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => classifier.call(avgpool.call(features.call(input)).flatten(1));

        internal static Sequential Features(Bneck[] setting, double eps = 0.001)
        {
            var norm = Blocks.BatchNorm(eps);
            var layers = new List<Module<Tensor, Tensor>> { Blocks.ConvNormAct(3, setting[0].In, 3, stride: 2, norm: norm, activation: () => Hardswish()) };
            layers.AddRange(setting.Select(c => (Module<Tensor, Tensor>)new InvertedResidual(c, norm)));
            int lastIn = setting[^1].Out;
            layers.Add(Blocks.ConvNormAct(lastIn, 6 * lastIn, 1, norm: norm, activation: () => Hardswish()));
            return Sequential(layers);
        }
    }

    private sealed class InvertedResidual : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> block;
        private readonly bool _residual;

        public InvertedResidual(Bneck c, Func<long, Module<Tensor, Tensor>> norm) : base("InvertedResidual")
        {
            _residual = c.Stride == 1 && c.In == c.Out;
            Func<Module<Tensor, Tensor>> activation = c.HardSwish ? () => Hardswish() : () => ReLU();
            var layers = new List<Module<Tensor, Tensor>>();
            if (c.Expanded != c.In) layers.Add(Blocks.ConvNormAct(c.In, c.Expanded, 1, norm: norm, activation: activation));
            // A dilated block keeps its resolution: torchvision sets its stride to 1.
            int stride = c.Dilation > 1 ? 1 : c.Stride;
            layers.Add(Blocks.ConvNormAct(c.Expanded, c.Expanded, c.Kernel, stride: stride, groups: c.Expanded, norm: norm, activation: activation, dilation: c.Dilation));
            if (c.Se) layers.Add(new SqueezeExcitation(c.Expanded, Blocks.MakeDivisible(c.Expanded / 4, 8), scaleActivation: () => Hardsigmoid()));
            layers.Add(Blocks.ConvNormAct(c.Expanded, c.Out, 1, norm: norm));
            block = Sequential(layers);
            RegisterComponents();
        }

        // In place, as torchvision's `result += input`: a hook inside the block sees the sum, as in PyTorch.
        public override Tensor forward(Tensor input) => _residual ? block.call(input).add_(input) : block.call(input);
    }
}
