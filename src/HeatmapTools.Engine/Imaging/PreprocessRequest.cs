using System.Globalization;
using HeatmapTools.Engine.Models;

namespace HeatmapTools.Engine.Imaging;

/// <summary>
/// What the user (or a model's sidecar file) said about preprocessing; anything left out falls back to the sidecar,
/// then to the model (an ONNX graph's declared input), then to ImageNet at the architecture's size.
/// </summary>
public sealed record PreprocessRequest
{
    /// <summary>"224", "320,256" (width, height) or "Native" (each image at its own size).</summary>
    public string? InputSize { get; init; }
    public float[]? Mean { get; init; }
    public float[]? Std { get; init; }
    public Normalization? Normalization { get; init; }
    public int? Channels { get; init; }
    public ResizeMode? Resize { get; init; }
    /// <summary>Stain normalisation before the network (-StainNormalization), to the stain of <see cref="StainTarget"/>.</summary>
    public StainMethod? StainNormalization { get; init; }
    /// <summary>The reference tile's full path.</summary>
    public string? StainTarget { get; init; }
    /// <summary>-StainMatrix for Custom: six numbers (two stains' R, G, B optical density) or nine.</summary>
    public double[]? StainMatrix { get; init; }

    /// <summary>The model's settings file this request was read from, so a refusal names it rather than a parameter.</summary>
    public string? SettingsFile { get; init; }

    /// <summary>The settings taken from a settings file (InputSize, Channels, Mean, Std), and which file.</summary>
    private IReadOnlySet<string> FromFile { get; init; } = new HashSet<string>();
    private string? FromFileName { get; init; }

    /// <summary>This request over <paramref name="fallback"/>: each setting given here wins.</summary>
    public PreprocessRequest Over(PreprocessRequest? fallback) => fallback is null ? this : new PreprocessRequest
    {
        InputSize = InputSize ?? fallback.InputSize,
        Mean = Mean ?? fallback.Mean,
        Std = Std ?? fallback.Std,
        Normalization = Normalization ?? fallback.Normalization,
        Channels = Channels ?? fallback.Channels,
        Resize = Resize ?? fallback.Resize,
        // A stain setting travels whole: a method from one place and a target from another would be neither's.
        StainNormalization = StainNormalization ?? fallback.StainNormalization,
        StainTarget = StainNormalization is null ? fallback.StainTarget : StainTarget,
        StainMatrix = StainNormalization is null ? fallback.StainMatrix : StainMatrix,
        FromFileName = fallback.SettingsFile ?? fallback.FromFileName,
        FromFile = new HashSet<string>(new[] { (InputSize, fallback.InputSize, "InputSize"), (Channels?.ToString(), fallback.Channels?.ToString(), "Channels"),
                (Mean is null ? null : "", fallback.Mean is null ? null : "", "Mean"), (Std is null ? null : "", fallback.Std is null ? null : "", "Std") }
            .Where(t => t.Item1 is null && t.Item2 is not null).Select(t => t.Item3).Concat(fallback.FromFile)),
    };

    /// <summary>How a refusal names a setting: the parameter, or the key of the settings file it came from.</summary>
    private string Said(string setting, string value) =>
        FromFile.Contains(setting) && FromFileName is { } file
            ? $"'{char.ToLowerInvariant(setting[0])}{setting[1..]}' {value} in the model's settings file '{file}'"
            : $"-{(setting == "Channels" ? "InputChannels" : setting)} {value}";

    /// <summary>
    /// The preprocessing for <paramref name="info"/>. Refused (PreprocessInvalid) when it cannot be what the network
    /// takes: another channel count or size than a graph declares, a mean or std of the wrong length, a zero std.
    /// </summary>
    public PreprocessOptions Resolve(ArchitectureInfo info) => (info.DefaultPreprocess is { } expected ? Over(expected) : this).ResolveOver(info);

    private PreprocessOptions ResolveOver(ArchitectureInfo info)
    {
        int channels = Channels ?? info.InputChannels;
        if (channels is not (1 or 3)) throw Invalid($"{Said("Channels", channels.ToString(CultureInfo.InvariantCulture))}: images become 1 (grey) or 3 (RGB) channels.");
        if (channels != info.InputChannels)
            throw Invalid($"{info.Name} takes {info.InputChannels}-channel input; {Said("Channels", channels.ToString(CultureInfo.InvariantCulture))} would feed it something else." +
                          (info.SourceFile is null ? " The built-in architectures take three channels; -InputChannels 1 is for ONNX graphs of one-channel input (export a grey model with torch.onnx.export)." : ""));
        var (width, height, native) = ParseSize(InputSize, info);
        // Refused before any image: a graph of a fixed size fed another (or each image at its own size) fails inside it.
        if (info.SourceFile is not null && info.InputWidth > 0 && (native || width != info.Width || height != info.Height))
            throw Invalid($"{info.Name} declares a fixed {info.Width} x {info.Height} input; {Said("InputSize", InputSize ?? "")} would feed it " +
                          (native ? "each image at its own size." : "another size."));
        var normalization = Normalization ?? (Mean is null && Std is null ? HeatmapTools.Normalization.ImageNet : HeatmapTools.Normalization.None);
        float[] mean, std;
        float scale = 1f / 255;
        bool bgr = false;
        switch (normalization)
        {
            case HeatmapTools.Normalization.Caffe:
                if (channels != 3) throw Invalid("Caffe normalisation is for 3-channel (BGR) models.");
                (mean, std, scale, bgr) = (PreprocessOptions.CaffeMean, new[] { 1f, 1f, 1f }, 1f, true);
                break;
            case HeatmapTools.Normalization.ImageNet:
                // A grey model gets the mean of ImageNet's three means and stds (what averaging the first convolution's RGB filters assumes).
                (mean, std) = channels == 3 ? (PreprocessOptions.ImageNetMean, PreprocessOptions.ImageNetStd) : (new[] { 0.449f }, new[] { 0.226f });
                break;
            default:
                (mean, std) = (Enumerable.Repeat(0f, channels).ToArray(), Enumerable.Repeat(1f, channels).ToArray());
                break;
        }
        if (Mean is not null) mean = Mean.Length == 1 ? Enumerable.Repeat(Mean[0], channels).ToArray() : Mean;
        if (Std is not null) std = Std.Length == 1 ? Enumerable.Repeat(Std[0], channels).ToArray() : Std;
        if (mean.Length != channels || std.Length != channels)
            throw Invalid($"-Mean and -Std need {channels} value(s) (one per channel, or one for all); got {mean.Length} and {std.Length}.");
        if (std.Any(s => !(s > 0) || float.IsInfinity(s)) || mean.Any(m => !float.IsFinite(m)))
            throw Invalid($"-Std must be positive and -Mean finite; got mean {string.Join(",", mean)}, std {string.Join(",", std)}.");
        var mode = Resize ?? ResizeMode.Stretch;
        var stain = StainNormalization is { } method ? Stain.StainTargets.Fitted(method, StainTarget, StainMatrix) : null;
        if (StainNormalization is null && (StainTarget is not null || StainMatrix is not null))
            throw Invalid("-StainTarget and -StainMatrix need -StainNormalization (Macenko, Reinhard, Ruifrok, Vahadane or Custom).");
        // Size is the side the decoder may reduce a huge image to (never below it); a native input is not reduced.
        return new PreprocessOptions(native ? 4096 : Math.Max(width, height), mean, std, mode)
        {
            Width = width,
            Height = height,
            Channels = channels,
            Scale = scale,
            Bgr = bgr,
            Native = native,
            Stain = stain,
        };
    }

    private static (int Width, int Height, bool Native) ParseSize(string? text, ArchitectureInfo info)
    {
        if (string.IsNullOrWhiteSpace(text)) return (info.Width, info.Height, false);
        if (text.Trim().Equals("Native", StringComparison.OrdinalIgnoreCase)) return (info.Width, info.Height, true);
        var parts = text.Split(new[] { ',', 'x', 'X' }, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var values = parts.Select(p => int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : -1).ToArray();
        if (values.Length is < 1 or > 2 || values.Any(v => v is < 1 or > 4096))
            throw Invalid($"-InputSize '{text}' is not a size: give one number (a square), 'width,height', or Native; sides 1 to 4096.");
        return values.Length == 1 ? (values[0], values[0], false) : (values[0], values[1], false);
    }

    private static HeatmapToolsException Invalid(string message) => new(ErrorIds.PreprocessInvalid, ErrorKind.InvalidArgument, message);
}
