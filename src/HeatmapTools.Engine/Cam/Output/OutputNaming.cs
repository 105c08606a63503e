namespace HeatmapTools.Engine.Cam.Output;

/// <summary>
/// Turns -OutputPath (nothing, a folder, or a template with {name}, {dir}, {relpath}, {class}, {label}, {method},
/// {layer}, {ext}, filled in folder parts too) into a file name per (image, class, method), and refuses to name the
/// source image itself. Inputs from several folders keep their tree below an output folder: <see cref="Root"/> is
/// their common folder, and {dir} is an input's folder relative to it ("" at the root), {relpath} that and its name.
/// </summary>
public sealed class OutputNaming
{
    private readonly string? _outputPath;
    private readonly bool _manyClasses, _manyMethods;
    private bool ManyPerImage => _manyClasses || _manyMethods;

    private static readonly string[] Tokens = { "{name}", "{dir}", "{relpath}", "{class}", "{label}", "{method}", "{layer}", "{target}", "{ext}" };
    private readonly bool _namesTarget;

    /// <summary>The folder every input of the run lies below (null: each input's own folder, which keeps outputs flat).</summary>
    public string? Root { get; }

    /// <param name="namesTarget">Default names carry the target (-Target other than Logit), so its maps never take a logit map's name.</param>
    public OutputNaming(string? outputPath, bool manyClassesPerImage, bool manyMethods = false, string? root = null, bool namesTarget = false)
    {
        _namesTarget = namesTarget;
        if (outputPath is not null)
        {
            // An unknown placeholder would be written literally into every file or folder name: refuse it before any work.
            var unknown = System.Text.RegularExpressions.Regex.Matches(outputPath, @"\{[^{}]*\}").Select(m => m.Value)
                .Where(t => !Tokens.Contains(t)).Distinct().ToList();
            if (unknown.Count > 0)
                throw new HeatmapToolsException(ErrorIds.OutputTemplateInvalid, ErrorKind.InvalidArgument,
                    $"-OutputPath '{outputPath}' has {string.Join(", ", unknown)}, which it cannot fill; it knows {string.Join(", ", Tokens)}.", outputPath);
        }
        _outputPath = outputPath;
        _manyClasses = manyClassesPerImage;
        _manyMethods = manyMethods;
        Root = root;
    }

    /// <summary>The deepest folder holding every path (null for none); inputs from one folder give that folder.</summary>
    public static string? CommonRoot(IEnumerable<string> paths)
    {
        string[]? common = null;
        foreach (var path in paths)
        {
            var parts = Path.GetDirectoryName(Path.GetFullPath(path))!.Split(Path.DirectorySeparatorChar);
            if (common is null) { common = parts; continue; }
            int n = 0;
            while (n < common.Length && n < parts.Length && string.Equals(common[n], parts[n], PathComparison)) n++;
            if (n < common.Length) common = common[..n];
        }
        if (common is null) return null;
        string joined = string.Join(Path.DirectorySeparatorChar, common);
        return joined.Length == 0 ? Path.DirectorySeparatorChar.ToString() : joined;
    }

    private static StringComparison PathComparison => OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>The source's folder relative to <see cref="Root"/>, with '/' ("" at the root, or without a root).</summary>
    public string RelativeFolder(string sourcePath)
    {
        if (Root is null) return "";
        string relative = Path.GetRelativePath(Root, Path.GetDirectoryName(Path.GetFullPath(sourcePath))!);
        if (relative == "." || relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative)) return "";
        return relative.Replace('\\', '/');
    }

    public string DefaultTemplate => (ManyPerImage ? "{name}_cam_{method}_{class}" : "{name}_cam") + (_namesTarget ? "_{target}" : "") + ".{ext}";

    public string For(string sourcePath, int classIndex, string label, string method, string layer, string? extensionOverride = null, string target = "logit")
    {
        string template;
        if (string.IsNullOrEmpty(_outputPath))
        {
            template = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(sourcePath))!, DefaultTemplate);
        }
        else if (IsFolder(_outputPath))
        {
            // Several input folders into one output folder: each input keeps its place in the tree, so equal names in
            // different folders stay apart.
            template = Path.Combine(_outputPath, "{dir}", DefaultTemplate);
        }
        else
        {
            string fileName = Path.GetFileName(_outputPath);
            // One name cannot hold several classes or methods: give each its own rather than collide. A fixed name
            // gets both; a template gets whichever of method and class it lacks.
            bool fixedName = !_outputPath.Contains('{');
            bool namesClass = _outputPath.Contains("{class}") || _outputPath.Contains("{label}");
            string missing = (_manyMethods || (fixedName && ManyPerImage)) && !_outputPath.Contains("{method}") ? "_{method}" : "";
            if ((_manyClasses || (fixedName && ManyPerImage)) && !namesClass) missing += "_{class}";
            if (missing.Length > 0) fileName = Path.GetFileNameWithoutExtension(fileName) + missing + Path.GetExtension(fileName);
            template = Path.Combine(Path.GetDirectoryName(_outputPath) ?? "", fileName);
        }
        string ext = extensionOverride ?? Path.GetExtension(sourcePath).TrimStart('.');
        if (string.IsNullOrEmpty(ext)) ext = "png";
        string stem = Path.GetFileNameWithoutExtension(sourcePath);
        string dir = RelativeFolder(sourcePath);
        string name = template
            .Replace("{relpath}", dir.Length == 0 ? stem : dir + "/" + stem)
            .Replace("{dir}", dir)
            .Replace("{name}", stem)
            .Replace("{class}", classIndex.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Replace("{label}", IO.FileNames.Sanitise(label))
            .Replace("{method}", method)
            .Replace("{layer}", IO.FileNames.Sanitise(layer))
            .Replace("{target}", IO.FileNames.Sanitise(target))
            .Replace("{ext}", ext);
        string full = Path.GetFullPath(name);
        if (string.Equals(full, Path.GetFullPath(sourcePath), PathComparison))
            throw new HeatmapToolsException(ErrorIds.OutputExists, ErrorKind.InvalidArgument,
                $"The output name for '{sourcePath}' is the source image itself; choose an -OutputPath that differs.", sourcePath);
        return full;
    }

    /// <summary>True when names depend on the run's common root: an output folder or a template with {dir} or {relpath}.</summary>
    public static bool NeedsRoot(string? outputPath) =>
        !string.IsNullOrEmpty(outputPath) && (IsFolder(outputPath) || outputPath.Contains("{dir}") || outputPath.Contains("{relpath}"));

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

    /// <summary>Where an attribution's values go beside a raw map: float32 .npy, C x H x W at the network input.</summary>
    public static string AttributionPathFor(string overlayPath) =>
        Path.Combine(Path.GetDirectoryName(overlayPath)!, Path.GetFileNameWithoutExtension(overlayPath) + "_attribution.npy");

    public static string MapPathFor(string overlayPath, string mapExtension) =>
        Path.Combine(Path.GetDirectoryName(overlayPath)!, Path.GetFileNameWithoutExtension(overlayPath) + "_map" + mapExtension);
}
