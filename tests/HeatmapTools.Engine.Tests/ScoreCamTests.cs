using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Cam.Methods;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Tests;

public class ScoreCamTests
{
    [Theory]
    [InlineData(13, 13, 224, 224)]
    [InlineData(7, 5, 224, 100)]
    [InlineData(1, 4, 9, 1)]
    [InlineData(2, 2, 2, 2)]
    public void Upsampling_matrices_give_what_bilinear_interpolation_with_aligned_corners_gives(int h, int w, int outH, int outW)
    {
        using var scope = NewDisposeScope();
        // A generator of its own: reseeding torch's global one here would change the weights of a seeded model another
        // test builds at the same moment (the zoo tests' seeded mnasnet1_3 once came out with a constant map).
        using var random = new Generator(3);
        var maps = rand(new long[] { 4, h, w }, generator: random) * 50;
        var expected = nn.functional.interpolate(maps.unsqueeze(0), new long[] { outH, outW }, mode: InterpolationMode.Bilinear, align_corners: true)[0];
        var actual = matmul(matmul(ScoreCam.Upsampling(outH, h), maps), ScoreCam.Upsampling(outW, w).t());
        Assert.Equal(expected.shape, actual.shape);
        float worst = (expected - actual).abs().max().item<float>();
        Assert.True(worst < 1e-4f, $"largest difference {worst} on values up to 50");
    }
}
