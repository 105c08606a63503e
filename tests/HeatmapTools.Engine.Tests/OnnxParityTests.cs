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
        var ours = Predictor.Logits(model, new[] { input }, model.Info.Shape)[0];
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
        var ours = CamEngine.Compute(model, new[] { new CamItem(input, target) }, CamMethods.Get(methodName), model.Layers(layer), model.Info.Shape, null, CancellationToken.None).Single();
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
        var single = Predictor.Logits(model, new[] { other }, model.Info.Shape)[0];
        var batch = Predictor.Logits(model, new[] { input, other, input }, model.Info.Shape);
        var alone = Predictor.Logits(model, new[] { input }, model.Info.Shape)[0];
        for (int k = 0; k < single.Length; k++)
        {
            Assert.Equal(alone[k], batch[0][k], 4);
            Assert.Equal(single[k], batch[1][k], 4);
            Assert.Equal(alone[k], batch[2][k], 4);
        }
    }
}

/// <summary>Graphs HeatmapTools cannot run are refused when read, naming what and where.</summary>
public class OnnxRefusalTests
{
    private static string Write(Action<global::Onnx.GraphProto> build)
    {
        var graph = new global::Onnx.GraphProto { Name = "g" };
        graph.Input.Add(Value("input", 1, 3, 8, 8));
        graph.Output.Add(Value("out", 1, 3, 8, 8));
        build(graph);
        var model = new global::Onnx.ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new global::Onnx.OperatorSetIdProto { Domain = "", Version = 17 });
        string path = Path.Combine(Path.GetTempPath(), $"hmt-onnx-{Guid.NewGuid():N}.onnx");
        using (var stream = File.Create(path)) Google.Protobuf.MessageExtensions.WriteTo(model, stream);
        return path;
    }

    private static global::Onnx.NodeProto Node(string name, string op, string[] inputs, string output)
    {
        var node = new global::Onnx.NodeProto { Name = name, OpType = op };
        node.Input.Add(inputs);
        node.Output.Add(output);
        return node;
    }

    private static global::Onnx.ValueInfoProto Value(string name, params long[] dims)
    {
        var shape = new global::Onnx.TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(new global::Onnx.TensorShapeProto.Types.Dimension { DimValue = d });
        return new global::Onnx.ValueInfoProto
        {
            Name = name,
            Type = new global::Onnx.TypeProto { TensorType = new global::Onnx.TypeProto.Types.Tensor { ElemType = 1, Shape = shape } },
        };
    }

    [Fact]
    public void An_operator_it_does_not_run_is_named_with_its_node_at_load()
    {
        string path = Write(g =>
        {
            g.Node.Add(Node("/block/Relu", "Relu", new[] { "input" }, "r"));
            g.Node.Add(Node("/block/MaxRoiPool", "MaxRoiPool", new[] { "r" }, "out"));
        });
        var e = Assert.Throws<HeatmapToolsException>(() => ModelStore.Get(new WeightsRequest(path)));
        Assert.Equal(ErrorIds.OnnxOperatorUnsupported, e.ErrorId);
        Assert.Contains("MaxRoiPool", e.Message);
        Assert.Contains("/block/MaxRoiPool", e.Message);
    }

    [Fact]
    public void Keras_layer_names_of_a_tf2onnx_graph_name_their_outputs()
    {
        string path = Write(g =>
        {
            g.Node.Add(Node("model/block5_conv3/Relu", "Relu", new[] { "input" }, "model/block5_conv3/Relu:0"));
            g.Node.Add(Node("model/predictions/Sigmoid", "Sigmoid", new[] { "model/block5_conv3/Relu:0" }, "out"));
        });
        var model = ModelStore.Get(new WeightsRequest(path));
        Assert.Equal(model.CanonicalLayerName("model.block5_conv3"), model.CanonicalLayerName("block5_conv3"));
        Assert.Equal(model.CanonicalLayerName("model/block5_conv3/Relu:0"), model.CanonicalLayerName("block5_conv3"));
        Assert.NotEqual(model.CanonicalLayerName("predictions"), model.CanonicalLayerName("block5_conv3"));
    }

    [Fact]
    public void An_attribute_value_it_does_not_run_is_refused_at_load_too()
    {
        string path = Write(g =>
        {
            var resize = Node("/up/Resize", "Resize", new[] { "input", "", "scales" }, "out");
            resize.Attribute.Add(new global::Onnx.AttributeProto { Name = "mode", Type = global::Onnx.AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8("linear") });
            resize.Attribute.Add(new global::Onnx.AttributeProto { Name = "coordinate_transformation_mode", Type = global::Onnx.AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8("tf_crop_and_resize") });
            var scales = new global::Onnx.TensorProto { Name = "scales", DataType = 1 };
            scales.Dims.Add(4); scales.FloatData.Add(new[] { 1f, 1f, 1f, 1f });
            g.Initializer.Add(scales);
            g.Node.Add(resize);
        });
        var e = Assert.Throws<HeatmapToolsException>(() => ModelStore.Get(new WeightsRequest(path)));
        Assert.Equal(ErrorIds.OnnxOperatorUnsupported, e.ErrorId);
        Assert.Contains("tf_crop_and_resize", e.Message);
    }
}

/// <summary>The sanity check's cascade runs on a graph: its stages' weights are re-drawn, and the maps stop resembling the original.</summary>
public class OnnxSanityTests
{
    [Theory]
    [InlineData("onnx", "se_resnet.opset17.onnx", "se_resnet.input.npy")]
    [InlineData("detection", "tiny_yolov8.onnx", "tiny_yolov8.coffee.input.npy")]
    public void The_cascades_copy_of_a_graph_starts_as_the_graph(string data, string graph, string inputFile)
    {
        // The cascade re-draws stage after stage of a copy; a copy that did not take the graph's weights would start random,
        // and every step would compare with a random network's map.
        string folder = Path.Combine(SharedData.RepoRoot, "tests", "HeatmapTools.Engine.Tests", "TestData", data);
        var model = ModelStore.Get(new WeightsRequest(Path.Combine(folder, graph)));
        var input = Npy.ReadFloat32(Path.Combine(folder, inputFile)).Data;
        var (copy, random) = ModelStore.CopyWithRandomSource(model, 3);
        using (copy)
        using (random)
        {
            var own = Predictor.Logits(model, new[] { input }, model.Info.Shape)[0];
            double Worst(LayeredModel other) => own.Zip(Predictor.Logits(other, new[] { input }, model.Info.Shape)[0]).Max(p => Math.Abs(p.First - p.Second));
            double scale = own.Max(Math.Abs);
            // The same weights, laid out anew: equal up to float rounding.
            Assert.True(Worst(copy) <= 1e-5 * scale, $"the copy's outputs differ by {Worst(copy)}");
            Assert.True(Worst(random) > 1e-2 * scale, $"the random source's outputs differ by only {Worst(random)}");
        }
    }

    [Fact]
    public void The_cascade_redraws_a_graphs_stages_and_the_map_changes()
    {
        string folder = Path.Combine(SharedData.RepoRoot, "tests", "HeatmapTools.Engine.Tests", "TestData", "onnx");
        var model = ModelStore.Get(new WeightsRequest(Path.Combine(folder, "se_resnet.opset17.onnx")));
        var input = Npy.ReadFloat32(Path.Combine(folder, "se_resnet.input.npy")).Data;
        var cascade = Trust.SanityCheck.Cascade(model);
        Assert.Contains("fc", cascade);
        Assert.Contains(cascade, stage => stage.StartsWith("layer3.1", StringComparison.Ordinal));
        var before = Predictor.Logits(model, new[] { input }, model.Info.Shape)[0];
        var results = Trust.SanityCheck.Run(model, new[] { new CamItem(input, null) }, CamMethods.Get("GradCAM"), model.Layers(), model.Info.Shape,
            new Trust.SanityOptions { Seed = 3 }, null, CancellationToken.None);
        var steps = results.Single().Steps;
        Assert.Equal(cascade.Count, steps.Count);
        Assert.True(steps[^1].Spearman < 0.9, $"after re-drawing every stage the map still correlates {steps[^1].Spearman}");
        // The session's model is untouched.
        Assert.Equal(before, Predictor.Logits(model, new[] { input }, model.Info.Shape)[0]);
    }
}
