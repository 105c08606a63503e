using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Cam.Targets;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>The map run every map-making command goes through: a request resolved once per model, batches kept in line.</summary>
public class MapPlanTests
{
    private static MapRequest Request(params string[] layers) => new()
    {
        Methods = new[] { CamMethods.Default }, Layers = LayerSelection.Parse(layers), Preprocess = PreprocessOptions.ImageNet(),
    };

    [Fact]
    public void A_plan_finds_its_layers_once_and_refuses_an_unknown_one_before_any_image()
    {
        var model = SharedData.SqueezeNetModel;
        var error = Assert.Throws<HeatmapToolsException>(() => MapPlan.Resolve(model, Request("features.12", "features.99")));
        Assert.Equal(ErrorIds.UnknownLayer, error.ErrorId);
        // A result's comma-joined value is its layers; the default layer is the model's own.
        Assert.Equal("features.11,features.12", MapPlan.Resolve(model, Request("features.11, features.12")).Layer);
        Assert.Equal(model.CanonicalLayerName(model.Info.DefaultLayer), MapPlan.Resolve(model, Request()).Layer);
    }

    [Fact]
    public void The_same_request_on_another_network_hooks_that_networks_own_modules()
    {
        var model = SharedData.SqueezeNetModel;
        var plan = MapPlan.Resolve(model, Request("features.12.expand3x3"));
        var (copy, random) = ModelStore.CopyWithRandomSource(model, 3);
        try
        {
            var other = plan.On(copy);
            Assert.Same(plan, plan.On(model));
            Assert.Equal(plan.Layer, other.Layer);
            var mine = plan.Layers.Targets.Single().Inner!;
            var theirs = other.Layers.Targets.Single().Inner!;
            Assert.NotSame(mine, theirs);
            Assert.Contains(copy.Network.modules(), m => ReferenceEquals(m, theirs));
        }
        finally
        {
            copy.Dispose();
            random.Dispose();
        }
    }

    [Fact]
    public void An_image_whose_target_its_pass_could_not_make_leaves_the_batch_and_the_rest_stay_in_line()
    {
        PreparedImage Image(string name) => new() { Path = name, Chw = new float[3], Shape = new InputShape(3, 1, 1), Width = 1, Height = 1 };
        CamResult Map(int classIndex, HeatmapToolsException? error = null) => new(new float[1], 1, 1, classIndex, 0) { Error = error };
        var nothing = new HeatmapToolsException(ErrorIds.TargetSelectsNothing, ErrorKind.InvalidData, "b selects nothing", "b");
        // Image b has two maps (two categories); its second could not be made, so both go.
        using var batch = new MapBatch(new[] { Image("a"), Image("b"), Image("c") },
            new List<(int, CamTarget?)> { (0, null), (1, null), (1, null), (2, null) });
        var kept = batch.Keep(new[] { Map(10), Map(11), Map(12, nothing), Map(13) });
        Assert.Equal(new[] { 10, 13 }, kept.Select(m => m.ClassIndex));
        Assert.Equal(new[] { 0, 2 }, batch.Pairs.Select(p => p.Image));
        Assert.Same(nothing, batch.Images[1].Error);
        Assert.Null(batch.Images[0].Error);
        Assert.Null(batch.Images[2].Error);
        // Nothing failed: the maps as they were.
        var whole = new[] { Map(10), Map(13) };
        Assert.Same(whole, batch.Keep(whole));
    }
}
