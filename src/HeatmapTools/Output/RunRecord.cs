namespace HeatmapTools;

/// <summary>One input of a run gathered from its tasks' records (Get-HeatmapRunRecord): what became of it, once.</summary>
public sealed class HeatmapRunItem
{
    public string Input { get; init; } = "";
    /// <summary>Done, Skipped (finished by an earlier run), Failed (with ErrorId) or Missing (no task finished it, or its output is gone).</summary>
    public string Status { get; init; } = "";
    /// <summary>The first output (the overlay), shown as a thumbnail by Export-HeatmapReport.</summary>
    public string? OutputPath { get; init; }
    public TextList Outputs { get; init; } = TextList.Empty;
    public string? Method { get; init; }
    public string? Layer { get; init; }
    public string? Label { get; init; }
    public double? Score { get; init; }
    public string? ErrorId { get; init; }
    public string? Message { get; init; }
    /// <summary>The task that recorded it last (k/N) and its host.</summary>
    public string Task { get; init; } = "";
    public string Host { get; init; } = "";
}
