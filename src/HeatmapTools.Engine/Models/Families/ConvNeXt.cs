using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models.Families;

/// <summary>ConvNeXt (Liu et al. 2022, "A ConvNet for the 2020s"), named as torchvision names it.</summary>
internal sealed class ConvNeXtFamily : IModelFamily
{
    public IEnumerable<ArchitectureInfo> Architectures()
    {
        yield return Info("convnext_tiny", new[] { 96, 192, 384, 768 }, new[] { 3, 3, 9, 3 }, "convnext_tiny-983f1562.pth");
        yield return Info("convnext_small", new[] { 96, 192, 384, 768 }, new[] { 3, 3, 27, 3 }, "convnext_small-0c510722.pth");
        yield return Info("convnext_base", new[] { 128, 256, 512, 1024 }, new[] { 3, 3, 27, 3 }, "convnext_base-6075fbad.pth");
        yield return Info("convnext_large", new[] { 192, 384, 768, 1536 }, new[] { 3, 3, 27, 3 }, "convnext_large-ea097f82.pth");
    }

    private static ArchitectureInfo Info(string name, int[] widths, int[] depths, string file) =>
        new(name, n => new ConvNeXt(widths, depths, n), "features.7", file, ModelCatalog.NoAliases)
        {
            Family = "convnext",
            Stages = m => new StageChain(m).Open("features").Open("avgpool").Open("classifier").Build(),
        };

    private sealed class ConvNeXt : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> features;
        private readonly Module<Tensor, Tensor> avgpool;
        private readonly Module<Tensor, Tensor> classifier;

        public ConvNeXt(int[] widths, int[] depths, int numClasses) : base("ConvNeXt")
        {
            var layers = new List<Module<Tensor, Tensor>>
            {
                Blocks.ConvNormAct(3, widths[0], 4, stride: 4, padding: 0, bias: true, norm: c => new LayerNorm2d(c, 1e-6)),
            };
            for (int s = 0; s < widths.Length; s++)
            {
                layers.Add(Sequential(Enumerable.Range(0, depths[s]).Select(_ => (Module<Tensor, Tensor>)new CNBlock(widths[s])).ToArray()));
                if (s < widths.Length - 1)
                    layers.Add(Sequential(new LayerNorm2d(widths[s], 1e-6), Conv2d(widths[s], widths[s + 1], 2, stride: 2)));
            }
            features = Sequential(layers);
            avgpool = AdaptiveAvgPool2d(1);
            classifier = Sequential(new LayerNorm2d(widths[^1], 1e-6), Flatten(1), Linear(widths[^1], numClasses));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => classifier.call(avgpool.call(features.call(input)));
    }

    /// <summary>Depthwise 7x7, LayerNorm, inverted MLP, scaled per channel (layer_scale); stochastic depth is the identity at inference.</summary>
    private sealed class CNBlock : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> block;
        private readonly Parameter layer_scale;

        public CNBlock(int dim) : base("CNBlock")
        {
            block = Sequential(
                Conv2d(dim, dim, 7, padding: 3, groups: dim), new Permute(0, 2, 3, 1), LayerNorm(dim, eps: 1e-6),
                Linear(dim, 4 * dim), GELU(), Linear(4 * dim, dim), new Permute(0, 3, 1, 2));
            layer_scale = Parameter(ones(dim, 1, 1) * 1e-6);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => layer_scale * block.call(input) + input;
    }
}
