using System.Management.Automation;
using HeatmapTools.Engine.Cam;

namespace HeatmapTools.Commands;

/// <summary>
/// Pixel attributions as Captum computes them (Integrated Gradients by default, Saliency, Input x Gradient, Occlusion),
/// written as overlays like New-CamHeatmap's maps, with its pipeline rules: output templates, reruns, shards, -WhatIf.
/// </summary>
[Cmdlet(VerbsCommon.New, "AttributionMap", SupportsShouldProcess = true)]
[OutputType(typeof(CamHeatmap))]
public sealed class NewAttributionMapCommand : NewCamHeatmapCommand
{
    public NewAttributionMapCommand() => Method = new[] { "IntegratedGradients" };

    protected override void ProcessRecord()
    {
        // Only attributions: a CAM asked for here would quietly come out with a layer's defaults.
        var cams = Method.Where(m => CamMethods.Names.Contains(m, StringComparer.OrdinalIgnoreCase) && !CamMethods.Get(m).IsAttribution).ToList();
        if (cams.Count > 0)
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException(
                $"{string.Join(", ", cams)} {(cams.Count == 1 ? "is a class activation map" : "are class activation maps")}, made by New-CamHeatmap; " +
                $"New-AttributionMap makes {string.Join(", ", CamMethods.Every.Where(m => m.IsAttribution).Select(m => m.Name))}."),
                ErrorIds.MethodNotApplicable, ErrorCategory.InvalidArgument, cams));
        base.ProcessRecord();
    }
}
