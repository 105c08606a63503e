using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models;

/// <summary>
/// SqueezeNet 1.1 (Iandola et al. 2016), which TorchVision for .NET lacks. Submodule names follow torchvision
/// (<c>features.3.squeeze</c>, <c>classifier.1</c>) so its published state dicts load key for key.
/// </summary>
public sealed class SqueezeNet11 : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> features;
    private readonly Module<Tensor, Tensor> classifier;

    public SqueezeNet11(int numClasses = 1000, float dropout = 0.5f) : base("SqueezeNet")
    {
        features = Sequential(
            Conv2d(3, 64, kernel_size: 3, stride: 2),
            ReLU(inplace: true),
            MaxPool2d(kernel_size: 3, stride: 2, ceil_mode: true),
            new Fire(64, 16, 64, 64),
            new Fire(128, 16, 64, 64),
            MaxPool2d(kernel_size: 3, stride: 2, ceil_mode: true),
            new Fire(128, 32, 128, 128),
            new Fire(256, 32, 128, 128),
            MaxPool2d(kernel_size: 3, stride: 2, ceil_mode: true),
            new Fire(256, 48, 192, 192),
            new Fire(384, 48, 192, 192),
            new Fire(384, 64, 256, 256),
            new Fire(512, 64, 256, 256));
        classifier = Sequential(
            Dropout(dropout),
            Conv2d(512, numClasses, kernel_size: 1),
            ReLU(inplace: true),
            AdaptiveAvgPool2d(new long[] { 1, 1 }));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = features.call(input);
        x = classifier.call(x);
        return flatten(x, 1).MoveToOuterDisposeScope();
    }

    /// <summary>Squeeze to a few channels with 1x1 convolutions, then expand with parallel 1x1 and 3x3 ones.</summary>
    public sealed class Fire : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> squeeze;
        private readonly Module<Tensor, Tensor> squeeze_activation;
        private readonly Module<Tensor, Tensor> expand1x1;
        private readonly Module<Tensor, Tensor> expand1x1_activation;
        private readonly Module<Tensor, Tensor> expand3x3;
        private readonly Module<Tensor, Tensor> expand3x3_activation;

        public Fire(int inplanes, int squeezePlanes, int expand1x1Planes, int expand3x3Planes) : base("Fire")
        {
            squeeze = Conv2d(inplanes, squeezePlanes, kernel_size: 1);
            squeeze_activation = ReLU(inplace: true);
            expand1x1 = Conv2d(squeezePlanes, expand1x1Planes, kernel_size: 1);
            expand1x1_activation = ReLU(inplace: true);
            expand3x3 = Conv2d(squeezePlanes, expand3x3Planes, kernel_size: 3, padding: 1);
            expand3x3_activation = ReLU(inplace: true);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var s = squeeze_activation.call(squeeze.call(input));
            var output = cat(new[] { expand1x1_activation.call(expand1x1.call(s)), expand3x3_activation.call(expand3x3.call(s)) }, 1);
            return output.MoveToOuterDisposeScope();
        }
    }
}
