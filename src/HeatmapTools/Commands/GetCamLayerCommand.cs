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

    private static readonly HashSet<string> ShapeOps = new(StringComparer.Ordinal)
        { "Shape", "Gather", "Unsqueeze", "Squeeze", "Constant", "ConstantOfShape", "Cast", "Range", "Expand", "Equal", "Where", "Size" };

    /// <summary>
    /// The layers a user picks a target from: every named module's output (layer4.2.conv3), and of the operators an
    /// exporter names by their type inside a module (ln_1.Sub, ln_1.Pow, ..., ln_1.Add_1) only the last, the module's
    /// own output; never shape helpers or outputs without a feature map or token grid; always the default layer.
    /// </summary>
    private static HashSet<string> ModuleOutputs(IReadOnlyList<Engine.Models.LayerDescription> layers)
    {
        var picked = new HashSet<string>(StringComparer.Ordinal);
        var lastAnonymous = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            if (layer.IsDefault) picked.Add(layer.Name);
            if (ShapeOps.Contains(layer.ModuleType) || layer.OutputShape.Length < 3) continue;
            int dot = layer.Name.LastIndexOf('.');
            string scope = dot > 0 ? layer.Name[..dot] : "", last = layer.Name[(dot + 1)..];
            string type = layer.ModuleType[(layer.ModuleType.LastIndexOf('.') + 1)..];
            bool anonymous = System.Text.RegularExpressions.Regex.IsMatch(last, $"^({System.Text.RegularExpressions.Regex.Escape(type)}|MatMul|Add|Mul|Div|Sub)(_\\d+)?$");
            if (anonymous) lastAnonymous[scope] = layer.Name;
            else picked.Add(layer.Name);
        }
        // A module with a row of its own (ln_1) needs none of its operators' rows.
        var named = layers.Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
        picked.UnionWith(lastAnonymous.Where(kv => !named.Contains(kv.Key)).Select(kv => kv.Value));
        return picked;
    }

    protected override void ProcessRecord()
    {
        string model = Engine.Onnx.OnnxModels.IsOnnxPath(Model) ? GetUnresolvedProviderPathFromPSPath(Model) : Model;
        var layers = RunEngine(() => LayerCatalog.Describe(model, NumClasses));
        var pattern = Name is null ? null : new WildcardPattern(Name, WildcardOptions.IgnoreCase);
        // An exported graph has a stage per operator (a ViT's layer norm alone is nine, beside shape arithmetic): by
        // default one row per module scope, its output, and none for shape helpers; -Recurse or -Name lists every one.
        var picked = Engine.Onnx.OnnxModels.IsOnnxPath(model) && pattern is null && !Recurse ? ModuleOutputs(layers) : null;
        foreach (var layer in layers)
        {
            if (picked is not null && !picked.Contains(layer.Name)) continue;
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
