using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models.Families;

/// <summary>DenseNet (Huang et al. 2017, "Densely Connected Convolutional Networks"), named as torchvision names it.</summary>
internal sealed class DenseNetFamily : IModelFamily
{
    public IEnumerable<ArchitectureInfo> Architectures()
    {
        yield return Info("densenet121", 32, new[] { 6, 12, 24, 16 }, 64, "densenet121-a639ec97.pth");
        yield return Info("densenet161", 48, new[] { 6, 12, 36, 24 }, 96, "densenet161-8d451a50.pth");
        yield return Info("densenet169", 32, new[] { 6, 12, 32, 32 }, 64, "densenet169-b2777c0a.pth");
        yield return Info("densenet201", 32, new[] { 6, 12, 48, 32 }, 64, "densenet201-c1103571.pth");
    }

    // Keras's DenseNet ends in "relu", the activation after the last batch norm; torchvision applies it in forward.
    private static ArchitectureInfo Info(string name, int growth, int[] blocks, int initial, string file) =>
        new(name, n => new DenseNet(growth, blocks, initial, n), "features.norm5", file,
            new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["relu"] = "relu" })
        {
            Family = "densenet",
            Stages = m => new StageChain(m).Open("features").Step("relu", FunctionStage.ReluInPlace())
                .Step("avgpool", FunctionStage.GlobalAveragePool()).Open("classifier").Build(),
        };

    private sealed class DenseNet : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> features;
        private readonly Module<Tensor, Tensor> classifier;

        public DenseNet(int growth, int[] blockConfig, int initial, int numClasses, int bnSize = 4) : base("DenseNet")
        {
            var layers = new List<(string, Module<Tensor, Tensor>)>
            {
                ("conv0", Conv2d(3, initial, 7, stride: 2, padding: 3, bias: false)),
                ("norm0", BatchNorm2d(initial)),
                ("relu0", ReLU(inplace: true)),
                ("pool0", MaxPool2d(3, stride: 2, padding: 1)),
            };
            int channels = initial;
            for (int i = 0; i < blockConfig.Length; i++)
            {
                layers.Add(($"denseblock{i + 1}", new DenseBlock(blockConfig[i], channels, bnSize, growth)));
                channels += blockConfig[i] * growth;
                if (i != blockConfig.Length - 1)
                {
                    layers.Add(($"transition{i + 1}", Sequential(
                        ("norm", BatchNorm2d(channels)), ("relu", ReLU(inplace: true)),
                        ("conv", Conv2d(channels, channels / 2, 1, bias: false)), ("pool", AvgPool2d(2, stride: 2)))));
                    channels /= 2;
                }
            }
            layers.Add(("norm5", BatchNorm2d(channels)));
            features = Sequential(layers);
            classifier = Linear(channels, numClasses);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            var x = functional.relu(features.call(input));
            x = functional.adaptive_avg_pool2d(x, new long[] { 1, 1 }).flatten(1);
            return classifier.call(x);
        }
    }

    /// <summary>Each layer sees every earlier layer's output, concatenated.</summary>
    private sealed class DenseBlock : Module<Tensor, Tensor>
    {
        private readonly List<Module<Tensor, Tensor>> _layers = new();

        public DenseBlock(int count, int channels, int bnSize, int growth) : base("DenseBlock")
        {
            for (int i = 0; i < count; i++)
            {
                var layer = new DenseLayer(channels + i * growth, growth, bnSize);
                _layers.Add(layer);
                register_module($"denselayer{i + 1}", layer);
            }
        }

        public override Tensor forward(Tensor input)
        {
            var features = new List<Tensor> { input };
            foreach (var layer in _layers) features.Add(layer.call(cat(features.ToArray(), 1)));
            return cat(features.ToArray(), 1);
        }
    }

    private sealed class DenseLayer : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> norm1, relu1, conv1, norm2, relu2, conv2;

        public DenseLayer(int inputs, int growth, int bnSize) : base("DenseLayer")
        {
            norm1 = BatchNorm2d(inputs);
            relu1 = ReLU(inplace: true);
            conv1 = Conv2d(inputs, bnSize * growth, 1, bias: false);
            norm2 = BatchNorm2d(bnSize * growth);
            relu2 = ReLU(inplace: true);
            conv2 = Conv2d(bnSize * growth, growth, 3, padding: 1, bias: false);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) =>
            conv2.call(relu2.call(norm2.call(conv1.call(relu1.call(norm1.call(input))))));
    }
}
