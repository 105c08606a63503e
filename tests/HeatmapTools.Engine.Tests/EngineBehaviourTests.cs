using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;
using TorchSharp;
using Xunit;

namespace HeatmapTools.Engine.Tests;

public class EngineBehaviourTests
{
    private static float[] Input(string image = "chelsea") =>
        Npy.ReadFloat32(Path.Combine(SharedData.Reference, "squeezenet1_1", image + ".input.npy")).Data;

    [Fact]
    public void TorchSharp_format_weights_load_like_the_safetensors_they_were_saved_from()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("hmt-dat").FullName, "squeezenet.dat");
        // A plain (NCHW) module, as a user's own TorchSharp code would save it; the loaded models keep channels-last weights.
        using (var network = new SqueezeNet11())
        {
            StateDictLoader.Load(network, SharedData.SqueezeNetSafetensors);
            network.save(path);
        }
        var reloaded = ModelStore.Get(new WeightsRequest("squeezenet1_1", WeightsPath: path));
        Assert.NotSame(SharedData.SqueezeNetModel, reloaded);
        Assert.Equal(Predictor.Logits(SharedData.SqueezeNetModel, new[] { Input() }, 224)[0], Predictor.Logits(reloaded, new[] { Input() }, 224)[0]);
    }

    [Fact]
    public void Several_layers_average_their_scaled_maps_as_the_reference_does()
    {
        var model = SharedData.SqueezeNetModel;
        var items = new[] { new CamItem(Input(), 285) };
        var a = CamEngine.Compute(model, items, CamMethods.Get("GradCAM"), model.Layers("features.12"), 224, null, CancellationToken.None)[0].Map;
        var b = CamEngine.Compute(model, items, CamMethods.Get("GradCAM"), model.Layers("features.11"), 224, null, CancellationToken.None)[0].Map;
        var both = CamEngine.Compute(model, items, CamMethods.Get("GradCAM"), model.Layers("features.11", "features.12"), 224, null, CancellationToken.None)[0].Map;
        var mean = a.Zip(b, (x, y) => (x + y) / 2).ToArray();
        CamPostProcessor.MinMax(mean);
        // Each single-layer result was re-scaled once more after resizing, so the mean of two of them differs from the
        // joint map by that last scaling only (about 1e-3 here); using one layer, or max instead of mean, is off by far more.
        double diff = both.Zip(mean, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(diff < 5e-3, $"max diff {diff}");
        Assert.True(both.Zip(a, (x, y) => Math.Abs(x - y)).Max() > 0.05, "the second layer must change the map");
        Assert.True(both.Zip(b, (x, y) => Math.Abs(x - y)).Max() > 0.05, "the first layer must change the map");
    }

    [Fact]
    public void On_a_pooling_and_linear_head_GradCAM_equals_classic_CAM()
    {
        // With global average pooling then a linear layer, the gradient at the last block is w_c / (h*w) everywhere,
        // so Grad-CAM's weights are the classifier's own: the two methods must give the same map (Selvaraju et al.).
        var resnet = ModelStore.Get(new WeightsRequest("resnet18", Random: true, Seed: 3));
        var items = new[] { new CamItem(Input("coffee"), 967) };
        var cam = CamEngine.Compute(resnet, items, CamMethods.Get("CAM"), resnet.Layers("layer4"), 224, null, CancellationToken.None)[0].Map;
        var grad = CamEngine.Compute(resnet, items, CamMethods.Get("GradCAM"), resnet.Layers("layer4"), 224, null, CancellationToken.None)[0].Map;
        Assert.True(cam.Zip(grad, (x, y) => Math.Abs(x - y)).Max() < 1e-4);
        Assert.True(cam.Max() > 0.99f && cam.Min() < 0.01f);
    }

    [Theory]
    [InlineData("squeezenet1_1", "features.12")] // 1x1 convolution, then ReLU and average pooling
    [InlineData("resnet18", "layer4")]           // pooling, then a Linear layer
    [InlineData("vgg11", "features.20")]         // three Linear layers; only the last is the class projection
    public void One_class_score_equals_that_column_of_the_full_logits(string modelName, string layer)
    {
        var model = modelName == "squeezenet1_1" ? SharedData.SqueezeNetModel : ModelStore.Get(new WeightsRequest(modelName, Random: true, Seed: 5));
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var images = torch.stack(new[] { "chelsea", "coffee" }.Select(n => torch.tensor(Input(n)).reshape(3, 224, 224)));
        var logits = model.Logits(images);
        int stage = model.ResolveLayer(layer);
        var activations = model.Run(images, 0, stage);
        foreach (long target in new long[] { 0, 281, 999 })
        {
            var expected = logits[.., target].data<float>().ToArray();
            var fromImages = model.ClassLogit(images, 0, target).data<float>().ToArray();
            var fromLayer = model.ClassLogit(activations, stage + 1, target).data<float>().ToArray();
            for (int i = 0; i < expected.Length; i++)
            {
                double tolerance = 1e-4 * Math.Max(1, Math.Abs(expected[i]));
                Assert.True(Math.Abs(expected[i] - fromImages[i]) < tolerance, $"{modelName} class {target} image {i}: {fromImages[i]} vs {expected[i]}");
                Assert.True(Math.Abs(expected[i] - fromLayer[i]) < tolerance, $"{modelName} class {target} image {i} from {layer}: {fromLayer[i]} vs {expected[i]}");
            }
        }
    }

    [Theory]
    [InlineData("resnet18", "layer4", "GradCAM")]
    [InlineData("resnet18", "layer3", "GradCAMPlusPlus")]
    [InlineData("vgg11", "features.20", "LayerCAM")]
    public void A_batch_with_a_different_class_per_image_gives_each_image_its_single_run_map(string modelName, string layer, string methodName)
    {
        var method = CamMethods.Get(methodName);
        // Only each image's own class row of the head is differentiated; mixing rows up would swap the maps.
        var model = ModelStore.Get(new WeightsRequest(modelName, Random: true, Seed: 8));
        var items = new[] { new CamItem(Input("chelsea"), 281), new CamItem(Input("coffee"), 967), new CamItem(Input("chelsea"), 3) };
        var batched = CamEngine.Compute(model, items, method, model.Layers(layer), 224, null, CancellationToken.None);
        for (int i = 0; i < items.Length; i++)
        {
            var single = CamEngine.Compute(model, new[] { items[i] }, method, model.Layers(layer), 224, null, CancellationToken.None)[0];
            Assert.Equal(items[i].Target!.ClassIndex, batched[i].ClassIndex);
            Assert.Equal(single.Score, batched[i].Score, 3);
            double diff = single.Map.Zip(batched[i].Map, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(diff <= 1e-4, $"{modelName} {method} image {i}: batched vs single max |diff| = {diff}");
        }
        double classesDiffer = batched[0].Map.Zip(batched[2].Map, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(classesDiffer > 1e-2, "two classes of the same image should give different maps");
    }

    [Fact]
    public void Gradients_never_reach_the_weights()
    {
        var model = SharedData.SqueezeNetModel;
        CamEngine.Compute(model, new[] { new CamItem(Input(), 285) }, CamMethods.Get("GradCAM"), model.Layers("features.12"), 224, null, CancellationToken.None);
        Assert.All(model.Network.parameters(), p =>
        {
            Assert.False(p.requires_grad);
            Assert.True(p.grad is null || p.grad.IsInvalid);
        });
    }

    [Fact]
    public void A_cancelled_batch_writes_nothing()
    {
        var output = Directory.CreateTempSubdirectory("hmt-cancel").FullName;
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var options = new CamJobOptions { Methods = new[] { CamMethods.Get("GradCAM") }, Preprocess = PreprocessOptions.ImageNet(), OutputPath = output + "/" };
        Assert.ThrowsAny<OperationCanceledException>(() => CamJob.Run(SharedData.SqueezeNetModel, ClassLabels.Numbered(1000),
            new[] { new CamJobItem(Path.Combine(SharedData.Images, "coffee.png"), null) }, options, SilentListener.Instance, cancelled.Token));
        Assert.Empty(Directory.GetFiles(output));
    }

    [Fact]
    public void Originals_over_the_batch_budget_are_read_again_and_give_the_same_overlays()
    {
        var images = new[] { "chelsea.png", "coffee.png", "gradcam_both.png" }.Select(n => Path.Combine(SharedData.Images, n)).ToList();
        var kept = InputBatch.Prepare(images, PreprocessOptions.ImageNet(), CancellationToken.None, keepImages: true);
        var budgeted = InputBatch.Prepare(images, PreprocessOptions.ImageNet(), CancellationToken.None, keepImages: true, keepBudget: 0);
        // Room for one of the three at most (0.15, 0.41 and 0.72 MB decoded; no two fit): the first decoded that fits is kept.
        var partial = InputBatch.Prepare(images, PreprocessOptions.ImageNet(), CancellationToken.None, keepImages: true, keepBudget: 500_000);
        try
        {
            Assert.All(kept, p => Assert.NotNull(p.Image));
            Assert.All(budgeted, p => Assert.Null(p.Image));
            Assert.All(budgeted, p => Assert.NotNull(p.Chw));
            var held = partial.Where(p => p.Image is not null).Select(p => (long)p.Image!.Total() * p.Image.ElemSize()).ToList();
            Assert.NotEmpty(held);
            Assert.True(held.Sum() <= 500_000, $"kept {held.Sum()} bytes of originals with a budget of 500000");
            Assert.Contains(partial, p => p.Image is null);
        }
        finally
        {
            foreach (var p in kept.Concat(budgeted).Concat(partial)) p.Image?.Dispose();
        }

        string Run(long budget)
        {
            var output = Directory.CreateTempSubdirectory("hmt-budget").FullName;
            var options = new CamJobOptions { Methods = new[] { CamMethods.Get("GradCAM") }, Preprocess = PreprocessOptions.ImageNet(), OutputPath = output + "/", KeepBudget = budget };
            var results = CamJob.Run(SharedData.SqueezeNetModel, ClassLabels.Numbered(1000), images.Select(i => new CamJobItem(i, null)).ToList(), options, SilentListener.Instance, CancellationToken.None);
            Assert.All(results, r => Assert.Null(r.Error));
            return output;
        }
        string all = Run(InputBatch.DefaultKeepBudget), none = Run(0);
        foreach (var name in new[] { "chelsea_cam.png", "coffee_cam.png", "gradcam_both_cam.png" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(all, name)), File.ReadAllBytes(Path.Combine(none, name)));
    }

    [Fact]
    public void Center_crop_takes_the_middle_of_the_resized_image()
    {
        using var image = new OpenCvSharp.Mat(300, 600, OpenCvSharp.MatType.CV_8UC3, OpenCvSharp.Scalar.All(0));
        // A white stripe at the far left is cropped away; the middle stays black.
        image[new OpenCvSharp.Rect(0, 0, 100, 300)].SetTo(OpenCvSharp.Scalar.All(255));
        var stretch = Preprocessor.ToChw(image, PreprocessOptions.ImageNet(ResizeMode.Stretch));
        var crop = Preprocessor.ToChw(image, PreprocessOptions.ImageNet(ResizeMode.CenterCrop));
        float white = (1f - 0.485f) / 0.229f, black = (0f - 0.485f) / 0.229f;
        Assert.Equal(white, stretch[112 * 224 + 5], 4);
        Assert.Equal(black, crop[112 * 224 + 5], 4);
    }

    [Fact]
    public void Layer_names_follow_torchvision_and_keras()
    {
        var layers = LayerCatalog.Describe("vgg16");
        var conv = layers.Single(l => l.Name == "features.29");
        Assert.Contains("block5_conv3", conv.Aliases);
        Assert.True(conv.IsDefault);
        Assert.Equal(new long[] { 1, 512, 14, 14 }, conv.OutputShape);
        Assert.Contains("fc1", layers.Single(l => l.Name == "classifier.1").Aliases);
        var resnet = LayerCatalog.Describe("resnet50");
        Assert.Equal(new long[] { 1, 2048, 7, 7 }, resnet.Single(l => l.IsDefault).OutputShape);
        var ex = Assert.Throws<HeatmapToolsException>(() => SharedData.SqueezeNetModel.ResolveLayer("block5_conv3"));
        Assert.Equal(ErrorIds.UnknownLayer, ex.ErrorId);
    }

    [Fact]
    public void Cancelling_from_inside_the_first_write_stops_the_batch_and_leaves_only_whole_files()
    {
        var output = Directory.CreateTempSubdirectory("hmt-cancel").FullName;
        try
        {
            var photos = Enumerable.Range(0, 8).Select(i => Path.Combine(SharedData.Images, i % 2 == 0 ? "chelsea.png" : "coffee.png")).ToList();
            using var stop = new CancellationTokenSource();
            int writes = 0;
            var options = new CamJobOptions
            {
                Methods = new[] { CamMethods.Default }, Preprocess = PreprocessOptions.ImageNet(), OutputPath = output + "/{name}_{class}.png",
                Writing = _ => { if (Interlocked.Increment(ref writes) == 1) stop.Cancel(); },
            };
            var items = photos.Select((p, i) => new CamJobItem(p, new[] { i })).ToList();
            Assert.ThrowsAny<OperationCanceledException>(() => CamJob.Run(SharedData.SqueezeNetModel, ClassLabels.Numbered(1000), items, options, SilentListener.Instance, stop.Token));
            var files = Directory.GetFiles(output, "*", new EnumerationOptions { AttributesToSkip = 0 });
            Assert.DoesNotContain(files, f => f.EndsWith(".tmp"));
            Assert.True(files.Length < items.Count, $"{files.Length} of {items.Count} written: the cancellation did not stop the batch");
            foreach (var file in files)
            {
                using var image = OpenCvSharp.Cv2.ImRead(file);
                Assert.False(image.Empty(), $"{file} is not a whole PNG");
            }
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
