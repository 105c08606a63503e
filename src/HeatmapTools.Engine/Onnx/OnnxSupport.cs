namespace HeatmapTools.Engine.Onnx;

/// <summary>
/// Attribute values an operator's implementation does not cover, found at load so a graph is refused before any image
/// runs rather than failing part-way through a folder.
/// </summary>
internal static class OnnxSupport
{
    public static void CheckAttributes(IEnumerable<OnnxNode> nodes)
    {
        foreach (var n in nodes)
        {
            string? problem = n.Op switch
            {
                "Resize" or "Upsample" => Resize(n),
                "Pad" => n.String("mode", "constant") is "constant" or "reflect" or "edge" ? null : $"pad mode '{n.String("mode", "")}'",
                "ConvTranspose" => n.Has("output_shape") || n.String("auto_pad", "NOTSET") != "NOTSET" ? "output_shape or auto_pad on a transposed convolution" : null,
                "Conv" or "MaxPool" or "AveragePool" => n.String("auto_pad", "NOTSET") is "NOTSET" or "SAME_UPPER" or "SAME_LOWER" or "VALID" ? null : $"auto_pad '{n.String("auto_pad", "")}'",
                "ScatterND" => n.String("reduction", "none") is "none" or "add" ? null : $"ScatterND reduction '{n.String("reduction", "")}'",
                "Gelu" => n.String("approximate", "none") is "none" or "tanh" ? null : $"GELU approximation '{n.String("approximate", "")}'",
                _ => null,
            };
            if (problem is not null) throw OnnxOps.NotSupported(n, problem);
        }
    }

    private static string? Resize(OnnxNode n)
    {
        string mode = n.String("mode", "nearest");
        string transform = n.String("coordinate_transformation_mode", "half_pixel");
        return mode switch
        {
            "nearest" => (transform, n.String("nearest_mode", "round_prefer_floor")) is ("asymmetric", "floor") or ("half_pixel" or "pytorch_half_pixel", "round_prefer_ceil")
                ? null : $"nearest resizing with {transform} coordinates and {n.String("nearest_mode", "round_prefer_floor")} rounding",
            "linear" or "bilinear" => transform is "half_pixel" or "pytorch_half_pixel" or "align_corners" ? null : $"linear resizing with {transform} coordinates",
            "cubic" => transform is "half_pixel" or "pytorch_half_pixel" or "align_corners" && n.Float("cubic_coeff_a", -0.75f) == -0.75f && n.Int("exclude_outside", 0) == 0
                ? null : $"cubic resizing with {transform} coordinates",
            _ => $"resize mode '{mode}'",
        };
    }
}
