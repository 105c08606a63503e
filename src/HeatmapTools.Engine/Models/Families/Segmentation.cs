using static TorchSharp.torch;

namespace HeatmapTools.Engine.Models.Families;

/// <summary>
/// torchvision's semantic segmentation models: FCN (Long et al. 2015, Fully Convolutional Networks for Semantic
/// Segmentation) and DeepLabV3 (Chen et al. 2017) on dilated ResNets, DeepLabV3 and LR-ASPP on dilated MobileNetV3-Large;
/// 21 Pascal VOC categories by default, trained on images resized to 520 pixels. Their output is a map per category at
/// the input's size.
/// </summary>
internal sealed class SegmentationFamily : IModelFamily
{
    private static readonly string[] ResNetParts = { "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4" };

    public IEnumerable<ArchitectureInfo> Architectures()
    {
        yield return Segmenter("fcn_resnet50", n => new SegmentationNetwork(Backbone(50), SegmentationNetwork.FcnHead(2048, n)), "fcn_resnet50_coco-1167a1af.pth", ResNetParts);
        yield return Segmenter("fcn_resnet101", n => new SegmentationNetwork(Backbone(101), SegmentationNetwork.FcnHead(2048, n)), "fcn_resnet101_coco-7ecb50ca.pth", ResNetParts);
        yield return Segmenter("deeplabv3_resnet50", n => new SegmentationNetwork(Backbone(50), SegmentationNetwork.DeepLabHead(2048, n)), "deeplabv3_resnet50_coco-cd0a2569.pth", ResNetParts);
        yield return Segmenter("deeplabv3_resnet101", n => new SegmentationNetwork(Backbone(101), SegmentationNetwork.DeepLabHead(2048, n)), "deeplabv3_resnet101_coco-586e9e4e.pth", ResNetParts);
        // On MobileNetV3-Large's features, dilated in their last stage: its last module (960 channels) feeds the head.
        yield return Segmenter("deeplabv3_mobilenet_v3_large", n => new SegmentationNetwork(MobileNetFamily.LargeFeatures(dilated: true), SegmentationNetwork.DeepLabHead(960, n)),
            "deeplabv3_mobilenet_v3_large-fc3c493d.pth", parts: null, layer: "backbone.16");
        // LR-ASPP reads the features of module 4 (40 channels, stride 8) beside the last module's.
        yield return Segmenter("lraspp_mobilenet_v3_large", n =>
        {
            var backbone = MobileNetFamily.LargeFeatures(dilated: true);
            var head = new LrasppHead(40, 960, n);
            head.Listen((nn.Module<Tensor, Tensor>)backbone[4]);
            return new SegmentationNetwork(backbone, head);
        }, "lraspp_mobilenet_v3_large-d234d4ea.pth", parts: null, layer: "backbone.16") with { TappedStage = "backbone.4" };
    }

    private static nn.Module<Tensor, Tensor> Backbone(int depth)
    {
        var dilation = (false, true, true);
        var resnet = depth == 50 ? TorchSharp.Modules.ResNet.ResNet50(1000, replace_stride_with_dilation: dilation)
            : TorchSharp.Modules.ResNet.ResNet101(1000, replace_stride_with_dilation: dilation);
        return SegmentationNetwork.DilatedResNet(resnet);
    }

    // pytorch-grad-cam's segmentation tutorial explains backbone.layer4, the last stage before the head.
    private static ArchitectureInfo Segmenter(string name, Func<int, nn.Module<Tensor, Tensor>> create, string file, string[]? parts = null,
        string layer = "backbone.layer4") =>
        new(name, create, layer, file, ModelCatalog.NoAliases)
        {
            Family = "segmentation",
            Task = ModelTask.Segmentation,
            DefaultClasses = ClassLabels.VocCategories.Count,
            InputSize = 520,
            Stages = m => SegmentationNetwork.StagesOf(m, parts),
            IgnoredKeyPrefixes = new[] { "aux_classifier." },
            Description = $"{name}: semantic segmentation, {ClassLabels.VocCategories.Count} Pascal VOC categories",
        };
}
