using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models.Detectors;

/// <summary>
/// A detector backbone's levels (torchvision's OrderedDict of feature maps) leave it as one tensor, so the stages above
/// read them from one activation whose gradient holds every level's: the layer <c>backbone</c>, which pytorch-grad-cam's
/// hooks cannot differentiate through torchvision's dict. Levels of one channel count (an FPN's) pack as B x K x 1 x N,
/// each level flattened, finest first; levels of different counts (SSD's) as B x 1 x 1 x N, each level's channels and
/// pixels flattened. The pass keeps the levels' shapes to unpack them.
/// </summary>
internal static class PackedLevels
{
    /// <summary>
    /// The levels as the heads read them. A level the backbone derives from another (SSD's next level, an FPN's pool or
    /// P6 and P7) gets its gradient there from the heads and from every level derived from it, as PyTorch's hooks on
    /// torchvision's dict tensors see it: with gradients on, the backbone cuts its chain between levels (so nothing
    /// below counts twice) and here each derived level is worked out again from the level it comes from, adding zero
    /// to its value and the chain's path to its gradient.
    /// </summary>
    public static IReadOnlyList<Tensor> Linked(Tensor packed, ILevelChain chain)
    {
        var levels = Unpack(packed);
        if (!is_grad_enabled()) return levels;
        var linked = new List<Tensor>();
        for (int l = 0; l < levels.Count; l++)
        {
            if (chain.ParentOf(l) is not { } parent) { linked.Add(levels[l]); continue; }
            var again = chain.Derive(l, linked[parent]);
            linked.Add(levels[l] + (again - again.detach()));
        }
        return linked;
    }

    /// <summary>
    /// The input a backbone derives a level from: while gradients are on, cut from the graph (see <see cref="Linked"/>)
    /// as a leaf of its own that asks for a gradient, so what the backbone computes from it still does (a layer inside
    /// the derived level is a target like any other).
    /// </summary>
    public static Tensor Cut(Tensor parent) => is_grad_enabled() ? parent.detach().requires_grad_(true) : parent;

    public static Tensor Pack(IReadOnlyList<Tensor> levels)
    {
        RcnnPass.Levels = levels.Select(l => (l.shape[1], l.shape[2], l.shape[3])).ToList();
        return levels.All(l => l.shape[1] == levels[0].shape[1])
            ? cat(levels.Select(l => l.flatten(2)).ToList(), 2).unsqueeze(2)
            : cat(levels.Select(l => l.flatten(1)).ToList(), 1).view(levels[0].shape[0], 1, 1, -1);
    }

    /// <summary>The packed levels as B x K x h x w maps, one per level, finest first.</summary>
    public static IReadOnlyList<Tensor> Unpack(Tensor packed)
    {
        var shapes = RcnnPass.Levels;
        long n = packed.shape[0];
        bool perChannel = shapes.All(s => s.C == packed.shape[1]);
        var flat = packed.reshape(n, perChannel ? packed.shape[1] : 1, -1);
        var parts = flat.split(shapes.Select(s => (perChannel ? 1 : s.C) * s.H * s.W).ToArray(), 2);
        return parts.Select((p, l) => p.reshape(n, shapes[l].C, shapes[l].H, shapes[l].W)).ToList();
    }

    /// <summary>
    /// pytorch-grad-cam's fasterrcnn_reshape_transform on the packed levels (activations and gradients alike): each level's
    /// absolute value resized bilinearly to one level's size, the levels' channels concatenated. The tutorial's size is
    /// the coarsest level's; SSD's coarsest is one pixel, so it joins at its finest (<paramref name="atFinest"/>).
    /// </summary>
    public static Tensor Joined(Tensor packed, bool atFinest = false)
    {
        var levels = Unpack(packed);
        var at = atFinest ? levels[0] : levels[^1];
        var size = new[] { at.shape[2], at.shape[3] };
        return cat(levels.Select(l => functional.interpolate(l.abs(), size, mode: InterpolationMode.Bilinear, align_corners: false)).ToList(), 1);
    }
}

/// <summary>Which of a backbone's levels it derives from another level, and how (see <see cref="PackedLevels.Linked"/>).</summary>
internal interface ILevelChain
{
    /// <summary>The level that level <paramref name="level"/> is computed from, or null for one computed from the body.</summary>
    int? ParentOf(int level);

    /// <summary>Level <paramref name="level"/> from its parent level, as the backbone computes it.</summary>
    Tensor Derive(int level, Tensor parent);
}
