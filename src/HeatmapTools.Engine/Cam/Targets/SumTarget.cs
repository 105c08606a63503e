using HeatmapTools.Engine.Models;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Targets;

/// <summary>
/// Several classes' logits summed into one map (a multi-label head: where is any of these findings); without it each
/// class asked for gets a map of its own.
/// </summary>
public sealed class SumTarget : CamTarget
{
    private readonly int[] _classes;

    public SumTarget(IEnumerable<int> classes) => _classes = classes.Distinct().ToArray();

    public IReadOnlyList<int> Classes => _classes;
    public override int ClassIndex => _classes[0];
    public override string Kind => "Sum";
    public override string Label(ClassLabels labels) => string.Join("+", _classes.Select(c => labels[c].Name));
    public override string Key => $"{Kind}:{string.Join(",", _classes)}";

    public override void Validate(LayeredModel model)
    {
        foreach (int c in _classes) RequireClass(model, c);
    }

    public override Tensor Score(Tensor output) => output.index_select(1, tensor(_classes.Select(c => (long)c).ToArray())).sum(1);

    internal sealed class Maker : TargetKind
    {
        public override string KindName => "Sum";
        public override IEnumerable<CamTarget> For(TargetContext context, IReadOnlyList<int> classes) => new[] { new SumTarget(classes) };
    }
}
