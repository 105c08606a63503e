namespace HeatmapTools;

/// <summary>Where a model's weights come from: its published file, or seeded random values (for tests and the sanity check).</summary>
public enum WeightsSource { Pretrained, Random }
