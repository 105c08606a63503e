namespace HeatmapTools.Engine.Cam;

/// <summary>
/// Turns -OutputPath (nothing, a folder, or a template with {name}, {class}, {label}, {method}, {layer}, {ext})
/// into a file name per (image, class, method), and refuses to name the source image itself.
/// </summary>
public sealed class OutputNaming
{
    private readonly string? _outputPath;
    private readonly bool _manyClasses, _manyMethods;
    private bool ManyPerImage => _manyClasses || _manyMethods;

    private static readonly string[] Tokens = { "{name}", "{class}", "{label}", "{method}", "{layer}", "{ext}" };

    public OutputNaming(string? outputPath, bool manyClassesPerImage, bool manyMethods = false)
    {
        if (outputPath is not null)
        {
            // An unknown placeholder would be written literally into every file name: refuse it before any work.
            var unknown = System.Text.RegularExpressions.Regex.Matches(Path.GetFileName(outputPath), @"\{[^{}]*\}").Select(m => m.Value)
                .Where(t => !Tokens.Contains(t)).Distinct().ToList();
            if (unknown.Count > 0)
                throw new HeatmapToolsException(ErrorIds.OutputTemplateInvalid, "InvalidArgument",
                    $"-OutputPath '{outputPath}' has {string.Join(", ", unknown)}, which it cannot fill; it knows {string.Join(", ", Tokens)}.", outputPath);
        }
        _outputPath = outputPath;
        _manyClasses = manyClassesPerImage;
        _manyMethods = manyMethods;
    }

    public string DefaultTemplate => ManyPerImage ? "{name}_cam_{method}_{class}.{ext}" : "{name}_cam.{ext}";

    public string For(string sourcePath, int classIndex, string label, string method, string layer, string? extensionOverride = null)
    {
        string template;
        string folder;
        if (string.IsNullOrEmpty(_outputPath))
        {
            folder = Path.GetDirectoryName(Path.GetFullPath(sourcePath))!;
            template = DefaultTemplate;
        }
        else if (IsFolder(_outputPath))
        {
            folder = _outputPath;
            template = DefaultTemplate;
        }
        else
        {
            folder = Path.GetDirectoryName(Path.GetFullPath(_outputPath))!;
            template = Path.GetFileName(_outputPath);
            // One name cannot hold several classes or methods: give each its own rather than collide. A fixed name
            // gets both; a template gets whichever of method and class it lacks.
            bool fixedName = !template.Contains('{');
            bool namesClass = template.Contains("{class}") || template.Contains("{label}");
            string missing = (_manyMethods || (fixedName && ManyPerImage)) && !template.Contains("{method}") ? "_{method}" : "";
            if ((_manyClasses || (fixedName && ManyPerImage)) && !namesClass) missing += "_{class}";
            if (missing.Length > 0) template = Path.GetFileNameWithoutExtension(template) + missing + Path.GetExtension(template);
        }
        string ext = extensionOverride ?? Path.GetExtension(sourcePath).TrimStart('.');
        if (string.IsNullOrEmpty(ext)) ext = "png";
        string name = template
            .Replace("{name}", Path.GetFileNameWithoutExtension(sourcePath))
            .Replace("{class}", classIndex.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Replace("{label}", IO.FileNames.Sanitise(label))
            .Replace("{method}", method)
            .Replace("{layer}", IO.FileNames.Sanitise(layer))
            .Replace("{ext}", ext);
        string full = Path.GetFullPath(Path.Combine(folder, name));
        if (string.Equals(full, Path.GetFullPath(sourcePath), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
            throw new HeatmapToolsException(ErrorIds.OutputExists, "InvalidArgument",
                $"The output name for '{sourcePath}' is the source image itself; choose an -OutputPath that differs.", sourcePath);
        return full;
    }

    /// <summary>
    /// A folder: one that exists, a path ending in a separator, or a name with neither an extension nor a placeholder
    /// ("./cams"), which as a file name would give an image no viewer recognises, and every image the same one.
    /// </summary>
    private static bool IsFolder(string path) =>
        Directory.Exists(path) || path.EndsWith(Path.DirectorySeparatorChar) || path.EndsWith('/') ||
        (Path.GetExtension(path).Length == 0 && !path.Contains('{'));

    private static readonly System.Text.RegularExpressions.Regex DefaultOutputName =
        new(@"^(?<stem>.+)_cam(_[A-Za-z+]+_\d+)?(_map)?\.[A-Za-z0-9]+$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>
    /// The image an input looks like an overlay (or raw map) of, under the default names (<c>cat_cam.png</c>,
    /// <c>cat_cam_GradCAM_281.png</c>, <c>cat_cam_map.npy</c>) with that image beside it; null otherwise. A second
    /// <c>Get-ChildItem *.png | New-CamHeatmap</c> in a folder would otherwise explain its own overlays.
    /// </summary>
    public static string? OverlaySourceOf(string path)
    {
        var match = DefaultOutputName.Match(Path.GetFileName(path));
        if (!match.Success) return null;
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string stem = match.Groups["stem"].Value;
        try
        {
            return Directory.EnumerateFiles(folder, stem + ".*").FirstOrDefault(f =>
                Path.GetFileNameWithoutExtension(f) == stem && !string.Equals(Path.GetFullPath(f), Path.GetFullPath(path), StringComparison.Ordinal));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The raw map file beside the overlay: same name, with the map format's extension.</summary>
    /// <summary>Where Guided Grad-CAM's guided gradients go beside a raw map: float32 .npy, 3 x H x W.</summary>
    public static string GuidedPathFor(string overlayPath) =>
        Path.Combine(Path.GetDirectoryName(overlayPath)!, Path.GetFileNameWithoutExtension(overlayPath) + "_guided.npy");

    public static string MapPathFor(string overlayPath, string mapExtension) =>
        Path.Combine(Path.GetDirectoryName(overlayPath)!, Path.GetFileNameWithoutExtension(overlayPath) + "_map" + mapExtension);
}
