using System.Text.Json;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>
/// ONNX graphs of six architectures that are not torchvision's, exported by torch 1.13 at opsets 13 (static batch) and
/// 17 (dynamic batch), against PyTorch's logits and pytorch-grad-cam's maps of the same modules
/// (tests/reference/make_onnx_references.py wrote both).
/// </summary>
public class OnnxParityTests
{
    private static string Folder => Path.Combine(SharedData.RepoRoot, "tests", "HeatmapTools.Engine.Tests", "TestData", "onnx");

    private static JsonElement Manifest(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "manifest.json")));
        return doc.RootElement.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == name).Clone();
    }

    public static IEnumerable<object[]> Graphs()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "manifest.json")));
        foreach (var m in doc.RootElement.GetProperty("models").EnumerateArray())
            foreach (var opset in new[] { 13, 17 })
                yield return new object[] { m.GetProperty("name").GetString()!, opset };
    }

    public static IEnumerable<object[]> Maps()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "manifest.json")));
        foreach (var m in doc.RootElement.GetProperty("models").EnumerateArray())
            foreach (var map in m.GetProperty("maps").EnumerateArray())
                foreach (var opset in new[] { 13, 17 })
                    yield return new object[] { m.GetProperty("name").GetString()!, opset, map.GetProperty("layer").GetString()!, map.GetProperty("method").GetString()! };
    }

    private static LayeredModel Load(string name, int opset) => ModelStore.Get(new WeightsRequest(Path.Combine(Folder, $"{name}.opset{opset}.onnx")));

    [Theory]
    [MemberData(nameof(Graphs))]
    public void Logits_equal_pytorchs(string name, int opset)
    {
        var model = Load(name, opset);
        var m = Manifest(name);
        Assert.Equal(m.GetProperty("channels").GetInt32(), model.Info.InputChannels);
        Assert.Equal(m.GetProperty("height").GetInt32(), model.Info.Height);
        Assert.Equal(m.GetProperty("width").GetInt32(), model.Info.Width);
        var input = Npy.ReadFloat32(Path.Combine(Folder, name + ".input.npy")).Data;
        var expected = Npy.ReadFloat32(Path.Combine(Folder, name + ".logits.npy")).Data;
        var ours = Predictor.Logits(model, new[] { input }, model.Info.InputSize)[0];
        Assert.Equal(expected.Length, ours.Length);
        double scale = Math.Max(1e-3, expected.Max(Math.Abs));
        for (int k = 0; k < expected.Length; k++)
            Assert.True(Math.Abs(expected[k] - ours[k]) <= 1e-4 * scale, $"{name} opset {opset} logit {k}: PyTorch {expected[k]}, ours {ours[k]}");
    }

    [Theory]
    [MemberData(nameof(Maps))]
    public void Maps_equal_pytorch_grad_cams(string name, int opset, string layer, string methodName)
    {
        var model = Load(name, opset);
        var input = Npy.ReadFloat32(Path.Combine(Folder, name + ".input.npy")).Data;
        var expected = Npy.ReadFloat32(Path.Combine(Folder, $"{name}.{layer}.{methodName}.npy"));
        int target = Manifest(name).GetProperty("target").GetInt32();
        var ours = CamEngine.Compute(model, new[] { new CamItem(input, target) }, CamMethods.Get(methodName), new[] { layer }, model.Info.InputSize, null, CancellationToken.None).Single();
        Assert.Equal(expected.Shape[0], ours.Height);
        Assert.Equal(expected.Shape[1], ours.Width);
        double worst = expected.Data.Zip(ours.Map).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst <= 1e-4, $"{name} opset {opset} {layer} {methodName}: largest difference {worst}");
    }

    [Theory]
    [InlineData("se_resnet", "layer3")]
    [InlineData("unet_classifier", "dec1")]
    [InlineData("xray_net", "features")]
    [InlineData("mobile_hs", "features")]
    [InlineData("tiny_vit", "blocks.2.norm1")]
    [InlineData("keras_like", "block3")]
    public void Default_layer_is_the_last_map_before_pooling_or_the_last_blocks_first_norm(string name, string expected)
    {
        foreach (var opset in new[] { 13, 17 })
        {
            var model = Load(name, opset);
            Assert.Equal(model.CanonicalLayerName(expected), model.CanonicalLayerName(model.Info.DefaultLayer));
        }
    }

    [Theory]
    [InlineData("se_resnet", 13)]
    [InlineData("tiny_vit", 13)]
    [InlineData("tiny_vit", 17)]
    [InlineData("keras_like", 13)]
    public void A_batch_gives_each_image_its_own_logits(string name, int opset)
    {
        var model = Load(name, opset);
        var input = Npy.ReadFloat32(Path.Combine(Folder, name + ".input.npy")).Data;
        var other = input.Select((v, k) => k % 7 == 0 ? -v : v * 0.5f).ToArray();
        var single = Predictor.Logits(model, new[] { other }, model.Info.InputSize)[0];
        var batch = Predictor.Logits(model, new[] { input, other, input }, model.Info.InputSize);
        var alone = Predictor.Logits(model, new[] { input }, model.Info.InputSize)[0];
        for (int k = 0; k < single.Length; k++)
        {
            Assert.Equal(alone[k], batch[0][k], 4);
            Assert.Equal(single[k], batch[1][k], 4);
            Assert.Equal(alone[k], batch[2][k], 4);
        }
    }
}
