using System.Management.Automation;
using HeatmapTools.Engine.Slides;

namespace HeatmapTools.Commands;

/// <summary>
/// What the slide cmdlets that take tile predictions share: the slide, the rows bound by property name (a Get-SlideTile
/// path or X, Y and Extent; a Probability or a Get-ClassPrediction result's ClassProbabilities), and their resolution
/// to tiles in level-0 pixels, each row that cannot be placed an error naming it.
/// </summary>
public abstract class SlideRowsCommandBase : HeatmapCommandBase
{
    private readonly List<SlideRow> _rows = new();
    private Engine.Prediction.PositiveClass _positive = Engine.Prediction.PositiveClass.Unspecified;

    [Parameter(Mandatory = true, Position = 0)]
    public string Slide { get; set; } = "";

    /// <summary>The piped object itself: a New-CamHeatmap result that arrives without its map (from another process) is
    /// made a map again from what it names.</summary>
    [Parameter(ValueFromPipeline = true, DontShow = true)]
    public PSObject? InputObject { get; set; }

    /// <summary>A tile's path as Get-SlideTile names it (piped Get-ClassPrediction and New-CamHeatmap results carry it): where on the slide the tile is.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("SourcePath")]
    public string? Path { get; set; }

    /// <summary>
    /// A tile's true class, 0 or 1 (Get-SlideTile -Annotation, an IDC table's target column). Text, because a CAM
    /// result's Target (its kind: Logit, ...) binds here too and is no class.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Target { get; set; }

    /// <summary>A New-CamHeatmap result's map: its tile is painted with it (the CAM mosaic).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public float[,]? Map { get; set; }

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
    [ClassProbabilitiesArgument]
    public string? ClassProbabilities { get; set; }

    [Parameter]
    public string? PositiveClass { get; set; }

    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long? TileExtent { get; set; }

    /// <summary>Whether rows that give only their true class are taken (New-SlideHeatmap -Labels).</summary>
    protected virtual bool AcceptsLabelsOnly => false;

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        _positive = Engine.Prediction.PositiveClass.Parse(PositiveClass);
    }

    protected override void ProcessRecord()
    {
        string item = Path ?? $"x={X}, y={Y}";
        try
        {
            int? label = Target is "0" or "1" ? Target[0] - '0' : null;
            var map = Map ?? (Probability is null && ClassProbabilities is null ? RemadeMap() : null);
            // A map's tile is ranked (threshold, GeoJSON) by its map's peak; a row with only its true class has none.
            double probability = map is not null ? map.Cast<float>().Max()
                : ClassProbabilities is { Length: > 0 } text ? Engine.Prediction.ClassProbabilities.Parse(text, item).Positive(_positive, item)
                : Probability ?? (label is int known && AcceptsLabelsOnly ? known
                : throw new HeatmapToolsException(ErrorIds.SlideRegionInvalid, ErrorKind.InvalidData, $"'{item}' has no Probability, ClassProbabilities or Map.", item));
            string? tile = Path is not null && SlideTilePath.IsTile(Path) ? Path : null;
            if (tile is null && (X is null || Y is null))
                throw new HeatmapToolsException(ErrorIds.SlideRegionInvalid, ErrorKind.InvalidData,
                    $"'{item}' says neither where on the slide it is (a Get-SlideTile path) nor its X and Y in level-0 pixels.", item);
            _rows.Add(new SlideRow(item, tile, X, Y, Extent ?? TileExtent, probability, map, label));
        }
        catch (HeatmapToolsException ex)
        {
            WriteError(ToErrorRecord(ex));
        }
    }

    /// <summary>
    /// The map of a map result that arrived without it, made again as its result names (CamRecipe); null for other rows.
    /// One that cannot be made (its model missing, a Sum map) is this row's error.
    /// </summary>
    private float[,]? RemadeMap()
    {
        if (InputObject is not { } input) return null;
        var (grid, problem) = RunEngine<(float[,]?, HeatmapToolsException?)>(() =>
        {
            try
            {
                if (PipedProperties.Recipe(input) is not { } recipe) return (null, null);
                var (values, width, height, _, _) = recipe.Compute(PipedProperties.Numbers(input, "Map"), Cancellation);
                var made = new float[height, width];
                Buffer.BlockCopy(values, 0, made, 0, values.Length * sizeof(float));
                return (made, null);
            }
            catch (HeatmapToolsException ex)
            {
                return (null, ex);
            }
        });
        return problem is null ? grid : throw problem;
    }

    /// <summary>The slide (-Slide) and the rows as tiles in its level-0 pixels (TilePlacement); rows that cannot be placed are reported and left out.</summary>
    protected (Engine.Slides.Slide Slide, List<TileProbability> Tiles) ResolveTiles()
    {
        string slidePath = GetUnresolvedProviderPathFromPSPath(Slide);
        var slide = RunEngine(() => SlideCache.Get(slidePath));
        var tiles = new List<TileProbability>();
        foreach (var placed in RunEngine(() => TilePlacement.Place(slide, _rows)))
        {
            if (placed.Error is { } error) WriteError(ToErrorRecord(error));
            else tiles.Add(placed.Value!);
        }
        return (slide, tiles);
    }
}
