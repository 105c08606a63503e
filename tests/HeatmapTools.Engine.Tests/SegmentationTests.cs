using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Cam.Targets;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>
/// Segmentation models' maps against pytorch-grad-cam 1.5.5's SemanticSegmentationTarget
/// (tests/reference/make_segmentation_references.py): seeded fcn_resnet50 and deeplabv3_resnet50 built by torchvision,
/// the category over the pixels the model assigns it, over a rectangle of the photo, and over a mask image, at an input
/// size no multiple of the output stride. Each goes through the whole New-CamHeatmap job as a user asks.
/// </summary>
public class SegmentationParityTests
{
    private static string Folder => Path.Combine(SharedData.RepoRoot, "tests", "HeatmapTools.Engine.Tests", "TestData", "segmentation");

    public static IEnumerable<object[]> Cases() => ReferenceManifest.Names(Folder);

    private static LayeredModel OnnxSegmenter(string name)
    {
        var fromEnv = Environment.GetEnvironmentVariable("HEATMAPTOOLS_ZOO_ONNX");
        string folder = string.IsNullOrWhiteSpace(fromEnv) ? Path.Combine(SharedData.RepoRoot, "output", "zoo-onnx") : fromEnv;
        string path = Path.Combine(folder, $"{name}_segmentation.onnx");
        Assert.True(File.Exists(path), $"{path} is missing: run /usr/bin/python3 tests/reference/make_segmentation_references.py onnx {ModelZooTests.ZooWeights} {folder}, as build.ps1 -Task Test does.");
        return Onnx.OnnxModels.Load(path);
    }

    internal static LayeredModel Seeded(string name)
    {
        string path = Path.Combine(ModelZooTests.ZooWeights, $"{name}_seed1.pth");
        Assert.True(File.Exists(path), $"{path} is missing: run /usr/bin/python3 tests/reference/make_segmentation_references.py weights {ModelZooTests.ZooWeights}, as build.ps1 -Task Test does.");
        return ModelStore.Get(new WeightsRequest(name, WeightsPath: path, NumClasses: 21));
    }

    /// <summary>The cases of the models also exported to ONNX (make_segmentation_references.py onnx), read through the graph.</summary>
    public static IEnumerable<object[]> OnnxCases() => Cases().Where(c => ((string)c[0]).StartsWith("fcn_resnet50_", StringComparison.Ordinal)
        || ((string)c[0]).StartsWith("deeplabv3_mobilenet_v3_large_", StringComparison.Ordinal));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Map_matches_pytorch_grad_cam(string name) => Check(name, onnx: false);

    [Theory]
    [MemberData(nameof(OnnxCases))]
    public void An_onnx_export_gives_the_same_map(string name) => Check(name, onnx: true);

    private static void Check(string name, bool onnx)
    {
        var c = ReferenceManifest.Case(Folder, name);
        string modelName = c.GetProperty("model").GetString()!;
        using var graph = onnx ? OnnxSegmenter(modelName) : null;
        var model = graph ?? Seeded(modelName);
        if (onnx) Assert.True(model.Info.IsSegmentation, "the graph's output, a map per class at the input's size, makes it a segmenter");
        string region = c.GetProperty("region").GetString()!;
        int[]? rect = region == "rect" ? c.GetProperty("rect").EnumerateArray().Select(e => e.GetInt32()).ToArray() : null;
        string? mask = region == "mask" ? Path.Combine(Folder, "region_mask.png") : null;
        int category = c.GetProperty("category").GetInt32();
        var options = new CamJobOptions
        {
            Methods = new[] { CamMethods.Get(c.GetProperty("method").GetString()!) },
            Layers = LayerSelection.Parse(new[] { c.GetProperty("layer").GetString()! }),
            Preprocess = PreprocessOptions.ImageNet() with { Width = c.GetProperty("width").GetInt32(), Height = c.GetProperty("height").GetInt32() },
            NoOverlay = true,
            Target = TargetRequest.Parse(null, null, rect, mask),
        };
        // The predicted region's category is the model's choice (most pixels but background); the others are asked for, as -ClassIndex does.
        var classes = region == "predicted" ? null : new[] { category };
        var result = CamJob.Run(model, ClassLabels.ForModel(21, segmentation: true), new[] { new CamJobItem(Path.Combine(SharedData.Images, "chelsea.png"), classes) },
            options, SilentListener.Instance, CancellationToken.None).Single();
        Assert.Null(result.Error);
        var target = Assert.IsType<SegmentTarget>(result.Value!.Target);
        Assert.Equal(category, target.ClassIndex);
        Assert.Equal(c.GetProperty("mask_pixels").GetInt32(), target.MaskPixels);
        ReferenceManifest.AssertMatches(Folder, name, result.Value.Map);
    }
}

/// <summary>What a segmentation model is asked, and what it refuses.</summary>
public class SegmentationTargetTests
{
    private static readonly string Photo = Path.Combine(SharedData.Images, "chelsea.png");

    private static CamJobOptions Options(TargetRequest target) => new()
    {
        Methods = new[] { CamMethods.Default }, Preprocess = PreprocessOptions.ImageNet(size: 96), NoOverlay = true, Target = target,
    };

    [Fact]
    public void Classifier_targets_are_refused_on_a_segmenter_and_segment_targets_on_a_classifier()
    {
        var segmenter = SegmentationParityTests.Seeded("fcn_resnet50");
        var labels = ClassLabels.ForModel(21, segmentation: true);
        HeatmapToolsException Refusal(LayeredModel model, TargetRequest target, IReadOnlyList<int>? classes = null) =>
            Assert.Throws<HeatmapToolsException>(() => CamJob.Run(model, labels, new[] { new CamJobItem(Photo, classes) }, Options(target),
                SilentListener.Instance, CancellationToken.None));
        Assert.Equal(ErrorIds.TargetNotApplicable, Refusal(segmenter, TargetRequest.Parse("Softmax", null)).ErrorId);
        Assert.Equal(ErrorIds.TargetNotApplicable, Refusal(SharedData.SqueezeNetModel, TargetRequest.Parse("Segment", null)).ErrorId);
        Assert.Equal(ErrorIds.TargetNotApplicable, Refusal(SharedData.SqueezeNetModel, TargetRequest.Parse(null, null, new[] { 0, 0, 10, 10 })).ErrorId);
        // A category outside the head, a region in two forms, a region with another target, a mask of another picture's size.
        Assert.Equal(ErrorIds.UnknownClass, Refusal(segmenter, TargetRequest.Parse(null, null, new[] { 0, 0, 10, 10 }), new[] { 21 }).ErrorId);
        Assert.Equal(ErrorIds.TargetNotApplicable, Assert.Throws<HeatmapToolsException>(() => TargetRequest.Parse(null, null, new[] { 0, 0, 10, 10 }, Photo)).ErrorId);
        Assert.Equal(ErrorIds.TargetNotApplicable, Assert.Throws<HeatmapToolsException>(() => TargetRequest.Parse("Logit", null, new[] { 0, 0, 10, 10 })).ErrorId);
        Assert.Equal(ErrorIds.TargetNotApplicable, Assert.Throws<HeatmapToolsException>(() => TargetRequest.Parse(null, null, new[] { 0, 0, 0, 10 })).ErrorId);
        var wrongSize = Path.Combine(SharedData.Images, "coffee.png");
        // A mask of another picture's size is wrong for this image alone: its error, not the run's.
        var results = CamJob.Run(segmenter, labels, new[] { new CamJobItem(Photo, new[] { 8 }) }, Options(TargetRequest.Parse(null, null, null, wrongSize)),
            SilentListener.Instance, CancellationToken.None);
        Assert.Equal(ErrorIds.TargetNotApplicable, Assert.Single(results).Error!.ErrorId);
        // An explicit Logit is not the segmenter's default.
        Assert.Equal(ErrorIds.TargetNotApplicable, Refusal(segmenter, TargetRequest.Parse("Logit", null)).ErrorId);
    }

    [Fact]
    public void A_region_is_the_network_pixels_whose_centres_fall_in_the_rectangle()
    {
        var segmenter = SegmentationParityTests.Seeded("fcn_resnet50");
        // chelsea.png stretched to 96 x 96: a rectangle of the photo's left half covers the left 48 columns, every row.
        using var photo = ImageReader.ReadBgr(Photo);
        var request = TargetRequest.Parse(null, null, new[] { 0, 0, photo.Width / 2, photo.Height });
        var result = CamJob.Run(segmenter, ClassLabels.ForModel(21, segmentation: true), new[] { new CamJobItem(Photo, new[] { 8 }) }, Options(request),
            SilentListener.Instance, CancellationToken.None).Single().Value!;
        var target = Assert.IsType<SegmentTarget>(result.Target);
        Assert.Equal(48 * 96, target.MaskPixels);
        Assert.Equal($"cat in 0,0,{photo.Width / 2},{photo.Height}", target.Label(ClassLabels.ForModel(21, segmentation: true)));
    }

    [Fact]
    public void LR_ASPP_maps_of_a_batch_equal_each_image_alone_and_Ablation_CAM_above_its_tap_is_refused()
    {
        var lraspp = SegmentationParityTests.Seeded("lraspp_mobilenet_v3_large");
        var photos = new[] { "chelsea.png", "coffee.png" }.Select(f => Path.Combine(SharedData.Images, f)).ToArray();
        var inputs = photos.Select(p => { using var bgr = ImageReader.ReadBgr(p); return Preprocessor.ToChw(bgr, PreprocessOptions.ImageNet(size: 96)); }).ToArray();
        var mask = Enumerable.Repeat(1f, 96 * 96).ToArray();
        var items = inputs.Select((x, i) => new CamItem(x, new SegmentTarget(4 + i, mask, 96, 96, "all"))).ToArray();
        var method = CamMethods.Get("GradCAM");
        var together = CamEngine.Compute(lraspp, items, method, lraspp.Layers(), 96, null, CancellationToken.None);
        for (int i = 0; i < items.Length; i++)
        {
            var alone = CamEngine.Compute(lraspp, new[] { items[i] }, method, lraspp.Layers(), 96, null, CancellationToken.None).Single();
            Assert.True(alone.Map.Zip(together[i].Map, (a, b) => Math.Abs(a - b)).Max() < 1e-5, $"image {i} differs in a batch");
        }
        // Its head reads backbone.4's output from the full pass: rerunning only the layers above backbone.16 cannot be right.
        var refused = Assert.Throws<HeatmapToolsException>(() =>
            CamEngine.Compute(lraspp, new[] { items[0] }, CamMethods.Get("AblationCAM"), lraspp.Layers(), 96, null, CancellationToken.None));
        Assert.Equal(ErrorIds.MethodNotSupported, refused.ErrorId);
        Assert.NotEmpty(CamEngine.Compute(lraspp, new[] { items[0] }, CamMethods.Get("AblationCAM"), lraspp.Layers("backbone.3"), 96, null, CancellationToken.None).Single().Map);
    }

    [Fact]
    public void Every_method_explains_a_segment_or_refuses_it_with_an_ErrorId()
    {
        // The MobileNetV3 DeepLab: Score-CAM's 960 masked passes stay quick at 64 pixels.
        var segmenter = SegmentationParityTests.Seeded("deeplabv3_mobilenet_v3_large");
        using var bgr = ImageReader.ReadBgr(Photo);
        var input = Preprocessor.ToChw(bgr, PreprocessOptions.ImageNet(size: 64));
        var target = SegmentRegion.Predicted.TargetsFor(segmenter, new PreparedImage { Path = Photo, Chw = input, Shape = new InputShape(3, 64, 64), Width = bgr.Width, Height = bgr.Height },
            null, 1, null).Single();
        var options = new CamOptions { ChunkSize = 512 };
        foreach (var method in CamMethods.Every)
        {
            try
            {
                var map = CamEngine.Compute(segmenter, new[] { new CamItem(input, target) }, method, segmenter.Layers(), 64, options, CancellationToken.None).Single();
                Assert.Equal(64 * 64, map.Map.Length);
                Assert.All(map.Map, v => Assert.True(float.IsFinite(v), $"{method.Name}: a non-finite value"));
                if (method.Name == "Occlusion" && map.Map.Max() == map.Map.Min())
                {
                    // This seeded segmenter's segment score moves by less than float32 resolves at about 249 (measured: the
                    // image, zeros and half the image all score 248.9258), so every occluded square drops it by 0: a
                    // constant map is then the right one, which the score of the fully occluded (zero) input confirms.
                    using var scope = TorchSharp.torch.NewDisposeScope();
                    var context = new Attribution.AttributionContext { Model = segmenter, Input = TorchSharp.torch.tensor(input, new long[] { 1, 3, 64, 64 }),
                        Target = target, Options = new Attribution.AttributionOptions() };
                    Assert.Equal(context.Scores(context.Input)[0], context.Scores(TorchSharp.torch.zeros_like(context.Input))[0]);
                    continue;
                }
                Assert.True(map.Map.Max() > map.Map.Min(), $"{method.Name}: a constant map");
            }
            catch (HeatmapToolsException refused)
            {
                // Classic CAM weighs one class's classifier weights: a segment is not a class of a classifier head.
                Assert.Equal("CAM", method.Name);
                Assert.Equal(ErrorIds.TargetNotApplicable, refused.ErrorId);
            }
        }
    }

    [Fact]
    public void The_output_is_at_the_input_size_for_any_size()
    {
        var segmenter = SegmentationParityTests.Seeded("deeplabv3_resnet50");
        foreach (var (h, w) in new[] { (37, 61), (64, 64), (101, 75) })
        {
            var output = Prediction.Predictor.Logits(segmenter, new[] { new float[3 * h * w] }, new InputShape(3, h, w))[0];
            Assert.Equal(21 * h * w, output.Length);
        }
    }
}

/// <summary>Two requests for one region are one request wherever requests are compared or grouped (batches, plans).</summary>
public class SegmentRegionEqualityTests
{
    [Fact]
    public void Requests_for_the_same_rectangle_are_equal_and_hash_alike()
    {
        var a = TargetRequest.Parse("Segment", null, new[] { 10, 20, 30, 40 });
        var b = TargetRequest.Parse("Segment", null, new[] { 10, 20, 30, 40 });
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Single(new[] { a, b }.GroupBy(r => r));
        Assert.NotEqual(a, TargetRequest.Parse("Segment", null, new[] { 10, 20, 30, 41 }));
        Assert.NotEqual(a, TargetRequest.Parse("Segment", null));
    }
}
