using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models.Families;

/// <summary>ShuffleNet V2 (Ma et al. 2018), named as torchvision names it.</summary>
internal sealed class ShuffleNetFamily : IModelFamily
{
    public IEnumerable<ArchitectureInfo> Architectures()
    {
        yield return Info("shufflenet_v2_x0_5", new[] { 24, 48, 96, 192, 1024 }, "shufflenetv2_x0.5-f707e7126e.pth");
        yield return Info("shufflenet_v2_x1_0", new[] { 24, 116, 232, 464, 1024 }, "shufflenetv2_x1-5666bf0f80.pth");
        yield return Info("shufflenet_v2_x1_5", new[] { 24, 176, 352, 704, 1024 }, "shufflenetv2_x1_5-3c479a10.pth");
        yield return Info("shufflenet_v2_x2_0", new[] { 24, 244, 488, 976, 2048 }, "shufflenetv2_x2_0-8be3c8ee.pth");
    }

    private static ArchitectureInfo Info(string name, int[] channels, string file) =>
        new(name, n => new ShuffleNetV2(channels, n), "conv5", file, ModelCatalog.NoAliases)
        {
            Family = "shufflenet",
            Stages = m => new StageChain(m).Whole("conv1").Open("maxpool").Open("stage2").Open("stage3").Open("stage4").Whole("conv5")
                .Step("avgpool", FunctionStage.GlobalAveragePool()).Open("fc").Build(),
        };

    private sealed class ShuffleNetV2 : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> conv1, maxpool, stage2, stage3, stage4, conv5, fc;

        public ShuffleNetV2(int[] channels, int numClasses) : base("ShuffleNetV2")
        {
            conv1 = Sequential(Conv2d(3, channels[0], 3, stride: 2, padding: 1, bias: false), BatchNorm2d(channels[0]), ReLU(inplace: true));
            maxpool = MaxPool2d(3, stride: 2, padding: 1);
            var stages = new Module<Tensor, Tensor>[3];
            int input = channels[0];
            for (int s = 0; s < 3; s++)
            {
                int output = channels[s + 1];
                var units = new List<Module<Tensor, Tensor>> { new InvertedResidual(input, output, 2) };
                for (int i = 1; i < new[] { 4, 8, 4 }[s]; i++) units.Add(new InvertedResidual(output, output, 1));
                stages[s] = Sequential(units);
                input = output;
            }
            (stage2, stage3, stage4) = (stages[0], stages[1], stages[2]);
            conv5 = Sequential(Conv2d(input, channels[4], 1, bias: false), BatchNorm2d(channels[4]), ReLU(inplace: true));
            fc = Linear(channels[4], numClasses);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            var x = conv5.call(stage4.call(stage3.call(stage2.call(maxpool.call(conv1.call(input))))));
            return fc.call(x.mean(new long[] { 2, 3 }));
        }
    }

    private sealed class InvertedResidual : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> branch1;
        private readonly Module<Tensor, Tensor> branch2;
        private readonly int _stride;

        public InvertedResidual(int input, int output, int stride) : base("InvertedResidual")
        {
            _stride = stride;
            int branch = output / 2;
            branch1 = stride > 1
                ? Sequential(Conv2d(input, input, 3, stride: stride, padding: 1, groups: input, bias: false), BatchNorm2d(input),
                    Conv2d(input, branch, 1, bias: false), BatchNorm2d(branch), ReLU(inplace: true))
                : Sequential();
            branch2 = Sequential(
                Conv2d(stride > 1 ? input : branch, branch, 1, bias: false), BatchNorm2d(branch), ReLU(inplace: true),
                Conv2d(branch, branch, 3, stride: stride, padding: 1, groups: branch, bias: false), BatchNorm2d(branch),
                Conv2d(branch, branch, 1, bias: false), BatchNorm2d(branch), ReLU(inplace: true));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            Tensor output;
            if (_stride == 1)
            {
                var halves = x.chunk(2, 1);
                output = cat(new[] { halves[0], branch2.call(halves[1]) }, 1);
            }
            else
            {
                output = cat(new[] { branch1.call(x), branch2.call(x) }, 1);
            }
            // Channel shuffle with two groups.
            long b = output.shape[0], c = output.shape[1], h = output.shape[2], w = output.shape[3];
            return output.view(b, 2, c / 2, h, w).transpose(1, 2).contiguous().view(b, c, h, w);
        }
    }
}
