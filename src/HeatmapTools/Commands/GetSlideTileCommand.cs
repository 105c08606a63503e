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

    [Parameter]
    public StainMethod? StainNormalization { get; set; }

    [Parameter]
    public string? StainTarget { get; set; }

    [Parameter]
    public double[]? StainMatrix { get; set; }

    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);

    /// <summary>
    /// The name a slide's written tiles carry (their patient id): its base name, unless another slide of this run already
    /// has that name (slide.tif in two folders), then the name and a hash of its full path, so ids and files stay apart.
    /// </summary>
    private string NameFor(string file)
    {
        string full = System.IO.Path.GetFullPath(file), name = System.IO.Path.GetFileNameWithoutExtension(file);
        if (_names.TryAdd(name, full) || _names[name] == full) return name;
        string unique = $"{name}-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(full)))[..8]}";
        WriteWarning($"'{full}' has the name of another slide of this run ('{_names[name]}'): its tiles are named {unique}.");
        _names[unique] = full;
        return unique;
    }

    protected override void ProcessRecord()
    {
        var options = new TileGridOptions { TileSize = TileSize, Level = Level, Mpp = Mpp, SlideMpp = SlideMpp, Overlap = Overlap, TissueThreshold = TissueThreshold, MinTissue = MinTissue };
        string? folder = OutputPath is null ? null : GetUnresolvedProviderPathFromPSPath(OutputPath);
        string? stainTarget = StainTarget is null ? null : GetUnresolvedProviderPathFromPSPath(StainTarget);
        // Fitted once, before any slide: an unusable target stops the command (it would be every tile's error).
        var stain = StainNormalization is { } method ? RunEngine(() => Engine.Stain.StainTargets.Fitted(method, stainTarget, StainMatrix))
            : StainTarget is null && StainMatrix is null ? null
            : RunEngine<Engine.Stain.StainNormalizer?>(() => throw new HeatmapToolsException(ErrorIds.PreprocessInvalid, ErrorKind.InvalidArgument, "-StainTarget and -StainMatrix need -StainNormalization."));
        foreach (var file in SlideFiles())
        {
            string? annotation = Annotation is null ? null : GetUnresolvedProviderPathFromPSPath(Annotation);
            string name = NameFor(file);
            // A slide whose tiles cannot be written (a file of the same name from an earlier run) is that slide's error; the other slides go on.
            foreach (var tile in RunEngineEachOrError(() => SlideTiling.Tiles(file, options, folder, Force, Listener, Cancellation, annotation, AnnotationClass, name, stain)))
            {
                WriteObject(new SlideTile
                {
                    Path = tile.Path, Slide = tile.Info.Slide, Level = tile.Info.Level, X = tile.Info.X, Y = tile.Info.Y, Size = tile.Info.Size,
                    Extent = tile.Info.Extent, Downsample = tile.Info.Downsample, Mpp = tile.Mpp, TissueFraction = tile.Info.TissueFraction, File = tile.File,
                    Target = tile.Target,
                    StainNormalization = StainNormalization,
                    StainTarget = stainTarget,
                    StainMatrix = StainMatrix,
                });
            }
        }
    }
}
