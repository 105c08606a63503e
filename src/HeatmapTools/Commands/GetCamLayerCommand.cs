using System.Management.Automation;
using HeatmapTools.Engine.Models;

namespace HeatmapTools.Commands;

/// <summary>Lists the layers of a model a map can be computed at, with their output shapes and alternative names.</summary>
[Cmdlet(VerbsCommon.Get, "CamLayer")]
[OutputType(typeof(CamLayer))]
public sealed class GetCamLayerCommand : HeatmapCommandBase
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ModelNameCompleter))]
    public string Model { get; set; } = ModelCatalog.DefaultModel;

    [Parameter]
    [ValidateRange(1, 100000)]
    public int NumClasses { get; set; } = 1000;

    [Parameter(Position = 1)]
    [SupportsWildcards]
    public string? Name { get; set; }

    /// <summary>Every submodule inside the stages too (nested names such as features.7.1.norm1); -Name searches them anyway.</summary>
    [Parameter]
    public SwitchParameter Recurse { get; set; }

    protected override void ProcessRecord()
    {
        string model = Engine.Onnx.OnnxModels.IsOnnxPath(Model) ? GetUnresolvedProviderPathFromPSPath(Model) : Model;
        var layers = RunEngine(() => LayerCatalog.Describe(model, NumClasses));
        var pattern = Name is null ? null : new WildcardPattern(Name, WildcardOptions.IgnoreCase);
        foreach (var layer in layers)
        {
            if (pattern is not null && !pattern.IsMatch(layer.Name) && !layer.Aliases.Any(pattern.IsMatch)) continue;
            // Without -Recurse or -Name, nested layers show only where they matter: a default layer or one with an alias.
            if (!layer.IsStage && pattern is null && !Recurse && !layer.IsDefault && layer.Aliases.Count == 0) continue;
            WriteObject(new CamLayer
            {
                Model = layer.Model,
                Index = layer.Index,
                Name = layer.Name,
                Type = layer.ModuleType,
                OutputShape = string.Join("x", layer.OutputShape.Skip(1)),
                Aliases = layer.Aliases.ToArray(),
                IsDefault = layer.IsDefault,
                IsStage = layer.IsStage,
            });
        }
    }
}
