using HeatmapTools.Engine.Models;
using Xunit;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Tests;

/// <summary>
/// TorchSharp puts a Parameter in the dispose scope its data was made in: a network constructed while the calling
/// thread has a scope open would lose its weights when that scope ends, under whoever runs the cached model then
/// (an invalid handle on this thread; a use after free on another thread mid-forward, which ends the process).
/// </summary>
public class ModelLifetimeTests
{
    private static float Sum(LayeredModel model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return model.Logits(ones(1, model.Info.InputChannels, model.Info.Height, model.Info.Width)).sum().item<float>();
    }

    [Theory]
    [InlineData("squeezenet1_1")]
    [InlineData("swin_t")]
    [InlineData("fasterrcnn_mobilenet_v3_large_320_fpn")]
    public void A_model_first_built_inside_a_callers_dispose_scope_keeps_its_weights_after_it(string name)
    {
        // A seed no other test asks for: the model is built here, inside the scope.
        var request = new WeightsRequest(name, Random: true, Seed: 424242, NumClasses: name.StartsWith("faster") ? 91 : 1000);
        LayeredModel model;
        using (NewDisposeScope()) model = ModelStore.Get(request);
        Assert.True(float.IsFinite(Sum(model)));
    }

    [Fact]
    public void An_onnx_graph_first_read_inside_a_callers_dispose_scope_keeps_its_weights_after_it()
    {
        // A copy of its own: the graph is read here, inside the scope, not found in the session's cache.
        string path = Path.Combine(Path.GetTempPath(), $"hmt-lifetime-{Guid.NewGuid():N}.onnx");
        File.Copy(Path.Combine(SharedData.RepoRoot, "tests", "HeatmapTools.Engine.Tests", "TestData", "onnx", "keras_like.opset13.onnx"), path);
        try
        {
            LayeredModel model;
            using (NewDisposeScope()) model = ModelStore.Get(new WeightsRequest(path));
            Assert.True(float.IsFinite(Sum(model)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_sanity_checks_copies_made_inside_a_scope_keep_their_weights_after_it()
    {
        var model = ModelStore.Get(new WeightsRequest("swin_t", Random: true, Seed: 424243));
        LayeredModel copy, random;
        using (NewDisposeScope()) (copy, random) = ModelStore.CopyWithRandomSource(model, 5);
        try
        {
            Assert.Equal(Sum(model), Sum(copy), 3);
            Assert.True(float.IsFinite(Sum(random)));
        }
        finally
        {
            copy.Dispose();
            random.Dispose();
        }
    }
}

/// <summary>
/// TorchSharp frees a tensor in its finalizer, and a tensor made for one call (<c>a.copy_(b.to(t))</c>'s <c>b.to(t)</c>) is
/// unreachable once its handle is read: a collection started by another thread during the call frees it under libtorch
/// (the test host died in THSTensor_copy_ loading a detector's weights beside other tests). A dispose scope holds every
/// tensor made in it until it ends, so the engine makes tensors only inside scopes; this counts, for each entry point
/// the cmdlets call, the tensors made on this thread outside any.
/// </summary>
public class TensorScopeTests
{
    private static long OutsideScopes(Action work)
    {
        var statistics = TorchSharp.DisposeScopeManager.Statistics.TensorStatistics;
        long before = statistics.CreatedOutsideScopeCount;
        work();
        return statistics.CreatedOutsideScopeCount - before;
    }

    public static IEnumerable<object[]> EntryPoints() => new[]
    {
        "build squeezenet1_1 from a .pth", "build fasterrcnn_mobilenet_v3_large_320_fpn from a .pth", "read an ONNX graph", "predict", "detect",
        "Grad-CAM", "Guided Grad-CAM", "Grad-CAM++ of a box", "Score-CAM", "Integrated Gradients", "Occlusion", "faithfulness", "sanity cascade", "pixel flipping",
        "copy for the sanity check", "load a .pth into a network of the caller's",
    }.Select(n => new object[] { n });

    /// <summary>A network as a user's TorchSharp code makes it, outside the engine.</summary>
    private static readonly Lazy<SqueezeNet11> Plain = new(() => new SqueezeNet11());

    [Theory]
    [MemberData(nameof(EntryPoints))]
    public void The_engine_makes_every_tensor_inside_a_dispose_scope(string entry)
    {
        var squeezenet = SharedData.SqueezeNetModel;
        var (input, target, _) = TrustMetricsTests.Case("chelsea");
        var item = new[] { new Cam.CamItem(input, new Cam.Targets.ClassTarget(target)) };
        Action work = entry switch
        {
            "build squeezenet1_1 from a .pth" => () => ModelStore.CreateUncached(new WeightsRequest("squeezenet1_1", WeightsPath: SharedData.SqueezeNetPth)).Dispose(),
            "build fasterrcnn_mobilenet_v3_large_320_fpn from a .pth" => () => ModelStore.CreateUncached(new WeightsRequest("fasterrcnn_mobilenet_v3_large_320_fpn",
                Path.Combine(ModelZooTests.ZooWeights, "fasterrcnn_mobilenet_v3_large_320_fpn_seed1.pth"), NumClasses: 91)).Dispose(),
            "read an ONNX graph" => () => Onnx.OnnxModels.Load(Path.Combine(SharedData.RepoRoot, "tests", "HeatmapTools.Engine.Tests", "TestData", "onnx", "keras_like.opset13.onnx")).Dispose(),
            "predict" => () => Prediction.Predictor.PredictBatch(squeezenet, ClassLabels.Numbered(1000), new[] { Path.Combine(SharedData.Images, "chelsea.png") },
                Imaging.PreprocessOptions.ImageNet(), 3, CancellationToken.None),
            "detect" => () =>
            {
                var detector = RcnnParityTests.Load("fasterrcnn_mobilenet_v3_large_320_fpn");
                var image = RcnnParityTests.Prepare(detector, "chelsea");
                Detection.Detector.Detect(detector, new[] { image.Chw! }, image.Shape, new Detection.DetectionOptions(0.0));
            },
            "Grad-CAM" => () => Cam.CamEngine.Compute(squeezenet, item, Cam.CamMethods.Get("GradCAM"), squeezenet.Layers("features.12"), 224, null, CancellationToken.None),
            "Guided Grad-CAM" => () => Cam.CamEngine.Compute(squeezenet, item, Cam.CamMethods.Get("GuidedGradCAM"), squeezenet.Layers("features.12"), 224, null, CancellationToken.None),
            "Grad-CAM++ of a box" => () =>
            {
                var detector = RcnnParityTests.Load("fasterrcnn_mobilenet_v3_large_320_fpn");
                var image = RcnnParityTests.Prepare(detector, "chelsea");
                var found = Detection.Detector.Detect(detector, new[] { image.Chw! }, image.Shape, new Detection.DetectionOptions(0.0))[0];
                var box = new Cam.Targets.BoxTarget(detector.Info.Detection!, detector.NumClasses, new[] { new Cam.Targets.LabelledBox(found[0].ClassIndex, found[0].InputBox) },
                    Detection.BoxGeometry.Of(new Imaging.PreprocessRequest().Resolve(detector.Info), image.Width, image.Height, image.Shape)) { Options = new Detection.DetectionOptions(0.0) };
                Cam.CamEngine.Compute(detector, new[] { new Cam.CamItem(image.Chw!, box) }, Cam.CamMethods.Get("GradCAMPlusPlus"), detector.Layers("backbone"), image.Shape,
                    null, CancellationToken.None);
            },
            "Score-CAM" => () => Cam.CamEngine.Compute(squeezenet, item, Cam.CamMethods.Get("ScoreCAM"), squeezenet.Layers("features.12"), 224, null, CancellationToken.None),
            "Integrated Gradients" => () => Cam.CamEngine.Compute(squeezenet, item, Cam.CamMethods.Get("IntegratedGradients"), squeezenet.Layers(), 224,
                new Cam.CamOptions { Attribution = new Attribution.AttributionOptions { Steps = 8 } }, CancellationToken.None),
            "Occlusion" => () => Cam.CamEngine.Compute(squeezenet, item, Cam.CamMethods.Get("Occlusion"), squeezenet.Layers(), 224,
                new Cam.CamOptions { Attribution = new Attribution.AttributionOptions { Window = 56, Stride = 56 } }, CancellationToken.None),
            "faithfulness" => () =>
            {
                var map = Cam.CamEngine.Compute(squeezenet, item, Cam.CamMethods.Get("GradCAM"), squeezenet.Layers("features.12"), 224, null, CancellationToken.None)[0].Map;
                Trust.Faithfulness.Measure(squeezenet, input, 224, map, target, new Trust.FaithfulnessOptions { CurveSteps = 4 }, null, CancellationToken.None);
            },
            "sanity cascade" => () => Trust.SanityCheck.Run(squeezenet, item, Cam.CamMethods.Get("GradCAM"), squeezenet.Layers("features.12"), 224,
                new Trust.SanityOptions { Seed = 3, MaxSteps = 2 }, null, CancellationToken.None),
            "pixel flipping" => () =>
            {
                var explanation = new float[224 * 224];
                for (int i = 0; i < explanation.Length; i++) explanation[i] = Math.Abs(input[i]);
                new Explanation.PixelFlipping().Evaluate(new Explanation.ExplanationSample { Explanation = explanation, Height = 224, Width = 224, Input = input,
                    ClassIndex = target, Logits = squeezenet.Logits }, new Explanation.ExplanationOptions { FeaturesInStep = 224 * 224 * 3 / 4 }, CancellationToken.None);
            },
            "copy for the sanity check" => () =>
            {
                var (copy, random) = ModelStore.CopyWithRandomSource(squeezenet, 3);
                copy.Dispose();
                random.Dispose();
            },
            "load a .pth into a network of the caller's" => () => StateDictLoader.Load(Plain.Value, SharedData.SqueezeNetPth),
            _ => throw new ArgumentException(entry),
        };
        // Once first: what is made once per process (the arithmetic check, label tables) is not counted.
        work();
        Assert.Equal(0, OutsideScopes(work));
    }
}
