using System.Management.Automation;
using HeatmapTools.Engine.Slides;

namespace HeatmapTools.Commands;

/// <summary>Finds the tissue on each slide and lays a tile grid over it; each tile is a region the image cmdlets read from the slide.</summary>
[Cmdlet(VerbsCommon.Get, "SlideTile", DefaultParameterSetName = "Path")]
[OutputType(typeof(SlideTile))]
public sealed class GetSlideTileCommand : SlideFilesCommandBase
{
    [Parameter]
    [ValidateRange(8, 16384)]
    public int TileSize { get; set; } = 256;

    [Parameter]
    [ValidateRange(0, 64)]
    public int? Level { get; set; }

    [Parameter]
    [ValidateRange(0.01, 1000.0)]
    public double? Mpp { get; set; }

    /// <summary>The slide's level-0 microns per pixel, where the file does not say it or says one no scanner gives.</summary>
    [Parameter]
    [ValidateRange(0.02, 100.0)]
    public double? SlideMpp { get; set; }

    [Parameter]
    [ValidateRange(0, 16383)]
    public int Overlap { get; set; }

    [Parameter]
    [ValidateRange(0.0, 255.0)]
    public double? TissueThreshold { get; set; }

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double MinTissue { get; set; } = 0.25;

    [Parameter]
    public string? OutputPath { get; set; }

    [Parameter]
    public string? Annotation { get; set; }

    [Parameter]
    public string? AnnotationClass { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var options = new TileGridOptions { TileSize = TileSize, Level = Level, Mpp = Mpp, SlideMpp = SlideMpp, Overlap = Overlap, TissueThreshold = TissueThreshold, MinTissue = MinTissue };
        string? folder = OutputPath is null ? null : GetUnresolvedProviderPathFromPSPath(OutputPath);
        foreach (var file in SlideFiles())
        {
            string? annotation = Annotation is null ? null : GetUnresolvedProviderPathFromPSPath(Annotation);
            foreach (var tile in RunEngineEach(() => SlideTiling.Tiles(file, options, folder, Force, Listener, Cancellation, annotation, AnnotationClass)))
            {
                WriteObject(new SlideTile
                {
                    Path = tile.Path, Slide = tile.Info.Slide, Level = tile.Info.Level, X = tile.Info.X, Y = tile.Info.Y, Size = tile.Info.Size,
                    Extent = tile.Info.Extent, Downsample = tile.Info.Downsample, Mpp = tile.Mpp, TissueFraction = tile.Info.TissueFraction, File = tile.File,
                    Target = tile.Target,
                });
            }
        }
    }
}
