using HeatmapTools.Engine.Patches;
using HeatmapTools.Engine.Rendering;
using OpenCvSharp;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>Cell painting row by row, and the one image encoder.</summary>
public class CellPainterTests
{
    private static Mat Random(int width, int height, MatType type, int seed)
    {
        var image = new Mat(height, width, type);
        var bytes = new byte[width * height * image.Channels()];
        new System.Random(seed).NextBytes(bytes);
        // Copied in through a single-channel view, since SetArray wants one byte per element.
        using var flat = image.Reshape(1);
        flat.SetArray(bytes);
        return image;
    }
}
