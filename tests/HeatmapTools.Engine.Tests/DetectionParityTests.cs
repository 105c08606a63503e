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
/// YOLO-style detectors of both export layouts (tests/reference/make_detection_references.py wrote the graphs, PyTorch's
/// detections with torchvision's batched_nms, and pytorch-grad-cam 1.5.5's EigenCAM and GradCAM maps with the box target).
/// </summary>
public class DetectionParityTests
{
    internal static string Folder => Path.Combine(SharedData.RepoRoot, "tests", "HeatmapTools.Engine.Tests", "TestData", "detection");

    private static JsonElement Manifest()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "manifest.json")));
        return doc.RootElement.Clone();
    }

    private static JsonElement Case(string model, string photo) => Manifest().GetProperty("models").GetProperty(model).GetProperty("cases").GetProperty(photo);

    public static IEnumerable<object[]> Cases()
    {
        foreach (var model in Manifest().GetProperty("models").EnumerateObject())
            foreach (var photo in model.Value.GetProperty("cases").EnumerateObject())
                yield return new object[] { model.Name, photo.Name };
    }

    public static IEnumerable<object[]> Maps()
    {
        foreach (var model in Manifest().GetProperty("models").EnumerateObject())
            foreach (var photo in model.Value.GetProperty("cases").EnumerateObject())
                foreach (var map in photo.Value.GetProperty("maps").EnumerateObject().Where(m => !m.Name.EndsWith("-inboxes", StringComparison.Ordinal)))
                    yield return new object[] { model.Name, photo.Name, map.Name };
    }

    internal static LayeredModel Load(string name) => ModelStore.Get(new WeightsRequest(Path.Combine(Folder, $"{name}.onnx")));

    private static float[] Input(string name, string photo) => Npy.ReadFloat32(Path.Combine(Folder, Case(name, photo).GetProperty("input").GetString()!)).Data;

    private static PreprocessOptions Preprocess(LayeredModel model) => ModelSidecar.For(model.WeightsFile)!.Preprocess.Resolve(model.Info);

    [Theory]
    [InlineData("tiny_yolov8", "YoloV8")]
    [InlineData("tiny_yolov5", "YoloV5")]
    public void A_graph_with_boxes_per_anchor_is_a_detector_of_its_layout(string name, string layout)
    {
        var model = Load(name);
        Assert.True(model.Info.IsDetection);
        Assert.Equal(layout, model.Info.Detection!.Name);
        Assert.Equal(Manifest().GetProperty("labels").GetArrayLength(), model.NumClasses);
    }

    [Fact]
    public void A_detectors_default_layer_is_its_deepest_widest_maps_before_the_heads()
    {
        // Without a settings file naming one: of the coarsest maps, the widest, the last (pytorch-grad-cam's YOLOv5 notebook's model[-2]).
        string folder = Directory.CreateTempSubdirectory("hmt-detector-").FullName;
        try
        {
            File.Copy(Path.Combine(Folder, "tiny_yolov8.onnx"), Path.Combine(folder, "bare_yolov8.onnx"));
            var model = ModelStore.Get(new WeightsRequest(Path.Combine(folder, "bare_yolov8.onnx")));
            Assert.Equal("c5.2", model.CanonicalLayerName(model.Info.DefaultLayer));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_letterboxed_input_is_the_scripts(string name, string photo)
    {
        var model = Load(name);
        var c = Case(name, photo);
        var prepared = InputBatch.Prepare(new[] { Path.Combine(SharedData.Images, c.GetProperty("photo").GetString()!) }, Preprocess(model), CancellationToken.None)[0];
        var expected = Input(name, photo);
        Assert.Equal(expected.Length, prepared.Chw!.Length);
        double worst = expected.Zip(prepared.Chw).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst <= 1e-6, $"{name} {photo}: largest difference {worst}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Detections_equal_torchvisions_batched_nms(string name, string photo)
    {
        var model = Load(name);
        var manifest = Manifest();
        var c = Case(name, photo);
        var options = new DetectionOptions(manifest.GetProperty("score_threshold").GetDouble(), manifest.GetProperty("iou_threshold").GetDouble(),
            manifest.GetProperty("max_detections").GetInt32());
        var geometry = BoxGeometry.Of(Preprocess(model), c.GetProperty("photo_width").GetInt32(), c.GetProperty("photo_height").GetInt32(), model.Info.Shape);
        var found = Detector.Detect(model, new[] { Input(name, photo) }, model.Info.Shape, options)[0].Where(d => geometry.Shows(d.InputBox)).ToList();
        var expected = c.GetProperty("detections").EnumerateArray().ToList();
        Assert.Equal(expected.Count, found.Count);
        for (int k = 0; k < expected.Count; k++)
        {
            var e = expected[k];
            Assert.Equal(e.GetProperty("class").GetInt32(), found[k].ClassIndex);
            Assert.Equal(e.GetProperty("anchor").GetInt32(), found[k].Anchor);
            Assert.True(Math.Abs(e.GetProperty("score").GetDouble() - found[k].Score) <= 1e-4, $"{name} {photo} detection {k}: score {found[k].Score}, PyTorch {e.GetProperty("score")}");
            var photoBox = geometry.ToPhoto(found[k].InputBox);
            var want = e.GetProperty("box").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var ours = new[] { photoBox.X1, photoBox.Y1, photoBox.X2, photoBox.Y2 };
            for (int j = 0; j < 4; j++)
                Assert.True(Math.Abs(want[j] - ours[j]) <= 0.01, $"{name} {photo} detection {k} corner {j}: {ours[j]}, PyTorch {want[j]}");
        }
    }

    [Theory]
    [MemberData(nameof(Maps))]
    public void Box_maps_equal_pytorch_grad_cams(string name, string photo, string map)
    {
        var model = Load(name);
        var c = Case(name, photo);
        var (layer, method) = (map.Split('/')[0], map.Split('/')[1]);
        var input = Input(name, photo);
        // EigenCAM reads no target; the engine is still given what it explains (the detections).
        var geometry = BoxGeometry.Of(Preprocess(model), c.GetProperty("photo_width").GetInt32(), c.GetProperty("photo_height").GetInt32(), model.Info.Shape);
        List<LabelledBox> photoBoxes;
        if (method == "GradCAM-typed")
        {
            var classes = c.GetProperty("typed_classes").EnumerateArray().Select(v => v.GetInt32()).ToList();
            photoBoxes = c.GetProperty("typed_boxes").EnumerateArray().Select((b, k) => new LabelledBox(classes[k], BoxCorners.Parse(b.EnumerateArray().Select(v => v.GetDouble()).ToArray()))).ToList();
        }
        else
            photoBoxes = Detector.Detect(model, new[] { input }, model.Info.Shape, DetectionOptions.Default)[0].Where(d => geometry.Shows(d.InputBox))
                .Select(d => new LabelledBox(d.ClassIndex, geometry.ToPhoto(d.InputBox))).ToList();
        var target = new BoxTarget(model.Info.Detection!, model.NumClasses, photoBoxes, geometry);
        var expected = Npy.ReadFloat32(Path.Combine(Folder, c.GetProperty("maps").GetProperty(map).GetString()!));
        double Worst(bool flip)
        {
            var ours = CamEngine.Compute(model, new[] { new CamItem(input, target) }, CamMethods.Get(method.Split('-')[0]), model.Layers(layer), model.Info.Shape,
                new CamOptions { FlipEigenSign = flip }, CancellationToken.None).Single();
            Assert.Equal(expected.Shape[0], ours.Height);
            Assert.Equal(expected.Shape[1], ours.Width);
            return expected.Data.Zip(ours.Map).Max(p => Math.Abs(p.First - p.Second));
        }
        // An SVD fixes its direction only up to sign: LAPACK's may be either orientation (as in the classifiers' Eigen-CAM parity).
        double worst = method == "EigenCAM" ? Math.Min(Worst(false), Worst(true)) : Worst(false);
        Assert.True(worst <= 1e-4, $"{name} {photo} {map}: largest difference {worst}");
    }

    [Theory]
    [InlineData("tiny_yolov8", "chelsea")]
    [InlineData("tiny_yolov5", "coffee")]
    public void A_detections_map_does_not_hang_on_the_last_bits_of_its_box(string name, string photo)
    {
        // Detections found in another pass (another batch, another kernel) may differ from the map's own output in the
        // last bits; a box matched at IoU 1 sits on a kink, so its map must not follow those bits.
        var model = Load(name);
        var input = Input(name, photo);
        var c = Case(name, photo);
        var geometry = BoxGeometry.Of(Preprocess(model), c.GetProperty("photo_width").GetInt32(), c.GetProperty("photo_height").GetInt32(), model.Info.Shape);
        var found = Detector.Detect(model, new[] { input }, model.Info.Shape, DetectionOptions.Default)[0].Where(d => geometry.Shows(d.InputBox))
            .Select(d => geometry.ToPhoto(d.InputBox) is var b ? new LabelledBox(d.ClassIndex, b) : null!).ToList();
        float[] Map(double nudge)
        {
            var boxes = found.Select(d => d with { Box = d.Box with { X1 = d.Box.X1 + nudge, Y2 = d.Box.Y2 - nudge } }).ToList();
            var target = new BoxTarget(model.Info.Detection!, model.NumClasses, boxes, geometry);
            return CamEngine.Compute(model, new[] { new CamItem(input, target) }, CamMethods.Get("GradCAM"), model.Layers("c5"), model.Info.Shape, null, CancellationToken.None).Single().Map;
        }
        double worst = Map(0).Zip(Map(2e-4)).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst <= 1e-3, $"{name} {photo}: a box moved by 2e-4 px moves the map by {worst}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Renormalised_in_boxes_as_the_faster_rcnn_tutorial_means(string name, string photo)
    {
        // On pytorch-grad-cam's own map, so only the renormalisation is compared: inside a box where the map barely moves,
        // scaling to 0..1 magnifies the last bits of two computations of one map.
        var c = Case(name, photo);
        var model = Load(name);
        var geometry = BoxGeometry.Of(Preprocess(model), c.GetProperty("photo_width").GetInt32(), c.GetProperty("photo_height").GetInt32(), model.Info.Shape);
        var boxes = c.GetProperty("detections").EnumerateArray()
            .Select(d => geometry.ToInput(BoxCorners.Parse(d.GetProperty("box").EnumerateArray().Select(v => v.GetDouble()).ToArray()))).ToList();
        var reference = Npy.ReadFloat32(Path.Combine(Folder, c.GetProperty("maps").GetProperty("c5/GradCAM").GetString()!));
        var expected = Npy.ReadFloat32(Path.Combine(Folder, c.GetProperty("maps").GetProperty("c5/GradCAM-inboxes").GetString()!)).Data;
        var ours = InBoxes.Renormalize(reference.Data, reference.Shape[1], reference.Shape[0], boxes);
        double worst = expected.Zip(ours).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst <= 1e-5, $"{name} {photo}: largest difference {worst}");

        // And -RenormalizeInBoxes applies it to the engine's own map, at the network input where the boxes are.
        var input = Input(name, photo);
        var found = Detector.Detect(model, new[] { input }, model.Info.Shape, DetectionOptions.Default)[0].Where(d => geometry.Shows(d.InputBox))
            .Select(d => new LabelledBox(d.ClassIndex, geometry.ToPhoto(d.InputBox))).ToList();
        var target = new BoxTarget(model.Info.Detection!, model.NumClasses, found, geometry);
        CamResult Map(bool renormalize) => CamEngine.Compute(model, new[] { new CamItem(input, target) }, CamMethods.Get("GradCAM"), model.Layers("c5"), model.Info.Shape,
            new CamOptions { RenormalizeInBoxes = renormalize }, CancellationToken.None).Single();
        var plain = Map(false);
        Assert.Equal(InBoxes.Renormalize(plain.Map, plain.Width, plain.Height, target.InputBoxes.Select(b => b.Box)), Map(true).Map);
    }
}
