using HeatmapTools.Engine.Cam;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>The vectorised map arithmetic gives bit for bit what the reference's element-wise formulas give.</summary>
public class CamPostProcessorTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(169)]
    [InlineData(50176)]
    public void Relu_and_min_max_scaling_equal_plain_element_wise_loops(int length)
    {
        var rng = new Random(length);
        var values = Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() * 20 - 7)).ToArray();
        if (length > 3)
        {
            values[1] = float.NaN;
            values[2] = -0f;
        }

        var expected = values.ToArray();
        for (int i = 0; i < expected.Length; i++) expected[i] = expected[i] > 0 ? expected[i] : 0;
        float min = expected.Min();
        for (int i = 0; i < expected.Length; i++) expected[i] -= min;
        float max = expected.Max();
        for (int i = 0; i < expected.Length; i++) expected[i] = expected[i] / (1e-7f + max);

        var actual = values.ToArray();
        CamPostProcessor.Relu(actual);
        Assert.DoesNotContain(actual, float.IsNaN);
        CamPostProcessor.MinMax(actual);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }
}
