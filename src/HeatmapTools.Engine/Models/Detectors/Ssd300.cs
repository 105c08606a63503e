using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models.Detectors;

/// <summary>
/// torchvision's SSDFeatureExtractorVGG for SSD300 (Liu et al. 2016, Fig. 2): VGG-16's features up to conv4_3 (the
/// third max pool rounding up, so 300 pixels give 38), that level L2-normalised per location and scaled by a learnt
/// weight per channel (scale_weight); then conv5 with a 3 x 3 max pool of stride 1 and the fully connected layers as
/// convolutions (fc6 dilated by 6, fc7 1 x 1), and four extra blocks (a 1 x 1 and a 3 x 3, the first two of stride 2).
/// Six levels: 38, 19, 10, 5, 3 and 1 pixels a side at 300, packed as <see cref="PackedLevels"/> lays them out.
/// </summary>
internal sealed class SsdVggBackbone : Module<Tensor, Tensor>, ILevelChain
{
    private readonly Sequential features;
    private readonly Parameter scale_weight;
    private readonly ModuleList<Module<Tensor, Tensor>> extra = new();

    public SsdVggBackbone() : base("SSDFeatureExtractorVGG")
    {
        // VGG-16 (configuration D) by torchvision's indices: a convolution and its ReLU, or a max pool.
        var layers = new List<Module<Tensor, Tensor>>();
        long channels = 3;
        int pools = 0;
        foreach (int width in new[] { 64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512 })
        {
            if (width == 0)
            {
                layers.Add(MaxPool2d(2, 2, ceil_mode: ++pools == 3));
                continue;
            }
            layers.Add(Conv2d(channels, width, 3, padding: 1));
            layers.Add(ReLU());
            channels = width;
        }
        features = Sequential(layers.Take(23));
        scale_weight = Parameter(ones(512) * 20);
        var fc = Sequential(MaxPool2d(3, 1, 1), Conv2d(512, 1024, 3, padding: 6, dilation: 6), ReLU(), Conv2d(1024, 1024, 1), ReLU());
        extra.Add(Sequential(layers.Skip(23).Append(fc)));
        foreach (var (input, middle, output, stride, padding) in new[] { (1024L, 256L, 512L, 2L, 1L), (512, 128, 256, 2, 1), (256, 128, 256, 1, 0), (256, 128, 256, 1, 0) })
            extra.Add(Sequential(Conv2d(input, middle, 1), ReLU(), Conv2d(middle, output, 3, stride: stride, padding: padding), ReLU()));
        RegisterComponents();
    }

    /// <summary>The levels' channels, finest first.</summary>
    public static long[] Channels => new long[] { 512, 1024, 512, 256, 256, 256 };

    public override Tensor forward(Tensor input)
    {
        var x = features.call(input);
        var levels = new List<Tensor> { Rescaled(x) };
        foreach (var block in extra)
        {
            // The first extra block reads conv4_3 itself, not its rescaled level; the rest read the level before.
            x = block.call(levels.Count == 1 ? x : PackedLevels.Cut(x));
            levels.Add(x);
        }
        return PackedLevels.Pack(levels);
    }

    /// <summary>F.normalize over the channels (eps 1e-12), times scale_weight.</summary>
    private Tensor Rescaled(Tensor x) => scale_weight.view(1, -1, 1, 1) * functional.normalize(x, p: 2, dim: 1, eps: 1e-12);

    // Levels 2..5 are computed from the level before; level 1 from conv4_3 before its rescaling, which is no level.
    public int? ParentOf(int level) => level >= 2 ? level - 1 : null;

    public Tensor Derive(int level, Tensor parent) => extra[level - 1].call(parent);
}
