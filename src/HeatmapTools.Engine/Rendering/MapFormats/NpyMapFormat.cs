using HeatmapTools.Engine.IO;

namespace HeatmapTools.Engine.Rendering.MapFormats;

/// <summary>float32 .npy, height x width, as numpy.load reads it.</summary>
public sealed class NpyMapFormat : RawMapFormat
{
    public override string Name => "Npy";
    public override string Extension => ".npy";

    protected override void Encode(Stream output, float[] map, int width, int height) =>
        Npy.WriteFloat32(output, new[] { height, width }, map);
}
