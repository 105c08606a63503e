namespace HeatmapTools;

/// <summary>
/// What a run made of one item (an image, a map, a patient): its value, or the error that stopped it alone. A failed
/// item may still carry what is known of it (a patient's patch counts), so a report lists it beside the others.
/// </summary>
public sealed record ItemResult<T>(string Path, T? Value, HeatmapToolsException? Error) where T : class;
