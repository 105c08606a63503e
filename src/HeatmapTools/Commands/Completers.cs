using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Management.Automation.Language;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Rendering;

namespace HeatmapTools.Commands;

/// <summary>Tab completion for -Model: the architectures the module can build.</summary>
public sealed class ModelNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completions.Matching(ModelCatalog.Names.Concat(OnnxNames()), wordToComplete);

    /// <summary>The ONNX graphs a bare name finds: &lt;name&gt;.onnx in the HEATMAPTOOLS_MODEL_PATH folders.</summary>
    private static IEnumerable<string> OnnxNames() =>
        WeightsLocator.SearchFolders().Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*.onnx").Take(200))
            .Select(file => System.IO.Path.GetFileNameWithoutExtension(file)).Distinct(StringComparer.OrdinalIgnoreCase);
}

/// <summary>Tab completion for -Method: every CAM method the engine has.</summary>
public sealed class CamMethodCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completions.Matching(Engine.Cam.CamMethods.Names, wordToComplete);
}

/// <summary>Tab completion for -Layer: the chosen model's layers (torchvision and, for VGG, Keras names).</summary>
public sealed class LayerNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string model = fakeBoundParameters["Model"] as string ?? ModelCatalog.DefaultModel;
        IReadOnlyList<LayerDescription> layers;
        try
        {
            layers = LayerCatalog.Describe(model);
        }
        catch (HeatmapToolsException)
        {
            return Array.Empty<CompletionResult>();
        }
        var names = layers.SelectMany(l => l.Aliases.Append(l.Name));
        return Completions.Matching(names, wordToComplete);
    }
}

/// <summary>
/// Tab completion for -ClassName: the labels the command would use (a -Labels file, else the
/// ImageNet index found like weights), names starting with the typed text first, then names containing it; WordNet
/// ids complete too. Names with spaces come back quoted.
/// </summary>
public sealed class ClassNameCompleter : IArgumentCompleter
{
    private const int MaxResults = 100;

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        ClassLabels labels;
        try
        {
            labels = LabelsFile(fakeBoundParameters["Labels"]) is { } file ? ClassLabels.FromFile(file)
                : InlineLabels(fakeBoundParameters["Labels"]) is { } names ? ClassLabels.FromStrings(names)
                : ClassLabels.ForModel(fakeBoundParameters["NumClasses"] is int n ? n : 1000);
        }
        catch (HeatmapToolsException)
        {
            return Array.Empty<CompletionResult>();
        }
        return labels.Matching(wordToComplete.Trim('\'', '"')).Take(MaxResults).Select(m => m.ByWordNetId
            ? new CompletionResult(m.Label.WordNetId!, m.Label.WordNetId!, CompletionResultType.ParameterValue, $"{m.Label.WordNetId} ({m.Label.Name}, class {m.Label.Index})")
            : new CompletionResult(Quote(m.Label.Name), m.Label.Name, CompletionResultType.ParameterValue, $"{m.Label.Name} (class {m.Label.Index})"));
    }

    /// <summary>-Labels typed inline (-Labels benign, idc): the names themselves, in class order.</summary>
    private static string[]? InlineLabels(object? bound) => bound switch
    {
        System.Collections.IEnumerable many and not string when many.Cast<object?>().Count() > 1 => many.Cast<object?>().Select(v => v?.ToString() ?? "").ToArray(),
        _ => null,
    };

    private static string? LabelsFile(object? bound)
    {
        var value = bound is object[] { Length: 1 } one ? one[0] : bound;
        if (value is not string path || path.Length == 0) return null;
        // A completer gets no session state of its own; the runspace it completes in knows the current folder.
        if (!Path.IsPathRooted(path) && CurrentFolder() is { } folder) path = Path.Combine(folder, path);
        return File.Exists(path) ? path : null;
    }

    private static string? CurrentFolder()
    {
        try
        {
            // A nested pipeline on the runspace being completed in (a completer runs on its thread).
            using var shell = PowerShell.Create(RunspaceMode.CurrentRunspace);
            var location = shell.AddCommand("Microsoft.PowerShell.Management\\Get-Location").AddParameter("PSProvider", "FileSystem").Invoke<PathInfo>();
            return location.Count == 1 ? location[0].ProviderPath : null;
        }
        catch (Exception ex) when (ex is PSInvalidOperationException or InvalidRunspaceStateException or CmdletInvocationException)
        {
            // No runspace on this thread: only a full path then.
            return null;
        }
    }

    private static string Quote(string text) =>
        text.Any(c => char.IsWhiteSpace(c) || "'\"$`;,(){}@#&|<>".Contains(c)) ? $"'{text.Replace("'", "''")}'" : text;
}

/// <summary>Tab completion for -Colormap: OpenCV's colormaps.</summary>
public sealed class ColormapCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completions.Matching(Colormaps.Names, wordToComplete);
}

/// <summary>Tab completion for -Target: every kind of target the engine has.</summary>
public sealed class TargetCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completions.Matching(Engine.Cam.Targets.TargetKind.Names, wordToComplete);
}

/// <summary>Tab completion for -MapFormat: None and every raw map format the engine has.</summary>
public sealed class MapFormatCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completions.Matching(Engine.Rendering.MapFormats.RawMapFormat.Names, wordToComplete);
}

/// <summary>Tab completion for -Kind: every patient image kind the engine has.</summary>
public sealed class PatientImageKindCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completions.Matching(Engine.Patches.ImageKinds.PatientImageKind.All.Select(k => k.Name), wordToComplete);
}

internal static class Completions
{
    public static IEnumerable<CompletionResult> Matching(IEnumerable<string> values, string word)
    {
        string prefix = word.Trim('\'', '"');
        return values.Where(v => v.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(v => new CompletionResult(v, v, CompletionResultType.ParameterValue, v));
    }
}

/// <summary>Tab completion for -Shard: Auto (the scheduler's task); k/N is typed.</summary>
public sealed class ShardCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completions.Matching(new[] { "Auto" }, wordToComplete);
}
