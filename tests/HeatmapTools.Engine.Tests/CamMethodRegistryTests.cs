using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using Xunit;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Tests;

/// <summary>The registry of CAM methods: every method found, named and cited; a new method is one class.</summary>
public class CamMethodRegistryTests
{
    [Fact]
    public void Every_pytorch_grad_cam_method_the_module_offers_is_registered_with_its_paper()
    {
        var expected = new[] { "GradCAM", "GradCAMPlusPlus", "XGradCAM", "HiResCAM", "LayerCAM", "GradCAMElementWise", "EigenCAM", "EigenGradCAM", "ScoreCAM", "AblationCAM", "CAM" };
        Assert.Equal(expected.Order(), CamMethods.Names.Order());
        Assert.Equal("GradCAM", CamMethods.Names[0]);
        Assert.All(CamMethods.Every, m => Assert.Matches(@"\d{4}", m.Paper));
        Assert.Same(CamMethods.Get("gradcam"), CamMethods.Default);
        var error = Assert.Throws<HeatmapToolsException>(() => CamMethods.Get("GradCAMPlus"));
        Assert.Equal(ErrorIds.UnknownMethod, error.ErrorId);
        Assert.Contains("GradCAMPlusPlus", error.Message);
    }

    /// <summary>A method written outside the engine: one class, nothing else edited.</summary>
    private sealed class MeanActivationCam : CamMethod
    {
        public override string Name => "MeanActivationCAM";
        public override string Paper => "a test fixture (2026): the channel mean of the activations";
        public override Tensor Map(CamContext context) => context.Activations.mean(new long[] { 1 });
    }

    [Fact]
    public void A_method_written_as_one_class_runs_through_the_whole_job()
    {
        var folder = Directory.CreateTempSubdirectory("hmt-method").FullName;
        try
        {
            var model = SharedData.SqueezeNetModel;
            var options = new CamJobOptions { Methods = new CamMethod[] { new MeanActivationCam() }, Preprocess = PreprocessOptions.ImageNet(), OutputPath = folder + "/{name}_{method}.png" };
            var result = CamJob.Run(model, ClassLabels.Numbered(1000), new[] { new CamJobItem(Path.Combine(SharedData.Images, "chelsea.png"), null) }, options, CancellationToken.None).Single();
            Assert.Null(result.Error);
            Assert.EndsWith("chelsea_MeanActivationCAM.png", result.Value!.OutputPath);
            Assert.True(File.Exists(result.Value.OutputPath));
            // The mean activation, post-processed like every map, has its maximum of 1 somewhere and is not constant.
            Assert.Equal(1f, result.Value.Map.Max(), 3);
            Assert.True(result.Value.Map.Min() < 0.5f);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
