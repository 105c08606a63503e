using HeatmapTools.Engine.Imaging;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Attribution;

/// <summary>An image baseline as the network takes it: C x H x W values at the network input.</summary>
public sealed record PreparedBaseline(string Path, float[] Chw, InputShape Shape);

/// <summary>
/// What an attribution compares the input with (Captum's <c>baselines</c>): zeros, the input blurred, uniform noise over
/// the input's range, or an image the user gives, prepared exactly as the input is.
/// </summary>
public static class AttributionBaselines
{
    /// <summary>1 x C x H x W.</summary>
    public static Tensor Of(AttributionContext context)
    {
        var input = context.Input;
        var options = context.Options;
        switch (options.Baseline)
        {
            case AttributionBaseline.Blur:
                return Trust.DeletionInsertion.Blur(input[0]).unsqueeze(0);
            case AttributionBaseline.Uniform:
            {
                // One generator per image, seeded alike: an image's baseline does not depend on its batch.
                using var random = new Generator((ulong)options.TunnelSeed);
                var low = input.min();
                return low + rand(input.shape, ScalarType.Float32, generator: random).to_type(input.dtype) * (input.max() - low);
            }
            case AttributionBaseline.Image:
            {
                var image = options.BaselineImage ?? throw new HeatmapToolsException(ErrorIds.BaselineInvalid, ErrorKind.InvalidArgument,
                    "-Baseline Image needs -BaselineImage: the image to compare the input with.", options.BaselineImagePath);
                var shape = new InputShape((int)input.shape[1], (int)input.shape[2], (int)input.shape[3]);
                if (image.Shape != shape)
                    throw new HeatmapToolsException(ErrorIds.BaselineInvalid, ErrorKind.InvalidArgument,
                        $"The baseline image '{image.Path}' enters the network as {image.Shape.Channels} x {image.Shape.Height} x {image.Shape.Width} and this input as " +
                        $"{shape.Channels} x {shape.Height} x {shape.Width}: a baseline must have the input's shape (give both the same size, or a fixed -InputSize).", image.Path);
                return tensor(image.Chw, new long[] { 1, shape.Channels, shape.Height, shape.Width }).to_type(input.dtype);
            }
            default:
                return zeros_like(input);
        }
    }

    /// <summary>
    /// The options with their baseline image read and prepared with the model's preprocessing (resize, normalisation,
    /// channels), as its inputs are; unchanged for the other baselines.
    /// </summary>
    public static AttributionOptions Prepare(AttributionOptions options, PreprocessOptions preprocess, CancellationToken cancellation)
    {
        if (options.Baseline != AttributionBaseline.Image) return options;
        if (options.BaselineImagePath is not { Length: > 0 } path)
            throw new HeatmapToolsException(ErrorIds.BaselineInvalid, ErrorKind.InvalidArgument,
                "-Baseline Image needs -BaselineImage: the image to compare the input with.", null);
        var prepared = InputBatch.Prepare(new[] { path }, preprocess, cancellation)[0];
        if (prepared.Error is { } error)
            throw new HeatmapToolsException(ErrorIds.BaselineInvalid, ErrorKind.InvalidArgument, $"The baseline image cannot be used: {error.Message}", path, error);
        return options with { BaselineImage = new PreparedBaseline(path, prepared.Chw!, prepared.Shape) };
    }
}
