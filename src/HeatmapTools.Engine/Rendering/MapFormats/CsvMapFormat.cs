using System.Globalization;
using System.Text;

namespace HeatmapTools.Engine.Rendering.MapFormats;

/// <summary>One CSV row per map row, round-trip float text in the invariant culture (a spreadsheet or Import-Csv reads it).</summary>
public sealed class CsvMapFormat : RawMapFormat
{
    public override string Name => "Csv";
    public override string Extension => ".csv";

    protected override void Encode(Stream output, float[] map, int width, int height)
    {
        using var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                if (x > 0) writer.Write(',');
                writer.Write(map[y * width + x].ToString("R", CultureInfo.InvariantCulture));
            }
            writer.Write('\n');
        }
    }
}
