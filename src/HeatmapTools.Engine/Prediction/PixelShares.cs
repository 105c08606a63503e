namespace HeatmapTools.Engine.Prediction;

/// <summary>
/// What a segmentation model says of one image: the category of each pixel of the network input (the highest output
/// there) and each category's share of the pixels, which ranks categories as probabilities rank a classifier's classes.
/// </summary>
public sealed record PixelShares(byte[] Categories, int Height, int Width, double[] Shares, float[] MeanOutputs)
{
    /// <summary>From one image's output, categories x height x width in row-major order.</summary>
    public static PixelShares Of(float[] output, int height, int width)
    {
        int pixels = height * width, count = output.Length / pixels;
        if (count * pixels != output.Length || count is < 1 or > 256)
            throw new HeatmapToolsException(ErrorIds.ScoreNotFinite, ErrorKind.InvalidResult,
                $"A segmentation output of {output.Length} values is not a map per category at {width} x {height} pixels.", output.Length);
        var categories = new byte[pixels];
        var counts = new int[count];
        var sums = new double[count];
        for (int p = 0; p < pixels; p++)
        {
            int best = 0;
            float bestValue = output[p];
            for (int c = 1; c < count; c++)
            {
                float v = output[c * pixels + p];
                if (v > bestValue) (best, bestValue) = (c, v);
            }
            categories[p] = (byte)best;
            counts[best]++;
        }
        for (int c = 0; c < count; c++)
            for (int p = 0; p < pixels; p++) sums[c] += output[c * pixels + p];
        return new PixelShares(categories, height, width, counts.Select(n => (double)n / pixels).ToArray(), sums.Select(s => (float)(s / pixels)).ToArray());
    }
}
