namespace HeatmapTools;

/// <summary>What a run made of one item (an image, a map, a patient): its value, or the error that stopped it alone.</summary>
public sealed record ItemResult<T>(string Path, T? Value, HeatmapToolsException? Error) where T : class;
