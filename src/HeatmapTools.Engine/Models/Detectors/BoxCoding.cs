using static TorchSharp.torch;

namespace HeatmapTools.Engine.Models.Detectors;

/// <summary>torchvision's box helpers (BoxCoder.decode_single, clip_boxes_to_image), in its order of single-precision operations.</summary>
internal static class BoxCoding
{
    private static readonly double Clip = Math.Log(1000.0 / 16);

    /// <summary>
    /// Boxes from regression codes relative to reference boxes (R x 4): codes R x 4k become R x k x 4 corners, weights
    /// (wx, wy, ww, wh) dividing the codes, width and height exponents clipped at log(1000 / 16).
    /// </summary>
    public static Tensor Decode(Tensor codes, Tensor references, (float X, float Y, float W, float H) weights)
    {
        var widths = references[.., 2] - references[.., 0];
        var heights = references[.., 3] - references[.., 1];
        var centreX = references[.., 0] + 0.5f * widths;
        var centreY = references[.., 1] + 0.5f * heights;
        long k = codes.shape[1] / 4;
        var c = codes.reshape(codes.shape[0], k, 4);
        var dx = c[.., .., 0] / weights.X;
        var dy = c[.., .., 1] / weights.Y;
        var dw = (c[.., .., 2] / weights.W).clamp(max: Clip);
        var dh = (c[.., .., 3] / weights.H).clamp(max: Clip);
        var x = dx * widths.unsqueeze(1) + centreX.unsqueeze(1);
        var y = dy * heights.unsqueeze(1) + centreY.unsqueeze(1);
        var halfW = 0.5f * (dw.exp() * widths.unsqueeze(1));
        var halfH = 0.5f * (dh.exp() * heights.unsqueeze(1));
        return stack(new[] { x - halfW, y - halfH, x + halfW, y + halfH }, 2);
    }

    /// <summary>Corners clamped to an image of <paramref name="width"/> x <paramref name="height"/> (the last axis holds x1, y1, x2, y2).</summary>
    public static Tensor ClipTo(Tensor boxes, int height, int width)
    {
        var x = boxes[TensorIndex.Ellipsis, TensorIndex.Slice(0, null, 2)].clamp(0, width);
        var y = boxes[TensorIndex.Ellipsis, TensorIndex.Slice(1, null, 2)].clamp(0, height);
        return stack(new[] { x, y }, -1).reshape(boxes.shape);
    }

    /// <summary>Indices of the boxes (n x 4, as float arrays) with both sides at least <paramref name="minSize"/>.</summary>
    public static bool Large(float[] b, float minSize) => b[2] - b[0] >= minSize && b[3] - b[1] >= minSize;
}
