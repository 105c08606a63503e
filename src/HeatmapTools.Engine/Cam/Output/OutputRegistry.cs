using System.Collections.Concurrent;

namespace HeatmapTools.Engine.Cam.Output;

/// <summary>
/// The output names one run has handed out, across its batches. A second input that would get a name already given
/// (a fixed -OutputPath file name for many images, or the same image twice) is refused, so that -Force cannot quietly
/// replace an overlay written moments before by the same run.
/// </summary>
public sealed class OutputRegistry
{
    private readonly ConcurrentDictionary<string, string> _claimed = new(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);

    public void Claim(string outputPath, string sourcePath)
    {
        // Each (image, class, method) claims its name once, so any second claim is a collision, even from one image
        // (a template with {class} but not {method}, given two methods).
        if (_claimed.TryAdd(outputPath, sourcePath)) return;
        string first = _claimed[outputPath];
        throw new HeatmapToolsException(ErrorIds.OutputNameRepeated, ErrorKind.ResourceExists,
            $"'{outputPath}' was already written in this run for '{first}'; '{sourcePath}' would replace it. Give -OutputPath a folder, or a template whose placeholders ({{name}}, {{class}}, {{method}}) tell the outputs apart.",
            sourcePath);
    }
}
