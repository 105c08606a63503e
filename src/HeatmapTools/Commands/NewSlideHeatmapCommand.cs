using System.Management.Automation;
using HeatmapTools.Engine.Rendering;
using HeatmapTools.Engine.Slides;

namespace HeatmapTools.Commands;

/// <summary>Paints tile predictions over a slide's thumbnail, with contours and a QuPath GeoJSON of the tiles above a threshold.</summary>
[Cmdlet(VerbsCommon.New, "SlideHeatmap", SupportsShouldProcess = true)]
[OutputType(typeof(SlideHeatmap))]
public sealed class NewSlideHeatmapCommand : SlideRowsCommandBase
{
    [Parameter(Mandatory = true)]
    public string OutputPath { get; set; } = "";

    [Parameter]
    [ValidateRange(64, 16384)]
    public int MaxSize { get; set; } = 2048;

    [Parameter]
    [ArgumentCompleter(typeof(ColormapCompleter))]
    public string Colormap { get; set; } = Engine.Rendering.OverlayDefaults.Colormap;

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double Alpha { get; set; } = Engine.Rendering.OverlayDefaults.RegionAlpha;

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double? Threshold { get; set; }

    [Parameter]
    public string? GeoJsonPath { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Paint each tile's true class (its Target) instead of its probability.</summary>
    [Parameter]
    public SwitchParameter Labels { get; set; }

    /// <summary>Also write the values as a tiled, pyramidal OME-TIFF at the slide's geometry, for QuPath.</summary>
    [Parameter]
    public string? OmeTiffPath { get; set; }

    /// <summary>Level-0 pixels per OME-TIFF pixel at its full resolution.</summary>
    [Parameter]
    [ValidateRange(1, 4096)]
    public int OmeTiffDownsample { get; set; } = 1;

    [Parameter]
    public OmeTiffSampleType OmeTiffSampleType { get; set; } = OmeTiffSampleType.Byte;

    /// <summary>
    /// A JSON Lines task record this run appends the slide to (Done with its files and tile counts, or Failed with the
    /// ErrorId), gathered with Get-HeatmapRunRecord as New-CamHeatmap's are.
    /// </summary>
    [Parameter]
    public string? RecordPath { get; set; }

    protected override bool AcceptsLabelsOnly => Labels;

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (GeoJsonPath is not null && Threshold is null)
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException("-GeoJsonPath exports the tiles at or above -Threshold: give -Threshold too."),
                ErrorIds.ThresholdRequired, ErrorCategory.InvalidArgument, GeoJsonPath));
    }

    protected override void EndProcessing()
    {
        string output = GetUnresolvedProviderPathFromPSPath(OutputPath);
        if (!ShouldProcess(output, $"Write the heatmap of {Slide}" + (OmeTiffPath is null ? "" : " and its OME-TIFF"))) return;
        using var record = OpenRecord(RecordPath, null);
        try
        {
            Write(output, record);
        }
        catch (Exception error)
        {
            RecordFailure(record, SlideKey, error);
            throw;
        }
        record?.Complete();
    }

    /// <summary>The slide as records name it: its full path, as Get-HeatmapRunRecord -InputPath resolves the inputs.</summary>
    private string SlideKey => System.IO.Path.GetFullPath(GetUnresolvedProviderPathFromPSPath(Slide));

    private void Write(string output, Engine.Scaling.TaskRecord? record)
    {
        var (slide, tiles) = ResolveTiles();
        var options = new SlideHeatmapOptions
        {
            MaxSize = MaxSize, Colormap = RunEngine(() => Colormaps.Canonical(Colormap)), Alpha = Alpha, Threshold = Threshold, Force = Force, Labels = Labels,
            GeoJsonPath = GeoJsonPath is null ? null : GetUnresolvedProviderPathFromPSPath(GeoJsonPath),
            OmeTiffPath = OmeTiffPath is null ? null : GetUnresolvedProviderPathFromPSPath(OmeTiffPath),
            OmeTiff = new OmeTiffOptions { Downsample = OmeTiffDownsample, SampleType = OmeTiffSampleType },
        };
        var result = RunEngine(() => Engine.Slides.SlideHeatmap.Write(slide, tiles, output, options, Cancellation));
        record?.Item(SlideKey, Engine.Scaling.TaskRecord.Done, new[] { result.Path, result.GeoJsonPath, result.OmeTiff?.Path }.OfType<string>(),
            new Dictionary<string, string>
            {
                ["Tiles"] = result.Tiles.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["TilesAbove"] = result.TilesAbove.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
        WriteObject(new SlideHeatmap
        {
            Path = result.Path, Slide = result.Slide, Width = result.Width, Height = result.Height, Scale = result.Scale, Tiles = result.Tiles,
            TilesAbove = result.TilesAbove, GeoJsonPath = result.GeoJsonPath,
            OmeTiffPath = result.OmeTiff?.Path, OmeTiffLevels = result.OmeTiff?.Levels ?? 0, OmeTiffPixelSize = result.OmeTiff?.PixelSizeMicrons,
            ViewerSource = new Engine.Reporting.SlideViewerInput(result.Slide, tiles, options.Colormap, Labels, Threshold),
        });
    }
}
