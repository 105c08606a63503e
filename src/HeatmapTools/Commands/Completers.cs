using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Rendering;

namespace HeatmapTools.Commands;

/// <summary>Tab completion for -Model: the architectures the module can build.</summary>
public sealed class ModelNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completions.Matching(ModelCatalog.Names, wordToComplete);
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
        catch (Engine.HeatmapToolsException)
        {
            return Array.Empty<CompletionResult>();
        }
        var names = layers.SelectMany(l => l.Aliases.Append(l.Name));
        return Completions.Matching(names, wordToComplete);
    }
}

/// <summary>Tab completion for -Colormap: OpenCV's colormaps.</summary>
public sealed class ColormapCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completions.Matching(Colormaps.Names, wordToComplete);
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
