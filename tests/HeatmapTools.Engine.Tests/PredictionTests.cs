using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;
using Xunit;

namespace HeatmapTools.Engine.Tests;

public class PredictionTests
{
    public static IEnumerable<object[]> Photos() =>
        SharedData.Cases().Where(c => c.Folder.EndsWith("squeezenet1_1")).Select(c => new object[] { Path.GetFileName(c.Image) });

    private static SharedData.Case CaseFor(string image) => SharedData.Cases().First(c => Path.GetFileName(c.Image) == image);

    [Theory]
    [MemberData(nameof(Photos))]
    public void Preprocessing_reproduces_the_reference_input(string image)
    {
        var reference = Npy.ReadFloat32(CaseFor(image).Stem + ".input.npy");
        using var bgr = ImageReader.ReadBgr(Path.Combine(SharedData.Images, image));
        var ours = Preprocessor.ToChw(bgr, PreprocessOptions.ImageNet());
        Assert.Equal(new[] { 1, 3, 224, 224 }, reference.Shape);
        Assert.Equal(reference.Data.Length, ours.Length);
        double maxDiff = ours.Zip(reference.Data, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxDiff <= 1e-5, $"max |diff| = {maxDiff}");
    }

    [Theory]
    [MemberData(nameof(Photos))]
    public void SqueezeNet_logits_match_the_reference(string image)
    {
        var c = CaseFor(image);
        var input = Npy.ReadFloat32(c.Stem + ".input.npy");
        var reference = Npy.ReadFloat32(c.Stem + ".logits.npy");
        var logits = Predictor.Logits(SharedData.SqueezeNetModel, new[] { input.Data }, 224)[0];
        double maxDiff = logits.Zip(reference.Data, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxDiff <= 1e-3, $"max |diff| = {maxDiff}");
    }

    [Theory]
    [InlineData("chelsea.png", 285, "Egyptian_cat")]
    [InlineData("coffee.png", 967, "espresso")]
    [InlineData("gradcam_both.png", 242, "boxer")]
    public void SqueezeNet_classifies_the_photos(string image, int expectedClass, string expectedLabel)
    {
        var labels = ClassLabels.FromFile(Path.Combine(SharedData.Models, ClassLabels.ImageNetIndexFile));
        var result = Predictor.PredictBatch(SharedData.SqueezeNetModel, labels, new[] { Path.Combine(SharedData.Images, image) },
            PreprocessOptions.ImageNet(), 3, CancellationToken.None).Single();
        Assert.Null(result.Error);
        var top = result.Value!.Top;
        Assert.Equal(3, top.Count);
        Assert.Equal(expectedClass, top[0].ClassIndex);
        Assert.Equal(expectedLabel, top[0].Label);
        Assert.True(top[0].Probability > top[1].Probability);
    }

    [Fact]
    public void A_pth_state_dict_gives_the_same_network_as_safetensors()
    {
        var fromPth = ModelStore.Get(new WeightsRequest("squeezenet1_1", WeightsPath: SharedData.SqueezeNetPth));
        var c = SharedData.Cases().First();
        var input = Npy.ReadFloat32(c.Stem + ".input.npy").Data;
        var a = Predictor.Logits(fromPth, new[] { input }, 224)[0];
        var b = Predictor.Logits(SharedData.SqueezeNetModel, new[] { input }, 224)[0];
        Assert.Equal(a, b);
    }

    [Fact]
    public void A_corrupt_image_fails_alone_in_its_batch()
    {
        var dir = Directory.CreateTempSubdirectory("hmt-corrupt");
        var broken = Path.Combine(dir.FullName, "broken.png");
        File.WriteAllBytes(broken, new byte[] { 0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4, 5 });
        var empty = Path.Combine(dir.FullName, "empty.jpg");
        File.WriteAllBytes(empty, Array.Empty<byte>());
        var good = Path.Combine(SharedData.Images, "coffee.png");
        var results = Predictor.PredictBatch(SharedData.SqueezeNetModel, ClassLabels.Numbered(1000), new[] { broken, good, empty },
            PreprocessOptions.ImageNet(), 1, CancellationToken.None);
        Assert.Equal(ErrorIds.ImageUnreadable, results[0].Error!.ErrorId);
        Assert.Contains("broken.png", results[0].Error!.Message);
        Assert.Equal(967, results[1].Value!.Top[0].ClassIndex);
        Assert.Equal(ErrorIds.ImageUnreadable, results[2].Error!.ErrorId);
        Assert.Contains("empty", results[2].Error!.Message);
    }

    [Fact]
    public void Grayscale_and_alpha_images_become_three_channels()
    {
        var dir = Directory.CreateTempSubdirectory("hmt-channels");
        using var gray = new OpenCvSharp.Mat(10, 12, OpenCvSharp.MatType.CV_8UC1, OpenCvSharp.Scalar.All(100));
        OpenCvSharp.Cv2.ImWrite(Path.Combine(dir.FullName, "g.png"), gray);
        using var rgba = new OpenCvSharp.Mat(10, 12, OpenCvSharp.MatType.CV_8UC4, new OpenCvSharp.Scalar(0, 0, 255, 0));
        OpenCvSharp.Cv2.ImWrite(Path.Combine(dir.FullName, "a.png"), rgba);
        using var g = ImageReader.ReadBgr(Path.Combine(dir.FullName, "g.png"));
        using var a = ImageReader.ReadBgr(Path.Combine(dir.FullName, "a.png"));
        Assert.Equal(3, g.Channels());
        Assert.Equal(100, g.At<OpenCvSharp.Vec3b>(5, 5).Item1);
        // Fully transparent red shows as the white behind it.
        Assert.Equal(new OpenCvSharp.Vec3b(255, 255, 255), a.At<OpenCvSharp.Vec3b>(5, 5));
    }

    [Fact]
    public void A_jpeg_with_an_exif_orientation_is_read_upright()
    {
        // 40x20, blue on its left quarter, stored with EXIF orientation 6: a viewer turns it a quarter clockwise.
        using var wide = new OpenCvSharp.Mat(20, 40, OpenCvSharp.MatType.CV_8UC3, new OpenCvSharp.Scalar(0, 0, 255));
        using (var left = wide[new OpenCvSharp.Rect(0, 0, 10, 20)]) left.SetTo(new OpenCvSharp.Scalar(255, 0, 0));
        byte[] jpeg = wide.ImEncode(".jpg");
        // A minimal APP1 Exif segment: little-endian TIFF header, one IFD entry Orientation (0x0112), SHORT, 1, value 6.
        byte[] tiff = { (byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0 };
        int length = 2 + 6 + tiff.Length;
        byte[] app1 = new byte[] { 0xFF, 0xE1, (byte)(length >> 8), (byte)length }.Concat("Exif\0\0"u8.ToArray()).Concat(tiff).ToArray();
        var path = Path.Combine(Directory.CreateTempSubdirectory("hmt-exif").FullName, "phone.jpg");
        File.WriteAllBytes(path, jpeg.Take(2).Concat(app1).Concat(jpeg.Skip(2)).ToArray());

        using var image = ImageReader.ReadBgr(path);
        Assert.Equal((20, 40), (image.Width, image.Height));
        var top = image.At<OpenCvSharp.Vec3b>(3, 10);
        var bottom = image.At<OpenCvSharp.Vec3b>(35, 10);
        Assert.True(top.Item0 > 200 && top.Item2 < 60, $"the left (blue) quarter turns to the top: {top}");
        Assert.True(bottom.Item2 > 200 && bottom.Item0 < 60, $"red below it: {bottom}");
    }
}
