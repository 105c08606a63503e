using static TorchSharp.torch;

namespace HeatmapTools.Engine.Models.Detectors;

/// <summary>torchvision's AnchorGenerator: cell anchors per level and their grid over a level of the padded batch.</summary>
internal static class Anchors
{
    /// <summary>
    /// AnchorGenerator's cell anchors for one level: per aspect ratio (outer) and size (inner), a box centred on 0 with
    /// height size x sqrt(ratio) and width size / sqrt(ratio), rounded half to even, in single precision.
    /// </summary>
    public static float[] Cell(int[] sizes, float[] ratios)
    {
        var result = new List<float>();
        foreach (var ratio in ratios)
        {
            float hRatio = MathF.Sqrt(ratio), wRatio = 1 / hRatio;
            foreach (var size in sizes)
            {
                float w = wRatio * size, h = hRatio * size;
                result.AddRange(new[] { -w / 2, -h / 2, w / 2, h / 2 }.Select(v => MathF.Round(v, MidpointRounding.ToEven)));
            }
        }
        return result.ToArray();
    }

    /// <summary>Every location's anchors (location by location, row-major; the cell's anchors inner), as AnchorGenerator lays them out.</summary>
    public static Tensor Grid(float[] cell, long height, long width, RcnnPass pass)
    {
        // The stride is the padded batch over the level, in whole pixels: a 13-row level of an 800-row batch steps by 61.
        long strideH = pass.PaddedHeight / height, strideW = pass.PaddedWidth / width;
        var shiftX = arange(0, width, dtype: ScalarType.Int32) * strideW;
        var shiftY = arange(0, height, dtype: ScalarType.Int32) * strideH;
        var grid = meshgrid(new[] { shiftY, shiftX }, indexing: "ij");
        var (y, x) = (grid[0].reshape(-1), grid[1].reshape(-1));
        var shifts = stack(new[] { x, y, x, y }, 1);
        var baseAnchors = tensor(cell, new long[] { cell.Length / 4, 4 });
        return (shifts.view(-1, 1, 4) + baseAnchors.view(1, -1, 4)).reshape(-1, 4);
    }
}
