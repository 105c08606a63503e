using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Onnx;
using HeatmapTools.Engine.Prediction;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>
/// The 13 families of ../shared/reference/zoo exported to ONNX by torch.onnx.export (tests/reference/export_zoo_onnx.py,
/// run by build.ps1 -Task Test, alternating opset 17 with a dynamic batch and opset 13 with a static one): the graph
/// gives pytorch-grad-cam's logits and maps, as the built-in family does.
/// </summary>
public class OnnxZooTests
{
    private static string Folder
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("HEATMAPTOOLS_ZOO_ONNX");
            return string.IsNullOrWhiteSpace(fromEnv) ? Path.Combine(SharedData.RepoRoot, "output", "zoo-onnx") : fromEnv;
        }
    }

    [Theory]
    [MemberData(nameof(ModelZooTests.ZooModels), MemberType = typeof(ModelZooTests))]
    public void An_onnx_export_gives_pytorch_grad_cams_logits_and_maps(string name)
    {
        var zoo = ModelZooTests.Zoo(name);
        string path = Path.Combine(Folder, name + ".onnx");
        Assert.True(File.Exists(path), $"{path} is missing: run /usr/bin/python3 tests/reference/export_zoo_onnx.py ../shared {ModelZooTests.ZooWeights} {Folder}, as build.ps1 -Task Test does.");
        using var model = OnnxModels.Load(path);
        Assert.Equal(zoo.Size, model.Info.Height);
        using var bgr = Imaging.ImageReader.ReadBgr(Path.Combine(SharedData.Images, "chelsea.png"));
        var input = Imaging.Preprocessor.ToChw(bgr, Imaging.PreprocessOptions.ImageNet(size: zoo.Size));

        var expected = Npy.ReadFloat32(Path.Combine(zoo.Folder, "chelsea.logits.npy")).Data;
        var logits = Predictor.Logits(model, new[] { input }, model.Info.Shape)[0];
        // Relative to the largest logit, but never to less than 1e-3: a seeded efficientnet_b0's logits are about 1e-14,
        // where 1e-4 of them is below what float32 resolves after 80 layers and only bit-identical kernels would pass.
        // Its maps are held to pytorch-grad-cam's below.
        double scale = Math.Max(1e-3, expected.Max(Math.Abs));
        double worstLogit = expected.Zip(logits).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worstLogit <= 1e-4 * scale, $"{name}: logits differ by {worstLogit} (largest {expected.Max(Math.Abs)})");

        // DenseNet's forward applies relu in place to norm5's output: a PyTorch hook there keeps the relu's values but takes
        // gradients before it, a mix no graph (which has no in-place operations) holds. There the export is held to the
        // built-in family at the last dense block's output instead, which pytorch-grad-cam matches elsewhere.
        if (name == "densenet121")
        {
            using var builtIn = Models.ModelStore.CreateUncached(new Models.WeightsRequest(name, WeightsPath: zoo.Weights));
            foreach (var method in new[] { "GradCAM", "GradCAMPlusPlus", "LayerCAM" })
            {
                var ours = CamEngine.Compute(builtIn, new[] { new CamItem(input, zoo.Target) }, CamMethods.Get(method), builtIn.Layers("features.denseblock4"), zoo.Size, null, CancellationToken.None).Single();
                var graph = CamEngine.Compute(model, new[] { new CamItem(input, zoo.Target) }, CamMethods.Get(method), model.Layers("features.denseblock4"), model.Info.Shape, null, CancellationToken.None).Single();
                double worst = ours.Map.Zip(graph.Map).Max(p => Math.Abs(p.First - p.Second));
                Assert.True(worst <= 1e-4, $"{name} {method} at features.denseblock4: largest difference from the built-in family {worst}");
            }
            return;
        }
        foreach (var (method, file) in zoo.Maps.Where(m => m.Key is "GradCAM" or "GradCAMPlusPlus" or "LayerCAM"))
        {
            var reference = Npy.ReadFloat32(file).Data;
            var map = CamEngine.Compute(model, new[] { new CamItem(input, zoo.Target) }, CamMethods.Get(method), model.Layers(zoo.Layer), model.Info.Shape, null, CancellationToken.None).Single();
            double worst = reference.Zip(map.Map).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(worst <= 1e-4, $"{name} {method} at {zoo.Layer}: largest difference {worst}");
        }
    }
}
