using HeatmapTools.Engine.Models.Detectors;

namespace HeatmapTools.Engine.Models.Families;

/// <summary>
/// torchvision's SSDlite detector (91 COCO categories, index 0 the background): MobileNetV3-Large with its tail at half
/// width (torchvision's reduced_tail whenever no ImageNet backbone is given, the COCO checkpoint's case too), BatchNorm's
/// epsilon 0.001, every photo stretched to 320 x 320 with pixels in [-1, 1]; six default boxes a location over six levels
/// (scales 0.2 to 0.95, aspect ratios 2 and 3). Layers: <c>backbone</c> (the six levels joined at the finest's 20 x 20),
/// one level by its module (<c>backbone.features.0</c>, <c>backbone.features.1</c>, <c>backbone.extra.0</c>...).
/// </summary>
internal sealed class SsdFamily : IModelFamily
{
    public IEnumerable<ArchitectureInfo> Architectures()
    {
        var settings = new SsdSettings(320, new[] { 2.0, 3.0 }, MinRatio: 0.2, MaxRatio: 0.95);
        // C4, the last block of stride 2, is features.13 of MobileNetV3-Large.
        yield return FasterRcnnFamily.Detector("ssdlite320_mobilenet_v3_large",
            n => new SsdLite(new SsdLiteBackbone(MobileNetFamily.LargeFeatures(dilated: false, reducedTail: true), 13, new long[] { 512, 256, 256, 128 }), n, settings),
            0, settings, "ssdlite320_mobilenet_v3_large_coco-a79551df.pth",
            "ssdlite320_mobilenet_v3_large: SSDlite on MobileNetV3-Large, 320 x 320, 91 COCO categories");
    }
}
