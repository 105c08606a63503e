using HeatmapTools.Engine.Models.Detectors;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Models.Families;

/// <summary>
/// torchvision's SSD detectors (91 COCO categories, index 0 the background), each photo stretched to its square:
/// SSD300 on VGG-16 (300 pixels, 0-255 pixels less the ImageNet mean, default boxes at fixed steps and scales 0.07 to
/// 1.05) and SSDlite on MobileNetV3-Large (320 pixels in [-1, 1]; its tail at half width, torchvision's reduced_tail
/// whenever no ImageNet backbone is given, the COCO checkpoint's case too; BatchNorm's epsilon 0.001; scales 0.2 to
/// 0.95, aspect ratios 2 and 3 at every level). Layers: <c>backbone</c> (the six levels joined at the finest's size),
/// one level by its module (<c>backbone.features</c>, <c>backbone.extra.0</c>..., SSDlite's <c>backbone.features.0</c>...).
/// </summary>
internal sealed class SsdFamily : IModelFamily
{
    public IEnumerable<ArchitectureInfo> Architectures()
    {
        var vggRatios = new[] { new[] { 2.0 }, new[] { 2.0, 3.0 }, new[] { 2.0, 3.0 }, new[] { 2.0, 3.0 }, new[] { 2.0 }, new[] { 2.0 } };
        var ssd300 = new SsdSettings(300, vggRatios, new[] { 0.07, 0.15, 0.33, 0.51, 0.69, 0.87, 1.05 }, new[] { 8, 16, 32, 64, 100, 300 },
            new[] { 0.48235f, 0.45882f, 0.40784f }, Enumerable.Repeat((float)(1.0 / 255.0), 3).ToArray(),
            ScoreThreshold: 0.01, NmsThreshold: 0.45, DetectionsPerImage: 200, TopCandidates: 400);
        yield return FasterRcnnFamily.Detector("ssd300_vgg16",
            n => new Ssd(new SsdVggBackbone(), new SsdHead("SSDHead", SsdVggBackbone.Channels, vggRatios.Select(DefaultBoxes.PerLocation).ToArray(), n,
                (c, outputs) => nn.Conv2d(c, outputs, 3, padding: 1)), ssd300),
            0, ssd300, "ssd300_vgg16_coco-b556d3b4.pth", "ssd300_vgg16: SSD300 on VGG-16, 300 x 300, 91 COCO categories");

        var liteRatios = Enumerable.Repeat(new[] { 2.0, 3.0 }, 6).ToArray();
        var lite = new SsdSettings(320, liteRatios, DefaultBoxes.Spread(6, 0.2, 0.95), null, new[] { 0.5f, 0.5f, 0.5f }, new[] { 0.5f, 0.5f, 0.5f },
            ScoreThreshold: 0.001, NmsThreshold: 0.55, DetectionsPerImage: 300, TopCandidates: 300);
        // C4, the last block of stride 2, is features.13 of MobileNetV3-Large.
        yield return FasterRcnnFamily.Detector("ssdlite320_mobilenet_v3_large",
            n =>
            {
                var backbone = new SsdLiteBackbone(MobileNetFamily.LargeFeatures(dilated: false, reducedTail: true), 13, new long[] { 512, 256, 256, 128 });
                return new Ssd(backbone, new SsdHead("SSDLiteHead", backbone.Channels, liteRatios.Select(DefaultBoxes.PerLocation).ToArray(), n,
                    (c, outputs) => nn.Sequential(("0", Blocks.ConvNormAct(c, c, 3, groups: c, norm: Blocks.BatchNorm(0.001), activation: () => nn.ReLU6())),
                        ("1", nn.Conv2d(c, outputs, 1)))), lite);
            },
            0, lite, "ssdlite320_mobilenet_v3_large_coco-a79551df.pth",
            "ssdlite320_mobilenet_v3_large: SSDlite on MobileNetV3-Large, 320 x 320, 91 COCO categories");
    }
}
