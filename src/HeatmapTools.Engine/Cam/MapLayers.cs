using HeatmapTools.Engine.Models;

namespace HeatmapTools.Engine.Cam;

/// <summary>
/// A run's target layers resolved on one network: what a map pass hooks (<see cref="Targets"/>) and how its results name
/// them (<see cref="Description"/>). Made once per model by <see cref="LayerSelection.Resolve"/>; every pass of the run
/// takes it as it is, so a name is looked up (and an unknown one refused) once, before any image.
/// </summary>
public sealed class MapLayers
{
    internal MapLayers(LayeredModel model, IReadOnlyList<LayerTarget> targets)
    {
        Model = model;
        Targets = targets;
        Description = string.Join(",", targets.Select(t => t.Name));
    }

    /// <summary>The network the targets belong to (a nested target holds that network's module).</summary>
    public LayeredModel Model { get; }

    /// <summary>The layers in the order asked for; their maps are averaged.</summary>
    public IReadOnlyList<LayerTarget> Targets { get; }

    /// <summary>The layers' canonical names joined by commas, as results carry them and -Layer binds them back.</summary>
    public string Description { get; }

    /// <summary>
    /// The same layers on another network of this architecture (a randomised copy, the candidate weights): its own
    /// modules, found by the canonical names; this one when it is the same network.
    /// </summary>
    public MapLayers On(LayeredModel other) =>
        ReferenceEquals(other, Model) ? this : new MapLayers(other, Targets.Select(t => other.ResolveTarget(t.Name)).ToList());

    public override string ToString() => Description;
}
