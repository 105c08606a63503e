using System.Text.Json;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Cam.Targets;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Models;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>
/// Maps of targets other than a class's logit against pytorch-grad-cam 1.5.5's (tests/reference/make_target_references.py):
/// a one-logit head's positive and negative, a class's softmax, a sum of classes, similarity to a reference photo. Each
/// goes through the whole New-CamHeatmap job, -Target and -ReferenceImage as a user gives them.
/// </summary>
public class TargetParityTests
{
    private static string Folder => Path.Combine(SharedData.RepoRoot, "tests", "HeatmapTools.Engine.Tests", "TestData", "targets");

    public static IEnumerable<object[]> Cases() => ReferenceManifest.Names(Folder);

    private static LayeredModel Load(string name) => name switch
    {
        "squeezenet1_1" or "squeezenet_features" => SharedData.SqueezeNetModel,
        "resnet18_binary" => ModelStore.Get(new WeightsRequest("resnet18", WeightsPath: Weights("resnet18_binary_seed3.pth"), NumClasses: 1)),
        _ => ModelStore.Get(new WeightsRequest(name, WeightsPath: Weights($"{name}_seed1.pth"))),
    };

    private static string Weights(string file)
    {
        string path = Path.Combine(ModelZooTests.ZooWeights, file);
        Assert.True(File.Exists(path), $"{path} is missing: run /usr/bin/python3 tests/reference/make_target_references.py weights {ModelZooTests.ZooWeights}, as build.ps1 -Task Test does.");
        return path;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Map_matches_pytorch_grad_cam(string name)
    {
        var c = ReferenceManifest.Case(Folder, name);
        var model = Load(c.GetProperty("model").GetString()!);
        string kind = c.GetProperty("target").GetString()!;
        var argument = c.GetProperty("argument");
        // As a user asks: the classes by -ClassIndex, the kind by -Target, the reference by -ReferenceImage.
        (string Target, IReadOnlyList<int>? Classes, string? Reference) asked = kind switch
        {
            "binary" => (argument.GetInt32() == 1 ? "Logit" : "Negative", argument.GetInt32() == 1 ? new[] { 0 } : null, null),
            "softmax" => ("Softmax", new[] { argument.GetInt32() }, null),
            "sum" => ("Sum", argument.EnumerateArray().Select(e => e.GetInt32()).ToArray(), null),
            _ => ("Similarity", null, Path.Combine(SharedData.Images, argument.GetString()!)),
        };
        var options = new CamJobOptions
        {
            Methods = new[] { CamMethods.Get(c.GetProperty("method").GetString()!) },
            Layers = LayerSelection.Parse(new[] { c.GetProperty("layer").GetString()! }),
            Preprocess = PreprocessOptions.ImageNet(),
            NoOverlay = true,
            Target = TargetRequest.Parse(asked.Target, asked.Reference),
        };
        var result = CamJob.Run(model, ClassLabels.Numbered(model.NumClasses), new[] { new CamJobItem(Path.Combine(SharedData.Images, c.GetProperty("image").GetString()!), asked.Classes) },
            options, SilentListener.Instance, CancellationToken.None).Single();
        Assert.Null(result.Error);
        Assert.Equal(asked.Target, result.Value!.Target.Kind);
        ReferenceManifest.AssertMatches(Folder, name, result.Value.Map);
    }

    [Fact]
    public void Targets_a_model_cannot_answer_are_refused_with_their_ErrorIds()
    {
        var squeezenet = SharedData.SqueezeNetModel;
        var options = new CamJobOptions { Methods = new[] { CamMethods.Default }, Preprocess = PreprocessOptions.ImageNet(), NoOverlay = true };
        string photo = Path.Combine(SharedData.Images, "chelsea.png");
        HeatmapToolsException Refusal(CamJobOptions o, IReadOnlyList<int>? classes = null) =>
            Assert.Throws<HeatmapToolsException>(() => CamJob.Run(squeezenet, ClassLabels.Numbered(1000), new[] { new CamJobItem(photo, classes) }, o,
                SilentListener.Instance, CancellationToken.None));
        // Negative belongs to a one-logit head; classic CAM explains a class's logit only.
        Assert.Equal(ErrorIds.TargetNotApplicable, Refusal(options with { Target = TargetRequest.Parse("Negative", null) }).ErrorId);
        Assert.Equal(ErrorIds.TargetNotApplicable, Refusal(options with { Methods = new[] { CamMethods.Get("CAM") }, Target = TargetRequest.Parse("Softmax", null) }).ErrorId);
        Assert.Equal(ErrorIds.UnknownClass, Refusal(options with { Target = TargetRequest.Parse("Sum", null) }, new[] { 281, 1000 }).ErrorId);
        // Similarity needs its reference, and a reference needs similarity; an unknown kind names the known ones.
        Assert.Equal(ErrorIds.TargetNotApplicable, Assert.Throws<HeatmapToolsException>(() => TargetRequest.Parse("Similarity", null)).ErrorId);
        Assert.Equal(ErrorIds.TargetNotApplicable, Assert.Throws<HeatmapToolsException>(() => TargetRequest.Parse("Softmax", photo)).ErrorId);
        var unknown = Assert.Throws<HeatmapToolsException>(() => TargetRequest.Parse("Softmx", null));
        Assert.Equal(ErrorIds.UnknownTarget, unknown.ErrorId);
        Assert.Contains("'Softmax'", unknown.Message);
        Assert.Equal(new[] { "Logit", "Box", "Negative", "Segment", "Similarity", "Softmax", "Sum" }, TargetKind.Names);
    }

    [Fact]
    public void A_softmax_map_is_named_and_keyed_apart_from_the_logit_map_of_its_class()
    {
        string folder = Directory.CreateTempSubdirectory("hmt-target").FullName;
        try
        {
            string photo = Path.Combine(folder, "both.png");
            File.Copy(Path.Combine(SharedData.Images, "gradcam_both.png"), photo);
            var options = new CamJobOptions { Methods = new[] { CamMethods.Default }, Preprocess = PreprocessOptions.ImageNet() };
            var labels = ClassLabels.Numbered(1000);
            var item = new[] { new CamJobItem(photo, new[] { 281 }) };
            var logit = CamJob.Run(SharedData.SqueezeNetModel, labels, item, options, SilentListener.Instance, CancellationToken.None).Single().Value!;
            var softmax = CamJob.Run(SharedData.SqueezeNetModel, labels, item, options with { Target = TargetRequest.Parse("Softmax", null) },
                SilentListener.Instance, CancellationToken.None).Single().Value!;
            Assert.Equal(Path.Combine(folder, "both_cam.png"), logit.OutputPath);
            Assert.Equal(Path.Combine(folder, "both_cam_softmax.png"), softmax.OutputPath);
            Assert.NotEqual(logit.Key, softmax.Key);
            Assert.True(logit.Map.Zip(softmax.Map, (a, b) => Math.Abs(a - b)).Max() > 1e-3, "the softmax map is not the logit map");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

/// <summary>A reference script's manifest.json: its cases by name, for theories.</summary>
internal static class ReferenceManifest
{
    public static IEnumerable<object[]> Names(string folder) =>
        Cases(folder).Select(c => new object[] { c.GetProperty("case").GetString()! }).ToList();

    /// <summary>The map equals the case's reference map (&lt;case&gt;.npy) within 1e-4, size included.</summary>
    public static void AssertMatches(string folder, string name, float[] map)
    {
        var reference = Npy.ReadFloat32(Path.Combine(folder, name + ".npy")).Data;
        Assert.Equal(reference.Length, map.Length);
        double diff = map.Zip(reference, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(diff <= 1e-4, $"{name}: max |diff| = {diff}");
    }

    public static JsonElement Case(string folder, string name) => Cases(folder).Single(e => e.GetProperty("case").GetString() == name);

    private static IEnumerable<JsonElement> Cases(string folder)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(e => e.Clone()).ToList();
    }
}
