using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models.Families;

/// <summary>
/// RegNet X and Y (Radosavovic et al. 2020, "Designing Network Design Spaces"), with torchvision's stage widths:
/// the quantised linear width rule computed in float32 as torchvision computes it, then the group-width adjustment.
/// </summary>
internal sealed class RegNetFamily : IModelFamily
{
    private sealed record Config(int Depth, int W0, double Wa, double Wm, int GroupWidth, double? SeRatio);

    public IEnumerable<ArchitectureInfo> Architectures()
    {
        yield return Info("regnet_y_400mf", new(16, 48, 27.89, 2.09, 8, 0.25), "regnet_y_400mf-c65dace8.pth");
        yield return Info("regnet_y_800mf", new(14, 56, 38.84, 2.4, 16, 0.25), "regnet_y_800mf-1b27b58c.pth");
        yield return Info("regnet_y_1_6gf", new(27, 48, 20.71, 2.65, 24, 0.25), "regnet_y_1_6gf-b11a554e.pth");
        yield return Info("regnet_y_3_2gf", new(21, 80, 42.63, 2.66, 24, 0.25), "regnet_y_3_2gf-b5a9779c.pth");
        yield return Info("regnet_y_8gf", new(17, 192, 76.82, 2.19, 56, 0.25), "regnet_y_8gf-d0d0e4a8.pth");
        yield return Info("regnet_y_16gf", new(18, 200, 106.23, 2.48, 112, 0.25), "regnet_y_16gf-9e6ed7dd.pth");
        yield return Info("regnet_y_32gf", new(20, 232, 115.89, 2.53, 232, 0.25), "regnet_y_32gf-4dee3f7a.pth");
        // torchvision publishes regnet_y_128gf only with SWAG weights at 384 pixels: no ImageNet-1k checkpoint to name.
        yield return Info("regnet_y_128gf", new(27, 456, 160.83, 2.52, 264, 0.25), null);
        yield return Info("regnet_x_400mf", new(22, 24, 24.48, 2.54, 16, null), "regnet_x_400mf-adf1edd5.pth");
        yield return Info("regnet_x_800mf", new(16, 56, 35.73, 2.28, 16, null), "regnet_x_800mf-ad17e45c.pth");
        yield return Info("regnet_x_1_6gf", new(18, 80, 34.01, 2.25, 24, null), "regnet_x_1_6gf-e3633e7f.pth");
        yield return Info("regnet_x_3_2gf", new(25, 88, 26.31, 2.25, 48, null), "regnet_x_3_2gf-f342aeae.pth");
        yield return Info("regnet_x_8gf", new(23, 80, 49.56, 2.88, 120, null), "regnet_x_8gf-03ceed89.pth");
        yield return Info("regnet_x_16gf", new(22, 216, 55.59, 2.1, 128, null), "regnet_x_16gf-2007eb11.pth");
        yield return Info("regnet_x_32gf", new(23, 320, 69.86, 2.0, 168, null), "regnet_x_32gf-9d47f8d0.pth");
    }

    private static ArchitectureInfo Info(string name, Config config, string? file) =>
        new(name, n => new RegNet(config, n), "trunk_output", file, ModelCatalog.NoAliases) { Family = "regnet" };

    /// <summary>Per stage: (width, depth, group width). Float32 tensor arithmetic, as torchvision's BlockParams.from_init_params.</summary>
    internal static List<(int Width, int Depth, int GroupWidth)> StageParams(int depth, int w0, double wa, double wm, int groupWidth)
    {
        using var scope = NewDisposeScope();
        var continuous = arange(depth, ScalarType.Int64) * wa + w0;
        var capacity = round(log(continuous / w0) / Math.Log(wm));
        var widths = (round((pow(tensor((float)wm), capacity) * w0) / 8) * 8).to_type(ScalarType.Int32).data<int>().ToArray();
        var stages = new List<(int Width, int Depth)>();
        foreach (var w in widths)
        {
            if (stages.Count > 0 && stages[^1].Width == w) stages[^1] = (w, stages[^1].Depth + 1);
            else stages.Add((w, 1));
        }
        // Bottleneck multiplier 1: the group width never exceeds the stage width, which is rounded to a multiple of it.
        return stages.Select(s =>
        {
            int g = Math.Min(groupWidth, s.Width);
            return (Blocks.MakeDivisible(s.Width, g), s.Depth, g);
        }).ToList();
    }

    private sealed class RegNet : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> stem;
        private readonly Module<Tensor, Tensor> trunk_output;
        private readonly Module<Tensor, Tensor> avgpool;
        private readonly Module<Tensor, Tensor> fc;

        public RegNet(Config config, int numClasses) : base("RegNet")
        {
            stem = Blocks.ConvNormAct(3, 32, 3, stride: 2, activation: () => ReLU(inplace: true));
            int width = 32;
            var stages = new List<(string, Module<Tensor, Tensor>)>();
            var parameters = StageParams(config.Depth, config.W0, config.Wa, config.Wm, config.GroupWidth);
            for (int s = 0; s < parameters.Count; s++)
            {
                var (outWidth, depth, group) = parameters[s];
                var blocks = new List<(string, Module<Tensor, Tensor>)>();
                for (int i = 0; i < depth; i++)
                    blocks.Add(($"block{s + 1}-{i}", new ResBottleneckBlock(i == 0 ? width : outWidth, outWidth, i == 0 ? 2 : 1, group, config.SeRatio)));
                stages.Add(($"block{s + 1}", Sequential(blocks)));
                width = outWidth;
            }
            trunk_output = Sequential(stages);
            avgpool = AdaptiveAvgPool2d(1);
            fc = Linear(width, numClasses);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => fc.call(avgpool.call(trunk_output.call(stem.call(input))).flatten(1));
    }

    private sealed class ResBottleneckBlock : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor>? proj;
        private readonly Module<Tensor, Tensor> f;
        private readonly Module<Tensor, Tensor> activation;

        public ResBottleneckBlock(int widthIn, int widthOut, int stride, int groupWidth, double? seRatio) : base("ResBottleneckBlock")
        {
            if (widthIn != widthOut || stride != 1) proj = Blocks.ConvNormAct(widthIn, widthOut, 1, stride: stride);
            int groups = widthOut / groupWidth;
            var layers = new List<(string, Module<Tensor, Tensor>)>
            {
                ("a", Blocks.ConvNormAct(widthIn, widthOut, 1, activation: () => ReLU(inplace: true))),
                ("b", Blocks.ConvNormAct(widthOut, widthOut, 3, stride: stride, groups: groups, activation: () => ReLU(inplace: true))),
            };
            if (seRatio is double ratio) layers.Add(("se", new SqueezeExcitation(widthOut, (int)Math.Round(ratio * widthIn, MidpointRounding.ToEven))));
            layers.Add(("c", Blocks.ConvNormAct(widthOut, widthOut, 1)));
            f = Sequential(layers);
            activation = ReLU(inplace: true);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) =>
            activation.call((proj is null ? input : proj.call(input)) + f.call(input));
    }
}
