using HeatmapTools.Engine.Discovery;
using OpenCvSharp;

namespace HeatmapTools.Engine.Patches.ImageKinds;

/// <summary>What is known about a patient before anything is drawn: which images it has data for.</summary>
public sealed record PatientFacts(PatientPatches Patient, PatchGridOptions Options, bool HasImages,
    (double Min, double Max)? ProbabilityRange, bool HasConfusion, bool HasCams);

/// <summary>A patient's tissue canvas with every patch's cell on it, handed to each image kind in turn.</summary>
public sealed class PatientCanvas
{
    public required PatientFacts Facts { get; init; }
    /// <summary>The patches pasted on white (a plain white canvas when there are no patch images).</summary>
    public required Mat Tissue { get; init; }
    /// <summary>Each patch's cell on the canvas, clipped to it, row by row.</summary>
    public required IReadOnlyList<(PatchRecord Record, Rect Cell)> Placed { get; init; }
    /// <summary>Counted while the confusion map is drawn; null until then.</summary>
    public ConfusionCounts? Confusion { get; set; }
}

/// <summary>
/// One image New-PatientPatchGrid can draw for a patient (-Kind). Each kind is one class in this folder, found by
/// name, so adding a kind is adding a file; its file name part is its name in lower case.
/// </summary>
public abstract class PatientImageKind
{
    private static readonly Registry<PatientImageKind> Kinds = new(k => k.Name);

    /// <summary>The name -Kind takes.</summary>
    public abstract string Name { get; }

    /// <summary>What fills {kind} in the file name template.</summary>
    public string FileKind => Name.ToLowerInvariant();

    /// <summary>Where it is drawn among the kinds (and listed among a patient's files): the tissue first.</summary>
    public abstract int Order { get; }

    /// <summary>Which kind a montage shows when several were asked for: the lowest that applies.</summary>
    public abstract int PanelPreference { get; }

    /// <summary>Whether the patient has the data this image shows (probabilities, labels, maps).</summary>
    public abstract bool Applies(PatientFacts facts);

    /// <summary>The image, which the caller disposes; it may be a view of the tissue canvas.</summary>
    public abstract Mat Draw(PatientCanvas canvas);

    public override string ToString() => Name;

    /// <summary>Every kind, in drawing order.</summary>
    public static IReadOnlyList<PatientImageKind> All => Kinds.All.Values.OrderBy(k => k.Order).ToList();

    /// <summary>The kinds named (any case, any order), in drawing order.</summary>
    public static IReadOnlyList<PatientImageKind> Parse(IEnumerable<string> names)
    {
        var chosen = new HashSet<PatientImageKind>();
        foreach (var name in names)
        {
            if (!Kinds.TryGet(name, out var kind))
                throw new HeatmapToolsException(ErrorIds.UnknownImageKind, ErrorKind.InvalidArgument,
                    $"Unknown patient image kind '{name}'.{Kinds.Hint(name)} Kinds: {string.Join(", ", All.Select(k => k.Name))}.", name);
            chosen.Add(kind);
        }
        return All.Where(chosen.Contains).ToList();
    }
}
