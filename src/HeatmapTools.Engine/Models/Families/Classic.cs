using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Models.Families;

/// <summary>VGG (Simonyan and Zisserman 2014), with and without batch norm, from TorchVision for .NET (names equal torchvision's).</summary>
internal sealed class VggFamily : IModelFamily
{
    public IEnumerable<ArchitectureInfo> Architectures()
    {
        // Keras's VGG16 layer names, mapped so that a Keras conv layer means "after its ReLU", as in Keras.
        yield return Vgg("vgg11", n => torchvision.models.vgg11(n), "features.19", "vgg11-8a719046.pth", ModelCatalog.NoAliases);
        yield return Vgg("vgg13", n => torchvision.models.vgg13(n), "features.23", "vgg13-19584684.pth", ModelCatalog.NoAliases);
        yield return Vgg("vgg16", n => torchvision.models.vgg16(n), "features.29", "vgg16-397923af.pth", KerasVggAliases(new[] { 2, 2, 3, 3, 3 }));
        yield return Vgg("vgg19", n => torchvision.models.vgg19(n), "features.35", "vgg19-dcbb9e9d.pth", KerasVggAliases(new[] { 2, 2, 4, 4, 4 }));
        // With batch norm each conv is conv, bn, relu: the last ReLU sits just before the last max pool.
        yield return Vgg("vgg11_bn", n => torchvision.models.vgg11_bn(n), "features.27", "vgg11_bn-6002323d.pth", ModelCatalog.NoAliases);
        yield return Vgg("vgg13_bn", n => torchvision.models.vgg13_bn(n), "features.33", "vgg13_bn-abd245e5.pth", ModelCatalog.NoAliases);
        yield return Vgg("vgg16_bn", n => torchvision.models.vgg16_bn(n), "features.42", "vgg16_bn-6c64b313.pth", ModelCatalog.NoAliases);
        yield return Vgg("vgg19_bn", n => torchvision.models.vgg19_bn(n), "features.51", "vgg19_bn-c79401a0.pth", ModelCatalog.NoAliases);
    }

    private static ArchitectureInfo Vgg(string name, Func<int, nn.Module<Tensor, Tensor>> create, string layer, string file, IReadOnlyDictionary<string, string> aliases) =>
        new(name, create, layer, file, aliases) { Family = "vgg" };

    private static IReadOnlyDictionary<string, string> KerasVggAliases(int[] convsPerBlock)
    {
        var aliases = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        int index = 0;
        for (int block = 0; block < convsPerBlock.Length; block++)
        {
            for (int conv = 1; conv <= convsPerBlock[block]; conv++)
            {
                aliases[$"block{block + 1}_conv{conv}"] = $"features.{index + 1}";
                index += 2;
            }
            aliases[$"block{block + 1}_pool"] = $"features.{index}";
            index++;
        }
        aliases["flatten"] = "avgpool";
        aliases["fc1"] = "classifier.1";
        aliases["fc2"] = "classifier.4";
        aliases["predictions"] = "classifier.6";
        return aliases;
    }
}

/// <summary>ResNet (He et al. 2016), ResNeXt (Xie et al. 2017) and Wide ResNet (Zagoruyko and Komodakis 2016), from TorchVision for .NET.</summary>
internal sealed class ResNetFamily : IModelFamily
{
    // Keras's ResNet50/101/152 end in conv5_block3_out: the last block's output after its ReLU, torchvision's layer4.
    private static readonly IReadOnlyDictionary<string, string> Keras = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["conv5_block3_out"] = "layer4" };

    public IEnumerable<ArchitectureInfo> Architectures()
    {
        yield return ResNet("resnet18", n => torchvision.models.resnet18(n), "resnet18-f37072fd.pth", ModelCatalog.NoAliases);
        yield return ResNet("resnet34", n => torchvision.models.resnet34(n), "resnet34-b627a593.pth", ModelCatalog.NoAliases);
        yield return ResNet("resnet50", n => torchvision.models.resnet50(n), "resnet50-0676ba61.pth", Keras);
        yield return ResNet("resnet101", n => torchvision.models.resnet101(n), "resnet101-63fe2227.pth", Keras);
        yield return ResNet("resnet152", n => torchvision.models.resnet152(n), "resnet152-394f9c45.pth", Keras);
        yield return ResNet("resnext50_32x4d", n => torchvision.models.resnext50_32x4d(n), "resnext50_32x4d-7cdf4587.pth", ModelCatalog.NoAliases);
        // TorchVision for .NET 0.107's resnext101_* build ResNet-50's [3, 4, 6, 3] blocks (the key-layout test found it):
        // they are built from its ResNet-101 with ResNeXt's groups and widths instead.
        yield return ResNet("resnext101_32x8d", n => TorchSharp.Modules.ResNet.ResNet101(n, groups: 32, width_per_group: 8), "resnext101_32x8d-8ba56ff5.pth", ModelCatalog.NoAliases);
        yield return ResNet("resnext101_64x4d", n => TorchSharp.Modules.ResNet.ResNet101(n, groups: 64, width_per_group: 4), "resnext101_64x4d-173b62eb.pth", ModelCatalog.NoAliases);
        yield return ResNet("wide_resnet50_2", n => torchvision.models.wide_resnet50_2(n), "wide_resnet50_2-95faca4d.pth", ModelCatalog.NoAliases);
        yield return ResNet("wide_resnet101_2", n => torchvision.models.wide_resnet101_2(n), "wide_resnet101_2-32ee1156.pth", ModelCatalog.NoAliases);
    }

    private static ArchitectureInfo ResNet(string name, Func<int, nn.Module<Tensor, Tensor>> create, string file, IReadOnlyDictionary<string, string> aliases) =>
        new(name, create, "layer4", file, aliases) { Family = "resnet" };
}

/// <summary>SqueezeNet 1.1 (Iandola et al. 2016), written in the engine (TorchVision for .NET lacks it).</summary>
internal sealed class SqueezeNetFamily : IModelFamily
{
    public IEnumerable<ArchitectureInfo> Architectures()
    {
        yield return new("squeezenet1_1", n => new SqueezeNet11(n), "features.12", "squeezenet1_1-b8a52dc0.pth", ModelCatalog.NoAliases) { Family = "squeezenet" };
    }
}

/// <summary>AlexNet (Krizhevsky et al. 2012), from TorchVision for .NET.</summary>
internal sealed class AlexNetFamily : IModelFamily
{
    public IEnumerable<ArchitectureInfo> Architectures()
    {
        yield return new("alexnet", n => torchvision.models.alexnet(n), "features.11", "alexnet-owt-7be5be79.pth", ModelCatalog.NoAliases) { Family = "alexnet" };
    }
}

/// <summary>GoogLeNet (Szegedy et al. 2015) and Inception v3 (Szegedy et al. 2016), from TorchVision for .NET, their auxiliary heads never run.</summary>
internal sealed class InceptionFamily : IModelFamily
{
    public IEnumerable<ArchitectureInfo> Architectures()
    {
        yield return new("googlenet", n => torchvision.models.googlenet(num_classes: n, transform_input: false), "inception5b", "googlenet-1378be20.pth", ModelCatalog.NoAliases)
        {
            Family = "inception",
            Stages = m => Children(m),
            IgnoredKeyPrefixes = new[] { "aux1.", "aux2." },
            OfficialInputTransform = ModelCatalog.TransformInput,
        };
        yield return new("inception_v3", n => torchvision.models.inception_v3(num_classes: n, transform_input: false), "Mixed_7c", "inception_v3_google-0cc3c7bd.pth",
            new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["mixed10"] = "Mixed_7c" })
        {
            Family = "inception",
            InputSize = 299,
            Stages = m => Children(m),
            IgnoredKeyPrefixes = new[] { "AuxLogits." },
            OfficialInputTransform = ModelCatalog.TransformInput,
        };
    }

    // Every child in order as one stage (the BasicConv2d blocks stay whole), the auxiliary head left out.
    private static IReadOnlyList<Stage> Children(nn.Module m)
    {
        var chain = new StageChain(m);
        foreach (var (name, _) in m.named_children())
            if (name is not ("AuxLogits" or "aux1" or "aux2")) chain.Whole(name);
        return chain.Build();
    }
}
