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

    /// <summary>This task's share of the slides, k/N or Auto (a scheduler array's task), keyed as images are.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ShardCompleter))]
    public string? Shard { get; set; }

    [Parameter]
    [ValidateRange(1, Engine.Scaling.Shard.MaxCount)]
    public int? ShardCount { get; set; }

    [Parameter]
    public string? ShardRoot { get; set; }

    /// <summary>The slide files this record names, of this task's share.</summary>
    protected IEnumerable<string> SlideFiles() => InShard(InputFiles(Path, LiteralPath), Shard, ShardCount, ShardRoot);
}
