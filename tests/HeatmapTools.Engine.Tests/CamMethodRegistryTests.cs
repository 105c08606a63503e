using HeatmapTools.Engine.Cam.Output;
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
        var expected = new[] { "GradCAM", "GradCAMPlusPlus", "XGradCAM", "HiResCAM", "LayerCAM", "GradCAMElementWise", "EigenCAM", "EigenGradCAM", "ScoreCAM", "AblationCAM", "CAM", "GuidedGradCAM", "IntegratedGradients", "Saliency", "InputXGradient", "Occlusion", "GuidedBackprop" };
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
            var result = CamJob.Run(model, ClassLabels.Numbered(1000), new[] { new CamJobItem(Path.Combine(SharedData.Images, "chelsea.png"), null) }, options, SilentListener.Instance, CancellationToken.None).Single();
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

/// <summary>Reruns over finished output cost nothing: the existing files are reported before any map is computed.</summary>
public class RerunTests
{
    private sealed class CountingCam : CamMethod
    {
        public int Calls;
        public override string Name => "CountingCAM";
        public override string Paper => "a test fixture (2026) that counts its maps";
        public override Tensor Map(CamContext context)
        {
            Interlocked.Add(ref Calls, (int)context.Activations.shape[0]);
            return context.Activations.mean(new long[] { 1 });
        }
    }

    [Fact]
    public void Images_whose_overlays_exist_are_refused_before_their_maps_and_the_others_are_drawn()
    {
        var folder = Directory.CreateTempSubdirectory("hmt-rerun").FullName;
        try
        {
            string chelsea = Path.Combine(SharedData.Images, "chelsea.png"), coffee = Path.Combine(SharedData.Images, "coffee.png");
            var method = new CountingCam();
            var options = new CamJobOptions { Methods = new CamMethod[] { method }, Preprocess = PreprocessOptions.ImageNet(), OutputPath = folder + "/" };
            var first = CamJob.Run(SharedData.SqueezeNetModel, ClassLabels.Numbered(1000), new[] { new CamJobItem(chelsea, null) }, options, SilentListener.Instance, CancellationToken.None);
            Assert.Null(first.Single().Error);
            Assert.Equal(1, method.Calls);

            var second = CamJob.Run(SharedData.SqueezeNetModel, ClassLabels.Numbered(1000),
                new[] { new CamJobItem(chelsea, null), new CamJobItem(coffee, null) }, options, SilentListener.Instance, CancellationToken.None);
            Assert.Equal(2, method.Calls); // only coffee was mapped
            Assert.Equal(ErrorIds.OutputExists, second[0].Error?.ErrorId);
            Assert.Equal(chelsea, second[0].Path);
            Assert.Null(second[1].Error);
            Assert.Equal(coffee, second[1].Path);

            // With -Force, everything is computed again.
            CamJob.Run(SharedData.SqueezeNetModel, ClassLabels.Numbered(1000), new[] { new CamJobItem(chelsea, null) }, options with { Force = true }, SilentListener.Instance, CancellationToken.None);
            Assert.Equal(3, method.Calls);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

public class OwnOverlayTests
{
    [Fact]
    public void A_second_run_over_a_folder_does_not_explain_its_own_overlays()
    {
        var folder = Directory.CreateTempSubdirectory("hmt-own").FullName;
        try
        {
            string photo = Path.Combine(folder, "chelsea.png");
            File.Copy(Path.Combine(SharedData.Images, "chelsea.png"), photo);
            var options = new CamJobOptions { Methods = new[] { CamMethods.Default }, Preprocess = PreprocessOptions.ImageNet() };
            var labels = ClassLabels.Numbered(1000);
            var first = CamJob.Run(SharedData.SqueezeNetModel, labels, new[] { new CamJobItem(photo, null) }, options, SilentListener.Instance, CancellationToken.None).Single();
            Assert.Null(first.Error);
            string overlay = first.Value!.OutputPath!;
            Assert.Equal(photo, OutputNaming.OverlaySourceOf(overlay));
            Assert.Null(OutputNaming.OverlaySourceOf(photo));

            // What Get-ChildItem *.png gives the second time: the photo and its overlay.
            // The overlay carries the module's note: it is left out (and said so), not explained and not an error.
            var heard = new RecordingListener();
            var second = CamJob.Run(SharedData.SqueezeNetModel, labels, new[] { new CamJobItem(photo, null), new CamJobItem(overlay, null) },
                options, heard, CancellationToken.None);
            Assert.Equal(ErrorIds.OutputExists, Assert.Single(second).Error?.ErrorId);
            Assert.Equal($"Skipped '{overlay}'", Assert.Single(heard.Verbose).Split(':')[0]);
            Assert.False(File.Exists(Path.Combine(folder, "chelsea_cam_cam.png")));
            // Even with an output folder it is left out; asked for explicitly it is explained like any image.
            Assert.Empty(CamJob.Run(SharedData.SqueezeNetModel, labels, new[] { new CamJobItem(overlay, null) }, options with { OutputPath = Path.Combine(folder, "out") + "/" }, SilentListener.Instance, CancellationToken.None));
            var forced = CamJob.Run(SharedData.SqueezeNetModel, labels, new[] { new CamJobItem(overlay, null) },
                options with { OutputPath = Path.Combine(folder, "out") + "/", IncludeOwnOutputs = true }, SilentListener.Instance, CancellationToken.None).Single();
            Assert.Null(forced.Error);
            // An overlay of an older version (named like one, without the note) is still refused by its name.
            string unmarked = Path.Combine(folder, "chelsea_cam.png");
            using (var pixels = OpenCvSharp.Cv2.ImRead(overlay)) OpenCvSharp.Cv2.ImWrite(unmarked, pixels);
            Assert.Equal(ErrorIds.InputIsOverlay, CamJob.Run(SharedData.SqueezeNetModel, labels, new[] { new CamJobItem(unmarked, null) }, options, SilentListener.Instance, CancellationToken.None).Single().Error?.ErrorId);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
