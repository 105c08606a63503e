using System.Management.Automation;
namespace HeatmapTools.Commands;
[Cmdlet(VerbsDiagnostic.Test, "HeatmapToolsProbe")]
public sealed class ProbeCommand : PSCmdlet
{
    protected override void EndProcessing() => WriteObject(HeatmapTools.Engine.Probe.Run());
}
