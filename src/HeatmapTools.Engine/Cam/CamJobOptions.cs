using HeatmapTools.Engine.Cam.Output;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Rendering.MapFormats;

namespace HeatmapTools.Engine.Cam;

/// <summary>
/// An image to explain: explicit classes, or the top <see cref="Top"/> predicted ones; <see cref="Held"/> is a piped
/// prediction's prepared image, used instead of decoding the file again while it is held and fits.
/// </summary>
public sealed record CamJobItem(string Path, IReadOnlyList<int>? Classes, int Top = 1, IHeldInput? Held = null)
{
    /// <summary>A piped result's map (New-CamHeatmap into the trust cmdlets), used instead of computing it when its key matches.</summary>
    public IHeldMap? Map { get; init; }

    /// <summary>The one target to explain, instead of those the run's -Target would make (a map made again as it was first made).</summary>
    public Targets.CamTarget? Target { get; init; }

    /// <summary>A detector's boxes to explain in this image (piped detections), photo pixels; null: -Box's, or the image's own detections.</summary>
    public IReadOnlyList<Targets.LabelledBox>? Boxes { get; init; }

    /// <summary>Where the explanation should point (Measure-Explanation's localisation metrics).</summary>
    public Explanation.RegionMask? Localisation { get; init; }
}

/// <summary>What a New-CamHeatmap run makes (its <see cref="MapRequest"/>) and where it writes it: plain values, the same for every batch of the run.</summary>
public sealed record CamJobOptions : MapRequest
{
    public string Colormap { get; init; } = Rendering.OverlayDefaults.Colormap;
    public double Alpha { get; init; } = Rendering.OverlayDefaults.MapAlpha;
    public bool NoOverlay { get; init; }
    /// <summary>The raw map's format; null writes none.</summary>
    public RawMapFormat? MapFormat { get; init; }
    public string? OutputPath { get; init; }
    /// <summary>The folder all of the run's inputs lie below (OutputNaming.CommonRoot), for names that keep their tree.</summary>
    public string? OutputRoot { get; init; }
    public bool Force { get; init; }
    /// <summary>Finished outputs are passed over (told to the listener as skipped) instead of being OutputExists errors, and a missing member of an output set is written beside the ones that exist.</summary>
    public bool SkipExisting { get; init; }
    /// <summary>Outputs older than their source are made again (the rest as with SkipExisting).</summary>
    public bool Update { get; init; }
    /// <summary>Explain images this module wrote (they carry its note, see OutputMarker) instead of leaving them out.</summary>
    public bool IncludeOwnOutputs { get; init; }
    /// <summary>Keep each map in the held budget for the next command, made again from these weights once let go; null keeps none.</summary>
    public WeightsRequest? HoldFor { get; init; }
    /// <summary>Bytes of decoded originals a batch keeps for overlays (<see cref="InputBatch.DefaultKeepBudget"/>); tests lower it.</summary>
    internal long KeepBudget { get; init; } = InputBatch.DefaultKeepBudget;
    /// <summary>Told each overlay path from inside its write (the temporary file is open): tests cancel from here.</summary>
    internal Action<string>? Writing { get; init; }

    internal WritePolicy Policy => new(Force, SkipExisting, Update);

    /// <summary>The same maps, written nowhere: how one map is made again.</summary>
    internal CamJobOptions Quiet(CamMethod method) => this with
    {
        Methods = new[] { method }, NoOverlay = true, MapFormat = null, OutputPath = null, Force = true, IncludeOwnOutputs = true, HoldFor = null,
    };
}

/// <summary>What was made for one (image, class, method).</summary>
public sealed record CamOutput(string SourcePath, string? OutputPath, string? MapPath, CamMethod Method, string Layer,
    int ClassIndex, string Label, float Score, float[] Map, int MapWidth, int MapHeight)
{
    /// <summary>What the map explains.</summary>
    public Targets.CamTarget Target { get; init; } = new Targets.ClassTarget(ClassIndex);
    /// <summary>What the map's 0 and 1 stood for before it was scaled (CamResult.RawMin, RawMax).</summary>
    public float RawMin { get; init; }
    public float RawMax { get; init; } = 1;
    /// <summary>The map in the held budget for the next command (with <see cref="CamJobOptions.HoldFor"/>).</summary>
    public IHeldMap? Held { get; init; }
    /// <summary>Which map this is (<see cref="MapKey"/>), as a later command compares it.</summary>
    public string Key { get; init; } = "";
}
