using System.Collections.Concurrent;
using System.Text.Json;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Prediction;

namespace HeatmapTools.Engine.Models;

/// <summary>
/// What a model folder says about its model, in <c>&lt;model&gt;.json</c> beside the ONNX graph or the weights file, so a
/// team ships one folder per model and nobody retypes its preprocessing:
/// <code>
/// { "labels": ["normal", "tumour"] or "labels.txt", "inputSize": 50 or [320, 256] or "Native", "channels": 1,
///   "normalization": "ImageNet" | "Caffe" | "None", "mean": [0.5], "std": [0.25], "resize": "Stretch" | "CenterCrop" | "Letterbox",
///   "headActivation": "Softmax" | "Sigmoid" | "None", "defaultLayer": "features.7", "positiveClass": "tumour",
///   "stainNormalization": "Macenko" | "Reinhard" | "Ruifrok" | "Vahadane" | "Custom", "stainTarget": "reference.png",
///   "stainMatrix": [[0.65, 0.70, 0.29], [0.07, 0.99, 0.11]], "detectionOutput": "YoloV8" | "YoloV5" }
/// </code>
/// Every key is optional; a parameter given on the command line wins over the file. Relative paths (labels, stainTarget)
/// are read from the file's folder, so a team ships its stain reference beside the model.
/// </summary>
public sealed record ModelSidecar(string Path)
{
    public PreprocessRequest Preprocess { get; init; } = new();
    public string[]? Labels { get; init; }
    public string? LabelsFile { get; init; }
    public HeadActivation? HeadActivation { get; init; }
    public string? DefaultLayer { get; init; }

    /// <summary>A detector's output layout (YoloV8, YoloV5) when its shape alone should not decide it.</summary>
    public string? DetectionOutput { get; init; }
    public Prediction.PositiveClass? PositiveClass { get; init; }

    /// <summary>A stamp of a model file's sidecar (its time, or none), for caches of models built with it.</summary>
    public static string Stamp(string? modelFile)
    {
        if (modelFile is null) return "";
        string path = System.IO.Path.ChangeExtension(modelFile, ".json");
        return File.Exists(path) ? File.GetLastWriteTimeUtc(path).Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none";
    }

    /// <summary>The architecture with the sidecar's default layer, when it names one.</summary>
    public static ArchitectureInfo Apply(ArchitectureInfo info, ModelSidecar? sidecar) =>
        sidecar?.DefaultLayer is { } layer ? info with { DefaultLayer = layer, DefaultLayerFrom = sidecar.Path } : info;

    private static readonly ConcurrentDictionary<string, ModelSidecar?> Cache = new(StringComparer.Ordinal);

    /// <summary>The sidecar of a model file (graph or weights), or null when there is none.</summary>
    public static ModelSidecar? For(string? modelFile)
    {
        if (modelFile is null) return null;
        string path = System.IO.Path.ChangeExtension(modelFile, ".json");
        if (!File.Exists(path)) return null;
        return Cache.GetOrAdd($"{path}|{File.GetLastWriteTimeUtc(path).Ticks}", _ => Read(path));
    }

    private static ModelSidecar Read(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("it is not a JSON object");
            var known = new[] { "labels", "inputSize", "channels", "normalization", "mean", "std", "resize", "headActivation", "defaultLayer", "positiveClass", "stainNormalization", "stainTarget", "stainMatrix", "detectionOutput" };
            foreach (var p in root.EnumerateObject())
                if (!known.Contains(p.Name, StringComparer.OrdinalIgnoreCase))
                    throw new FormatException($"'{p.Name}' is not a key it can have ({string.Join(", ", known)})");
            JsonElement? Get(string name) => root.EnumerateObject().Where(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(p => (JsonElement?)p.Value).FirstOrDefault();
            T? Enum<T>(string name) where T : struct, System.Enum =>
                Get(name) is { } e ? System.Enum.TryParse<T>(e.GetString(), true, out var v) ? v : throw new FormatException($"'{name}' is '{e}', not one of {string.Join(", ", System.Enum.GetNames<T>())}") : null;
            float[]? Floats(string name) => Get(name) is { } e ? e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().Select(x => x.GetSingle()).ToArray() : new[] { e.GetSingle() } : null;
            string? size = Get("inputSize") is { } s ? s.ValueKind switch
            {
                JsonValueKind.Number => s.GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture),
                JsonValueKind.Array => string.Join(",", s.EnumerateArray().Select(x => x.GetInt32())),
                _ => s.GetString(),
            } : null;
            var labels = Get("labels");
            string dir = System.IO.Path.GetDirectoryName(path)!;
            return new ModelSidecar(path)
            {
                Preprocess = new PreprocessRequest
                {
                    SettingsFile = path,
                    InputSize = size,
                    Channels = Get("channels")?.GetInt32(),
                    Normalization = Enum<Normalization>("normalization"),
                    Mean = Floats("mean"),
                    Std = Floats("std"),
                    Resize = Enum<ResizeMode>("resize"),
                    StainNormalization = Enum<StainMethod>("stainNormalization"),
                    StainTarget = Get("stainTarget") is { } target ? System.IO.Path.GetFullPath(target.GetString() ?? throw new FormatException("'stainTarget' is not a file name"), dir) : null,
                    StainMatrix = Get("stainMatrix") is { } matrix ? matrix.EnumerateArray()
                        .SelectMany(x => x.ValueKind == JsonValueKind.Array ? x.EnumerateArray().Select(y => y.GetDouble()) : new[] { x.GetDouble() }).ToArray() : null,
                },
                Labels = labels is { ValueKind: JsonValueKind.Array } a ? a.EnumerateArray().Select(x => x.GetString() ?? "").ToArray() : null,
                LabelsFile = labels is { ValueKind: JsonValueKind.String } f ? System.IO.Path.GetFullPath(f.GetString()!, dir) : null,
                HeadActivation = Enum<HeadActivation>("headActivation"),
                DefaultLayer = Get("defaultLayer")?.GetString(),
                DetectionOutput = Get("detectionOutput") is { } layout ? Detection.DetectionOutput.Names.FirstOrDefault(n => n.Equals(layout.GetString(), StringComparison.OrdinalIgnoreCase))
                    ?? throw new FormatException($"'detectionOutput' is '{layout}', not one of {string.Join(", ", Detection.DetectionOutput.Names)}") : null,
                PositiveClass = Get("positiveClass") is { } pc ? Prediction.PositiveClass.Parse(pc.ValueKind == JsonValueKind.Number ? pc.GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture) : pc.GetString()) : null,
            };
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new HeatmapToolsException(ErrorIds.ModelSidecarInvalid, ErrorKind.InvalidData, $"The model's settings file '{path}' cannot be used: {e.Message}.", path);
        }
    }
}
