using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models.Families;

/// <summary>MNASNet B1 (Tan et al. 2019), named as torchvision names it (version 2 of its layout).</summary>
internal sealed class MnasNetFamily : IModelFamily
{
    public IEnumerable<ArchitectureInfo> Architectures()
    {
        yield return Info("mnasnet0_5", 0.5, "mnasnet0.5_top1_67.823-3ffadce67e.pth");
        yield return Info("mnasnet0_75", 0.75, "mnasnet0_75-7090bc5f.pth");
        yield return Info("mnasnet1_0", 1.0, "mnasnet1.0_top1_73.512-f206786ef8.pth");
        yield return Info("mnasnet1_3", 1.3, "mnasnet1_3-a4c69d6f.pth");
    }

    private static ArchitectureInfo Info(string name, double alpha, string file) =>
        new(name, n => new MnasNet(alpha, n), "layers.16", file, ModelCatalog.NoAliases)
        {
            Family = "mnasnet",
            Stages = m => new StageChain(m).Open("layers").Step("avgpool", FunctionStage.GlobalAveragePool()).Open("classifier").Build(),
        };

    // torchvision's _round_to_multiple_of with its 0.9 bias.
    private static int RoundTo8(double value)
    {
        int rounded = Math.Max(8, (int)(value + 4) / 8 * 8);
        return rounded >= 0.9 * value ? rounded : rounded + 8;
    }

    private sealed class MnasNet : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> layers;
        private readonly Module<Tensor, Tensor> classifier;

        public MnasNet(double alpha, int numClasses) : base("MNASNet")
        {
            var d = new[] { 32, 16, 24, 40, 80, 96, 192, 320 }.Select(v => RoundTo8(v * alpha)).ToArray();
            const double momentum = 1 - 0.9997;
            Module<Tensor, Tensor> Bn(int c) => BatchNorm2d(c, momentum: momentum);
            layers = Sequential(
                Conv2d(3, d[0], 3, stride: 2, padding: 1, bias: false), Bn(d[0]), ReLU(inplace: true),
                Conv2d(d[0], d[0], 3, padding: 1, groups: d[0], bias: false), Bn(d[0]), ReLU(inplace: true),
                Conv2d(d[0], d[1], 1, bias: false), Bn(d[1]),
                Stack(d[1], d[2], 3, 2, 3, 3), Stack(d[2], d[3], 5, 2, 3, 3), Stack(d[3], d[4], 5, 2, 6, 3),
                Stack(d[4], d[5], 3, 1, 6, 2), Stack(d[5], d[6], 5, 2, 6, 4), Stack(d[6], d[7], 3, 1, 6, 1),
                Conv2d(d[7], 1280, 1, bias: false), Bn(1280), ReLU(inplace: true));
            classifier = Sequential(Dropout(0.2), Linear(1280, numClasses));
            RegisterComponents();
        }

        private static Module<Tensor, Tensor> Stack(int input, int output, int kernel, int stride, int expansion, int repeats) =>
            Sequential(Enumerable.Range(0, repeats).Select(i => (Module<Tensor, Tensor>)new InvertedResidual(i == 0 ? input : output, output, kernel, i == 0 ? stride : 1, expansion)).ToArray());

        public override Tensor forward(Tensor input) => classifier.call(layers.call(input).mean(new long[] { 2, 3 }));
    }

    private sealed class InvertedResidual : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> layers;
        private readonly bool _residual;

        public InvertedResidual(int input, int output, int kernel, int stride, int expansion) : base("InvertedResidual")
        {
            int mid = input * expansion;
            _residual = input == output && stride == 1;
            const double momentum = 1 - 0.9997;
            layers = Sequential(
                Conv2d(input, mid, 1, bias: false), BatchNorm2d(mid, momentum: momentum), ReLU(inplace: true),
                Conv2d(mid, mid, kernel, stride: stride, padding: kernel / 2, groups: mid, bias: false), BatchNorm2d(mid, momentum: momentum), ReLU(inplace: true),
                Conv2d(mid, output, 1, bias: false), BatchNorm2d(output, momentum: momentum));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => _residual ? layers.call(input) + input : layers.call(input);
    }
}
