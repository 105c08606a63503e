using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models.Detectors;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Models.Families;

/// <summary>
/// torchvision's Faster R-CNN detectors (91 COCO categories, index 0 the background), with their constructors' settings:
/// on MobileNetV3-Large (320 and 800 pixels) and on ResNet-50.
/// The MobileNetV3-Large FPN models feed the pyramid from features 13 and 16 (both at stride 32) and pool boxes from the
/// first; BatchNorm's epsilon is torchvision's 1e-5 here (FrozenBatchNorm2d with trained weights, BatchNorm2d without).
/// Each takes the photo whole in [0, 1]: the network resizes and normalises it itself.
/// </summary>
internal sealed class FasterRcnnFamily : IModelFamily
{
    public IEnumerable<ArchitectureInfo> Architectures()
    {
        yield return MobileNet("fasterrcnn_mobilenet_v3_large_320_fpn", new RcnnSettings(320, 640, new ProposalSettings(150, 150, ScoreThreshold: 0.05),
            Enumerable.Repeat(new[] { 32, 64, 128, 256, 512 }, 3).ToList(), new[] { 0.5f, 1f, 2f }), "fasterrcnn_mobilenet_v3_large_320_fpn-907ea3f9.pth");
        yield return MobileNet("fasterrcnn_mobilenet_v3_large_fpn", new RcnnSettings(800, 1333, new ProposalSettings(1000, 1000, ScoreThreshold: 0.05),
            Enumerable.Repeat(new[] { 32, 64, 128, 256, 512 }, 3).ToList(), new[] { 0.5f, 1f, 2f }), "fasterrcnn_mobilenet_v3_large_fpn-fb6a3cc7.pth");
        // ResNet-50's layer1..layer4 (strides 4 to 32) feed the pyramid; one anchor size per level.
        var resnet = new RcnnSettings(800, 1333, new ProposalSettings(1000, 1000), new[] { 32, 64, 128, 256, 512 }.Select(s => new[] { s }).ToList(), new[] { 0.5f, 1f, 2f });
        yield return Detector("fasterrcnn_resnet50_fpn",
            n => new FasterRcnn(new BackboneWithFpn(SegmentationNetwork.DilatedResNet(TorchSharp.Modules.ResNet.ResNet50(1000)), new[] { 4, 5, 6, 7 }, new long[] { 256, 512, 1024, 2048 }), n, resnet),
            4, resnet, "fasterrcnn_resnet50_fpn_coco-258fb6c6.pth", "fasterrcnn_resnet50_fpn: Faster R-CNN on ResNet-50 with FPN, 800-pixel short side, 91 COCO categories");
        // v2: BatchNorm in the pyramid and the box head, two convolutions in the RPN head.
        yield return Detector("fasterrcnn_resnet50_fpn_v2",
            n => new FasterRcnn(new BackboneWithFpn(SegmentationNetwork.DilatedResNet(TorchSharp.Modules.ResNet.ResNet50(1000)), new[] { 4, 5, 6, 7 }, new long[] { 256, 512, 1024, 2048 }, norm: true),
                n, resnet, convHead: true),
            4, resnet, "fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth", "fasterrcnn_resnet50_fpn_v2: Faster R-CNN v2 on ResNet-50 with FPN, 800-pixel short side, 91 COCO categories");
    }

    private static ArchitectureInfo MobileNet(string name, RcnnSettings settings, string file) =>
        Detector(name, n => new FasterRcnn(new BackboneWithFpn(MobileNetFamily.LargeFeatures(dilated: false, eps: 1e-5), new[] { 13, 16 }, new long[] { 160, 960 }), n, settings),
            2, settings, file, $"{name}: Faster R-CNN on MobileNetV3-Large with FPN, {settings.MinSize}-pixel short side, 91 COCO categories");

    /// <summary>A torchvision detector's entry; <paramref name="extraLevels"/> names LastLevelP6P7's levels when it has them.</summary>
    internal static ArchitectureInfo Detector(string name, Func<int, nn.Module<Tensor, Tensor>> create, int levels, IDetectorSettings settings, string file, string description,
        bool extraLevels = false) =>
        // One FPN level by torchvision's key in the backbone's output dict: backbone.fpn.0 is the finest level's output
        // convolution. A backbone without a pyramid (SSD's, levels 0) names its levels by their modules.
        new(name, create, "backbone", file, Enumerable.Range(0, levels).Select(l => ($"backbone.fpn.{l}", $"backbone.fpn.layer_blocks.{l}"))
            .Concat(extraLevels ? new[] { ("backbone.fpn.p6", "backbone.fpn.extra_blocks.p6"), ("backbone.fpn.p7", "backbone.fpn.extra_blocks.p7") } : Array.Empty<(string, string)>())
            .ToDictionary(a => a.Item1, a => a.Item2, StringComparer.OrdinalIgnoreCase))
        {
            Family = "detection",
            Task = ModelTask.Detection,
            Detection = new Detection.TorchvisionOutput(),
            DetectionDefaults = settings.Defaults,
            DefaultClasses = ClassLabels.CocoCategories.Count,
            DefaultLabels = ClassLabels.CocoCategories,
            InputSize = settings.MinSize,
            DefaultPreprocess = new PreprocessRequest { InputSize = "Native", Normalization = HeatmapTools.Normalization.None },
            Stages = m => ((TorchvisionDetector)m).Stages(),
            ChannelsLast = false,
            Description = description,
        };
}
