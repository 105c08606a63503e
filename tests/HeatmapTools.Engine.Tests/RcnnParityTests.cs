using System.Text.Json;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Cam.Targets;
using HeatmapTools.Engine.Detection;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Models;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>
/// torchvision's Faster R-CNN detectors, seeded and calibrated (tests/reference/make_rcnn_references.py wrote the weights,
/// torchvision 0.14's detections at score threshold 0, pytorch-grad-cam 1.5.5's tutorial EigenCAM and a hand-written
/// Grad-CAM on the FPN outputs' tensors).
/// </summary>
public class RcnnParityTests
{
    internal static string Folder => Path.Combine(SharedData.RepoRoot, "tests", "HeatmapTools.Engine.Tests", "TestData", "rcnn");

    private static JsonElement Manifest()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "manifest.json")));
        return doc.RootElement.Clone();
    }

    private static JsonElement Case(string model, string photo) =>
        Manifest().GetProperty("models").GetProperty(model).GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("photo").GetString() == photo);

    public static IEnumerable<object[]> Cases() =>
        from model in Manifest().GetProperty("models").EnumerateObject()
        from c in model.Value.GetProperty("cases").EnumerateArray()
        select new object[] { model.Name, c.GetProperty("photo").GetString()! };

    /// <summary>The cases with a reference map of the method (a Grad-CAM one whose boxes float64 matched otherwise is not kept; a case made with --no-maps has none).</summary>
    private static IEnumerable<object[]> CasesWith(string method) =>
        from model in Manifest().GetProperty("models").EnumerateObject()
        from c in model.Value.GetProperty("cases").EnumerateArray()
        where c.GetProperty("maps").EnumerateArray().Any(m => m.GetString() == method)
        select new object[] { model.Name, c.GetProperty("photo").GetString()! };

    public static IEnumerable<object[]> GradientCases() => CasesWith("GradCAM");

    public static IEnumerable<object[]> EigenCases() => CasesWith("EigenCAM");

    internal static LayeredModel Load(string name)
    {
        string weights = Path.Combine(ModelZooTests.ZooWeights, $"{name}_seed1.pth");
        Assert.True(File.Exists(weights), $"{weights} is missing: run /usr/bin/python3 tests/reference/make_rcnn_references.py weights ../shared {ModelZooTests.ZooWeights}, as build.ps1 -Task Test does.");
        return ModelStore.Get(new WeightsRequest(name, weights, NumClasses: 91));
    }

    internal static string PhotoPath(string photo) => photo == "coffee450" ? Path.Combine(Folder, "coffee450.png") : Path.Combine(SharedData.Images, photo + ".png");

    internal static PreparedImage Prepare(LayeredModel model, string photo) =>
        InputBatch.Prepare(new[] { PhotoPath(photo) }, new PreprocessRequest().Resolve(model.Info), CancellationToken.None)[0];

    [Fact]
    public void A_torchvision_detector_takes_the_photo_whole_and_names_cocos_categories()
    {
        var model = Load("fasterrcnn_mobilenet_v3_large_320_fpn");
        Assert.True(model.Info.IsDetection);
        var preprocess = new PreprocessRequest().Resolve(model.Info);
        Assert.True(preprocess.Native);
        Assert.Equal(new[] { 0f, 0f, 0f }, preprocess.Mean);
        Assert.Equal(new[] { 1f, 1f, 1f }, preprocess.Std);
        Assert.Equal("cat", ClassLabels.CocoCategories[17]);
        Assert.Equal(new DetectionOptions(0.05, 0.5, 100), new DetectionOptions().For(model.Info));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Detections_equal_torchvisions_at_score_threshold_0(string name, string photo)
    {
        var model = Load(name);
        var c = Case(name, photo);
        var image = Prepare(model, photo);
        var found = Detector.Detect(model, new[] { image.Chw! }, image.Shape, new DetectionOptions(0.0))[0];
        var boxes = c.GetProperty("boxes").EnumerateArray().Select(b => b.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToList();
        var labels = c.GetProperty("labels").EnumerateArray().Select(v => v.GetInt32()).ToList();
        var scores = c.GetProperty("scores").EnumerateArray().Select(v => v.GetDouble()).ToList();
        Assert.Equal(boxes.Count, found.Count);
        // Past `firm`, PyTorch in float64 ranks otherwise: near ties there are rounding's to decide.
        int firm = c.GetProperty("firm").GetInt32();
        Assert.True(firm >= 40, $"{name} {photo}: only {firm} detections are firm in the reference");
        bool Same(int k, DetectedBox d) =>
            d.ClassIndex == labels[k] && Math.Abs(scores[k] - d.Score) <= 1e-3 &&
            new[] { d.InputBox.X1, d.InputBox.Y1, d.InputBox.X2, d.InputBox.Y2 }.Select((v, j) => Math.Abs(boxes[k][j] - v)).Max() <= 0.5;
        // The first ten in torchvision's order; the rest of the firm ones anywhere among ours (two scores within 1e-3 may swap).
        for (int k = 0; k < Math.Min(10, firm); k++)
            Assert.True(Same(k, found[k]), $"{name} {photo} detection {k}: class {found[k].ClassIndex} {found[k].Score} at {found[k].InputBox}; torchvision {labels[k]} {scores[k]} at {string.Join(",", boxes[k])}");
        for (int k = 10; k < firm; k++)
            Assert.True(found.Any(d => Same(k, d)), $"{name} {photo}: torchvision's detection {k} (class {labels[k]}, {scores[k]} at {string.Join(",", boxes[k])}) is not among ours");
    }

    [Fact]
    public void A_score_that_is_not_a_number_is_reported_not_read_as_nothing_detected()
    {
        var model = Load("fasterrcnn_mobilenet_v3_large_320_fpn");
        var image = Prepare(model, "coffee450");
        var chw = (float[])image.Chw!.Clone();
        chw[chw.Length / 2] = float.NaN;
        var bad = new List<float>();
        var found = Detector.Detect(model, new[] { chw }, image.Shape, new DetectionOptions(), (_, v) => bad.Add(v))[0];
        Assert.Empty(found);
        Assert.Single(bad);
        Assert.True(float.IsNaN(bad[0]));
    }

    private static CamResult Map(LayeredModel model, PreparedImage image, CamTarget target, string method, bool flip = false) =>
        CamEngine.Compute(model, new[] { new CamItem(image.Chw!, target) }, CamMethods.Get(method), model.Layers("backbone"), image.Shape,
            new CamOptions { FlipEigenSign = flip }, CancellationToken.None).Single();

    /// <summary>
    /// The reference explains PyTorch's own detections, each matching itself at IoU 1 (no IoU gradient, the kink rule);
    /// so each target here is our own detection of that label within 0.5 px of PyTorch's box (the parity test's
    /// tolerance): PyTorch's box itself, a thousandth of a pixel off ours on an 800-pixel ResNet-50, would match ours at
    /// an IoU just under the kink and bring in an IoU gradient the reference does not have.
    /// </summary>
    private static BoxTarget Targets(LayeredModel model, JsonElement c, PreparedImage image)
    {
        var ours = Detector.Detect(model, new[] { image.Chw! }, image.Shape, new DetectionOptions(0.0))[0];
        var boxes = c.GetProperty("targets").EnumerateArray().Select(t =>
        {
            int label = t.GetProperty("label").GetInt32();
            var box = t.GetProperty("box").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var own = ours.FirstOrDefault(d => d.ClassIndex == label &&
                new[] { d.InputBox.X1, d.InputBox.Y1, d.InputBox.X2, d.InputBox.Y2 }.Select((v, j) => Math.Abs(box[j] - v)).Max() <= 0.5);
            return new LabelledBox(label, own?.InputBox ?? BoxCorners.Parse(box));
        }).ToList();
        return new BoxTarget(model.Info.Detection!, model.NumClasses, boxes,
            BoxGeometry.Of(new PreprocessRequest().Resolve(model.Info), image.Width, image.Height, image.Shape))
        { Options = new DetectionOptions(0.0) };
    }

    private static double Worst(float[] expected, float[] ours) => expected.Zip(ours).Max(p => Math.Abs(p.First - p.Second));

    [Theory]
    [MemberData(nameof(EigenCases))]
    public void EigenCAM_at_the_backbone_is_the_tutorials_placed_on_the_photo(string name, string photo)
    {
        var model = Load(name);
        var c = Case(name, photo);
        var image = Prepare(model, photo);
        var target = Targets(model, c, image);
        var expected = Npy.ReadFloat32(Path.Combine(Folder, $"{name}.{photo}.EigenCAM.npy"));
        var plain = Map(model, image, target, "EigenCAM");
        Assert.Equal((expected.Shape[0], expected.Shape[1]), (plain.Height, plain.Width));
        // An SVD fixes its direction only up to sign.
        double worst = Math.Min(Worst(expected.Data, plain.Map), Worst(expected.Data, Map(model, image, target, "EigenCAM", flip: true).Map));
        Assert.True(worst <= 1e-4, $"{name} {photo}: largest difference {worst}");
        // Where the transform pads nothing (the batch's extent is the photo's), the map is the tutorial's own call's.
        var extent = ((Models.Detectors.IMapView)model.Network).Extent(image.Height, image.Width);
        var tutorial = Npy.ReadFloat32(Path.Combine(Folder, $"{name}.{photo}.EigenCAM-tutorial.npy")).Data;
        if (extent == (1.0, 1.0))
            Assert.True(Worst(tutorial, plain.Map) <= 1e-4 || Worst(tutorial, Map(model, image, target, "EigenCAM", flip: true).Map) <= 1e-4, $"{name} {photo}: not the tutorial's map");
        else
            Assert.True(Worst(tutorial, plain.Map) > 1e-2, $"{name} {photo}: a padded batch's map was stretched over the photo");
    }

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void GradCAM_at_the_backbone_equals_pytorchs_on_the_fpn_tensors(string name, string photo)
    {
        var model = Load(name);
        var c = Case(name, photo);
        var image = Prepare(model, photo);
        var expected = Npy.ReadFloat32(Path.Combine(Folder, $"{name}.{photo}.GradCAM.npy"));
        var ours = Map(model, image, Targets(model, c, image), "GradCAM");
        // Within 1e-6 on the 320-pixel model; on the 800-pixel one (1,000 proposals) the map differs everywhere a little
        // (chelsea: median 1.2e-4, at most 5.9e-4) where PyTorch's float64 moves by 2.5e-6, a gap not yet explained:
        // held at 1e-3, an order above it.
        double worst = Worst(expected.Data, ours.Map);
        Assert.True(worst <= 1e-3, $"{name} {photo}: largest difference {worst}");
    }
}
