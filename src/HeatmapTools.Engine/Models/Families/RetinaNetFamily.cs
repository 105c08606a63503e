using HeatmapTools.Engine.Models.Detectors;

namespace HeatmapTools.Engine.Models.Families;

/// <summary>
/// torchvision's RetinaNet detectors (91 COCO categories; every category is scored by its own sigmoid, index 0
/// included): ResNet-50's layer2..layer4 feed the pyramid, LastLevelP6P7 adds p6 and p7 from P5 (v1) or from C5 (v2,
/// whose head normalises with GroupNorm). Each takes the photo whole in [0, 1].
/// </summary>
internal sealed class RetinaNetFamily : IModelFamily
{
    public IEnumerable<ArchitectureInfo> Architectures()
    {
        var settings = new DenseSettings(800, 1333, DenseSettings.OctaveSizes(32, 64, 128, 256, 512), new[] { 0.5f, 1f, 2f },
            ScoreThreshold: 0.05, NmsThreshold: 0.5, DetectionsPerImage: 300);
        yield return Model("retinanet_resnet50_fpn", 256, false, settings, "retinanet_resnet50_fpn_coco-eeacb38b.pth");
        yield return Model("retinanet_resnet50_fpn_v2", 2048, true, settings, "retinanet_resnet50_fpn_v2_coco-5905b1c5.pth");
    }

    private static ArchitectureInfo Model(string name, long p6p7From, bool groupNorm, DenseSettings settings, string file) =>
        FasterRcnnFamily.Detector(name,
            n => new RetinaNet(ResNet50Fpn(p6p7From), n, settings, groupNorm), 3, settings, file,
            $"{name}: RetinaNet on ResNet-50 with FPN{(groupNorm ? " (GroupNorm head)" : "")}, 800-pixel short side, 91 COCO categories", extraLevels: true);

    /// <summary>ResNet-50's layer2..layer4 (strides 8 to 32) under a pyramid with LastLevelP6P7.</summary>
    internal static BackboneWithFpn ResNet50Fpn(long p6p7From) =>
        new(SegmentationNetwork.DilatedResNet(TorchSharp.Modules.ResNet.ResNet50(1000)), new[] { 5, 6, 7 }, new long[] { 512, 1024, 2048 }, p6p7From);
}
