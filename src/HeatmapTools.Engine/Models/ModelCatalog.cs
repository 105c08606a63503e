using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Models;

/// <summary>What the module knows about one architecture: how to build it and where its official weights live.</summary>
public sealed record ArchitectureInfo(
    string Name,
    Func<int, nn.Module<Tensor, Tensor>> Create,
    string DefaultLayer,
    string? OfficialFileName,
    IReadOnlyDictionary<string, string> LayerAliases)
{
    /// <summary>torchvision publishes each checkpoint with the first hex digits of its SHA-256 in the file name.</summary>
    public string? OfficialHashPrefix => OfficialFileName is null ? null : Path.GetFileNameWithoutExtension(OfficialFileName).Split('-').Last();
}

/// <summary>The architectures the module can build, by torchvision name.</summary>
public static class ModelCatalog
{
    public const string DefaultModel = "vgg16";
    public const string DownloadBaseEnvironmentVariable = "HEATMAPTOOLS_DOWNLOAD_BASE";
    public const string OfficialDownloadBase = "https://download.pytorch.org/models/";

    private static readonly IReadOnlyDictionary<string, string> NoAliases = new Dictionary<string, string>();

    // Keras's VGG16 layer names, mapped so that a Keras conv layer means "after its ReLU", as in Keras.
    private static readonly IReadOnlyDictionary<string, string> Vgg16Aliases = KerasVggAliases(new[] { 2, 2, 3, 3, 3 });
    private static readonly IReadOnlyDictionary<string, string> Vgg19Aliases = KerasVggAliases(new[] { 2, 2, 4, 4, 4 });

    private static readonly Dictionary<string, ArchitectureInfo> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        ["vgg11"] = new("vgg11", n => torchvision.models.vgg11(n), "features.19", "vgg11-8a719046.pth", NoAliases),
        ["vgg13"] = new("vgg13", n => torchvision.models.vgg13(n), "features.23", "vgg13-19584684.pth", NoAliases),
        ["vgg16"] = new("vgg16", n => torchvision.models.vgg16(n), "features.29", "vgg16-397923af.pth", Vgg16Aliases),
        ["vgg19"] = new("vgg19", n => torchvision.models.vgg19(n), "features.35", "vgg19-dcbb9e9d.pth", Vgg19Aliases),
        ["resnet18"] = new("resnet18", n => torchvision.models.resnet18(n), "layer4", "resnet18-f37072fd.pth", NoAliases),
        ["resnet34"] = new("resnet34", n => torchvision.models.resnet34(n), "layer4", "resnet34-b627a593.pth", NoAliases),
        ["resnet50"] = new("resnet50", n => torchvision.models.resnet50(n), "layer4", "resnet50-0676ba61.pth", NoAliases),
        ["resnet101"] = new("resnet101", n => torchvision.models.resnet101(n), "layer4", "resnet101-63fe2227.pth", NoAliases),
        ["resnet152"] = new("resnet152", n => torchvision.models.resnet152(n), "layer4", "resnet152-394f9c45.pth", NoAliases),
        ["squeezenet1_1"] = new("squeezenet1_1", n => new SqueezeNet11(n), "features.12", "squeezenet1_1-b8a52dc0.pth", NoAliases),
    };

    public static IReadOnlyCollection<string> Names => Known.Keys.Order().ToList();

    public static ArchitectureInfo Get(string name)
    {
        if (Known.TryGetValue(name, out var info)) return info;
        throw new HeatmapToolsException(ErrorIds.UnknownModel, "InvalidArgument",
            $"Unknown model '{name}'. Known models: {string.Join(", ", Names)}.", name);
    }

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
