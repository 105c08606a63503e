using System.Management.Automation;

namespace HeatmapTools.Commands;

/// <summary>The slide cmdlets that take slide files: -Path with wildcards, or -LiteralPath bound from Get-ChildItem.</summary>
public abstract class SlideFilesCommandBase : HeatmapCommandBase
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path", ValueFromPipeline = true)]
    [SupportsWildcards]
    public string[]? Path { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "LiteralPath", ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath")]
    public string[]? LiteralPath { get; set; }

    /// <summary>The slide files this record names.</summary>
    protected IEnumerable<string> SlideFiles() => InputFiles(Path, LiteralPath);
}
