using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;
using OpenCvSharp;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>Preprocessing per model against closed forms: Caffe's BGR mean subtraction, OpenCV's grey, native sizes, letterboxing, heads.</summary>
public class PreprocessingTests
{
    private static Mat Pixels(params (byte B, byte G, byte R)[] row)
    {
        var mat = new Mat(1, row.Length, MatType.CV_8UC3);
        for (int x = 0; x < row.Length; x++) mat.Set(0, x, new Vec3b(row[x].B, row[x].G, row[x].R));
        return mat;
    }

    private static ArchitectureInfo Info => ModelCatalog.Get("squeezenet1_1");

    [Fact]
    public void Caffe_mode_is_bgr_minus_the_imagenet_mean_in_byte_units()
    {
        using var image = Pixels((10, 200, 255), (0, 0, 0));
        var options = new PreprocessRequest { Normalization = Normalization.Caffe, InputSize = "2,1" }.Resolve(Info);
        var chw = Preprocessor.ToChw(image, options);
        Assert.Equal(6, chw.Length);
        // Channel 0 is blue, 1 green, 2 red: value minus Keras's caffe mean (103.939, 116.779, 123.68), no scaling.
        Assert.Equal(10 - 103.939f, chw[0], 4);
        Assert.Equal(200 - 116.779f, chw[2], 4);
        Assert.Equal(255 - 123.68f, chw[4], 4);
        Assert.Equal(-123.68f, chw[5], 4);
    }

    [Fact]
    public void A_grey_input_is_opencvs_luma_normalised_with_the_given_statistics()
    {
        using var image = Pixels((30, 60, 200), (255, 255, 255), (0, 0, 0));
        var info = Info with { InputChannels = 1 };
        var options = new PreprocessRequest { InputSize = "3,1", Mean = new[] { 0.5f }, Std = new[] { 0.25f } }.Resolve(info);
        var chw = Preprocessor.ToChw(image, options);
        Assert.Equal(3, chw.Length);
        // OpenCV's BGR2GRAY in fixed point: (R*4899 + G*9617 + B*1868 + 8192) >> 14.
        int grey = (200 * 4899 + 60 * 9617 + 30 * 1868 + 8192) >> 14;
        Assert.Equal((grey / 255f - 0.5f) / 0.25f, chw[0], 5);
        Assert.Equal((1f - 0.5f) / 0.25f, chw[1], 5);
        Assert.Equal(-2f, chw[2], 5);
        // Without -Mean/-Std a grey input gets the mean of ImageNet's statistics.
        var plain = new PreprocessRequest { InputSize = "3,1" }.Resolve(info);
        Assert.Equal((0 - 0.449f) / 0.226f, Preprocessor.ToChw(image, plain)[2], 5);
    }

    [Fact]
    public void Native_size_feeds_each_image_at_its_own_size_and_batches_by_size()
    {
        var model = SharedData.SqueezeNetModel;
        var options = new PreprocessRequest { InputSize = "Native" }.Resolve(model.Info);
        string dir = Directory.CreateTempSubdirectory("hmt-native").FullName;
        try
        {
            using var source = ImageReader.ReadBgr(Path.Combine(SharedData.Images, "chelsea.png"));
            var paths = new List<string>();
            foreach (var (w, h) in new[] { (50, 50), (64, 48), (50, 50) })
            {
                using var patch = new Mat();
                Cv2.Resize(source, patch, new Size(w, h), 0, 0, InterpolationFlags.Area);
                string path = Path.Combine(dir, $"p{paths.Count}_{w}x{h}.png");
                patch.SaveImage(path);
                paths.Add(path);
            }
            var prepared = InputBatch.Prepare(paths, options, CancellationToken.None);
            Assert.Equal(new InputShape(3, 48, 64), prepared[1].Shape);
            Assert.Equal(3 * 50 * 50, prepared[0].Chw!.Length);
            var batch = Predictor.PredictBatch(model, ClassLabels.ForModel(1000, dir), paths, options, 1, CancellationToken.None);
            for (int i = 0; i < paths.Count; i++)
            {
                var alone = Predictor.Logits(model, new[] { prepared[i].Chw! }, prepared[i].Shape)[0];
                var together = batch[i].Value!.Logits;
                Assert.Equal(alone.Length, together.Length);
                // Equal up to float rounding (a batch may take another convolution algorithm).
                Assert.True(alone.Zip(together).All(p => Math.Abs(p.First - p.Second) <= 1e-4 * Math.Max(1, Math.Abs(p.First))), $"image {i}");
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_letterboxed_map_is_cut_back_to_the_band_the_image_filled()
    {
        // A 200 x 100 image in a 64 x 64 input: scaled by 0.32 to 64 x 32, centred 16 rows down.
        var band = Preprocessor.Letterbox(200, 100, 64, 64);
        Assert.Equal(new Rect(0, 16, 64, 32), band);
        var map = new float[64 * 64];
        for (int y = 16; y < 48; y++) for (int x = 0; x < 64; x++) map[y * 64 + x] = y;
        var result = MapPlacement.Unletterbox(new CamResult(map, 64, 64, 0, 1f), new PreparedImage { Path = "x", Width = 200, Height = 100 });
        Assert.Equal(64, result.Width);
        Assert.Equal(32, result.Height);
        Assert.Equal(16f, result.Map[0]);
        Assert.Equal(47f, result.Map[^1]);
    }

    [Fact]
    public void Heads_give_softmax_independent_sigmoids_or_refuse_what_is_not_a_probability()
    {
        var logits = new[] { 2f, -1f, 0.5f };
        var labels = new[] { "a", "b", "c" };
        var sigmoid = ClassProbabilities.FromLogits(logits, labels, HeadActivation.Sigmoid);
        for (int i = 0; i < 3; i++) Assert.Equal(1 / (1 + Math.Exp(-logits[i])), sigmoid.Values[i], 12);
        var softmax = ClassProbabilities.FromLogits(logits, labels);
        Assert.Equal(1.0, softmax.Values.Sum(), 12);
        var given = ClassProbabilities.FromLogits(new[] { 0.7f, 0.2f, 0.1f }, labels, HeadActivation.None);
        Assert.Equal(0.7f, (float)given.Values[0]);
        var e = Assert.Throws<HeatmapToolsException>(() => ClassProbabilities.FromLogits(logits, labels, HeadActivation.None, item: "x.png"));
        Assert.Equal(ErrorIds.HeadNotProbability, e.ErrorId);
        Assert.Equal(HeadActivation.None, ClassProbabilities.Resolve(HeadActivation.Auto, 3, outputIsProbability: true));
        Assert.Equal(HeadActivation.Sigmoid, ClassProbabilities.Resolve(HeadActivation.Auto, 1, outputIsProbability: false));
    }
}

/// <summary>A centre-cropped input's map goes back where the crop came from, so overlays line up with what the network saw.</summary>
public class CenterCropMapTests
{
    [Fact]
    public void The_map_of_a_crop_sits_at_the_crop_in_the_scaled_image_and_the_rest_is_cold()
    {
        // 400 x 200 scaled so the shorter side is 256 (for a 224 input): 512 x 256; the crop is 224 square from x=144, y=16.
        var (w, h, crop) = Preprocessor.CenterCrop(400, 200, 224);
        Assert.Equal((512, 256), (w, h));
        Assert.Equal(new Rect(144, 16, 224, 224), crop);
        var map = Enumerable.Repeat(1f, 224 * 224).ToArray();
        var result = MapPlacement.Uncrop(new CamResult(map, 224, 224, 0, 1f), new PreparedImage { Path = "x", Width = 400, Height = 200 });
        Assert.Equal(512, result.Width);
        Assert.Equal(256, result.Height);
        Assert.Equal(0f, result.Map[0]);
        Assert.Equal(1f, result.Map[16 * 512 + 144]);
        Assert.Equal(0f, result.Map[16 * 512 + 143]);
        Assert.Equal(224 * 224, result.Map.Count(v => v == 1f));
    }
}
