using HeatmapTools.Engine.Models.Detectors;

namespace HeatmapTools.Engine.Models.Families;

/// <summary>
/// torchvision's FCOS detector (91 COCO categories, index 0 included): RetinaNet's ResNet-50 pyramid with p6 and p7 from
/// P5, one anchor a location of the level's stride (8 to 128) whose centre and size the box distances are measured from.
/// Takes the photo whole in [0, 1].
/// </summary>
internal sealed class FcosFamily : IModelFamily
{
    public IEnumerable<ArchitectureInfo> Architectures()
    {
        var settings = new DenseSettings(800, 1333, new[] { 8, 16, 32, 64, 128 }.Select(s => new[] { s }).ToList(), new[] { 1f },
            ScoreThreshold: 0.2, NmsThreshold: 0.6, DetectionsPerImage: 100);
        yield return FasterRcnnFamily.Detector("fcos_resnet50_fpn", n => new Fcos(RetinaNetFamily.ResNet50Fpn(256), n, settings), 3, settings,
            "fcos_resnet50_fpn_coco-99b0c9b7.pth", "fcos_resnet50_fpn: FCOS on ResNet-50 with FPN, 800-pixel short side, 91 COCO categories", extraLevels: true);
    }
}
