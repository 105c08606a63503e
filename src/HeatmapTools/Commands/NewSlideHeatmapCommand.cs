using System.Management.Automation;
using HeatmapTools.Engine.Prediction;
using HeatmapTools.Engine.Rendering;
using HeatmapTools.Engine.Slides;

namespace HeatmapTools.Commands;

/// <summary>Paints tile predictions over a slide's thumbnail, with contours and a QuPath GeoJSON of the tiles above a threshold.</summary>
[Cmdlet(VerbsCommon.New, "SlideHeatmap", SupportsShouldProcess = true)]
[OutputType(typeof(SlideHeatmap))]
public sealed class NewSlideHeatmapCommand : HeatmapCommandBase
{
    private readonly List<(string Item, string? TilePath, long? X, long? Y, long? Extent, double Probability)> _rows = new();

    [Parameter(Mandatory = true, Position = 0)]
    public string Slide { get; set; } = "";

    /// <summary>A tile's path as Get-SlideTile names it (piped Get-ClassPrediction results carry it): where on the slide the tile is.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Path { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public long? X { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public long? Y { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public long? Extent { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(0.0, 1.0)]
    public double? Probability { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ClassProbabilities { get; set; }

    [Parameter]
    public string? PositiveClass { get; set; }

    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long? TileExtent { get; set; }

    [Parameter(Mandatory = true)]
    public string OutputPath { get; set; } = "";

    [Parameter]
    [ValidateRange(64, 16384)]
    public int MaxSize { get; set; } = 2048;

    [Parameter]
    [ArgumentCompleter(typeof(ColormapCompleter))]
    public string Colormap { get; set; } = "jet";

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double Alpha { get; set; } = 0.5;

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double? Threshold { get; set; }

    [Parameter]
    public string? GeoJsonPath { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    private Engine.Prediction.PositiveClass _positive = Engine.Prediction.PositiveClass.Unspecified;

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        _positive = Engine.Prediction.PositiveClass.Parse(PositiveClass);
        if (GeoJsonPath is not null && Threshold is null)
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException("-GeoJsonPath exports the tiles at or above -Threshold: give -Threshold too."),
                ErrorIds.ThresholdRequired, ErrorCategory.InvalidArgument, GeoJsonPath));
    }

    protected override void ProcessRecord()
    {
        string item = Path ?? $"x={X}, y={Y}";
        try
        {
            double probability = ClassProbabilities is { Length: > 0 } text
                ? Engine.Prediction.ClassProbabilities.Parse(text, item).Positive(_positive, item)
                : Probability ?? throw new HeatmapToolsException(ErrorIds.SlideRegionInvalid, ErrorKind.InvalidData,
                    $"'{item}' has no Probability or ClassProbabilities to paint.", item);
            string? tile = Path is not null && SlideTilePath.IsTile(Path) ? Path : null;
            if (tile is null && (X is null || Y is null))
                throw new HeatmapToolsException(ErrorIds.SlideRegionInvalid, ErrorKind.InvalidData,
                    $"'{item}' says neither where on the slide it is (a Get-SlideTile path) nor its X and Y in level-0 pixels.", item);
            _rows.Add((item, tile, X, Y, Extent ?? TileExtent, probability));
        }
        catch (HeatmapToolsException ex)
        {
            WriteError(ToErrorRecord(ex));
        }
    }

    protected override void EndProcessing()
    {
        string slidePath = GetUnresolvedProviderPathFromPSPath(Slide), output = GetUnresolvedProviderPathFromPSPath(OutputPath);
        var slide = RunEngine(() => SlideCache.Get(slidePath));
        var tiles = new List<TileProbability>();
        foreach (var row in _rows)
        {
            if (row.TilePath is not null && SlideTilePath.TryParse(row.TilePath, out var t))
            {
                if (!string.Equals(System.IO.Path.GetFullPath(t.Slide), slide.Path, StringComparison.Ordinal))
                {
                    WriteError(ToErrorRecord(new HeatmapToolsException(ErrorIds.SlideRegionInvalid, ErrorKind.InvalidData,
                        $"'{row.Item}' is a tile of '{t.Slide}', not of '{slide.Path}'; it is left out.", row.Item)));
                    continue;
                }
                tiles.Add(new TileProbability(t.X, t.Y, (long)Math.Round(t.Size * slide.Levels[Math.Min(t.Level, slide.Levels.Count - 1)].Downsample), row.Probability));
            }
            else if (row.Extent is long extent)
                tiles.Add(new TileProbability(row.X!.Value, row.Y!.Value, extent, row.Probability));
            else
                WriteError(ToErrorRecord(new HeatmapToolsException(ErrorIds.SlideRegionInvalid, ErrorKind.InvalidData,
                    $"'{row.Item}' gives no tile side: add an Extent column (level-0 pixels) or -TileExtent.", row.Item)));
        }
        if (!ShouldProcess(output, $"Write the heatmap of {tiles.Count} tile(s) of {slide.Path}")) return;
        var options = new SlideHeatmapOptions
        {
            MaxSize = MaxSize, Colormap = RunEngine(() => Colormaps.Canonical(Colormap)), Alpha = Alpha, Threshold = Threshold, Force = Force,
            GeoJsonPath = GeoJsonPath is null ? null : GetUnresolvedProviderPathFromPSPath(GeoJsonPath),
        };
        var result = RunEngine(() => Engine.Slides.SlideHeatmap.Write(slide, tiles, output, options, Cancellation));
        WriteObject(new SlideHeatmap
        {
            Path = result.Path, Slide = result.Slide, Width = result.Width, Height = result.Height, Scale = result.Scale, Tiles = result.Tiles,
            TilesAbove = result.TilesAbove, GeoJsonPath = result.GeoJsonPath,
        });
    }
}
