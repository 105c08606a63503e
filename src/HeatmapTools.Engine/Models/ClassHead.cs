using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Models;

/// <summary>
/// The stage that projects features onto class scores (ResNet's and VGG's last Linear, SqueezeNet's 1x1
/// convolution), when everything after it works channel by channel (ReLU, pooling, dropout). Score-CAM and
/// Ablation-CAM need one class's score for hundreds of inputs; projecting onto that class's row alone gives the
/// same number without computing the other 999. On SqueezeNet that projection is a quarter of the network's work.
/// </summary>
internal sealed class ClassHead
{
    private readonly nn.Module<Tensor, Tensor> projection;

    private ClassHead(int index, nn.Module<Tensor, Tensor> projection)
    {
        Index = index;
        this.projection = projection;
    }

    /// <summary>Stage index of the projection.</summary>
    public int Index { get; }

    public static ClassHead? Find(IReadOnlyList<Stage> stages)
    {
        for (int i = stages.Count - 1; i >= 0; i--)
        {
            var module = stages[i].Module;
            if (module is Linear) return new ClassHead(i, module);
            if (module is Conv2d { groups: 1, padding_type: null }) return new ClassHead(i, module);
            // Anything that mixes channels after the projection would need every class's score.
            if (module is not (ReLU or Dropout or AdaptiveAvgPool2d or AvgPool2d or Identity)) return null;
        }
        return null;
    }

    /// <summary>
    /// Each sample projected onto its own class: one output feature or channel per sample. Gradients flow through it,
    /// so a gradient CAM's backward pass crosses one class's weights instead of all of them.
    /// </summary>
    public Tensor ProjectEach(Tensor features, long[] targets)
    {
        if (targets.Distinct().Count() == 1) return Project(features, targets[0]);
        if (projection is Linear linear)
        {
            if (features.dim() > 2) features = features.flatten(1);
            var index = tensor(targets);
            var scores = (features * linear.weight!.index_select(0, index)).sum(1, keepdim: true);
            return linear.bias is null ? scores : scores + linear.bias.index_select(0, index).unsqueeze(1);
        }
        // Convolutions: one single-channel convolution per sample (a batch holds a handful).
        return cat(targets.Select((t, i) => Project(features.narrow(0, i, 1), t)).ToArray(), 0);
    }

    /// <summary>The projection onto class <paramref name="target"/> only: one output feature or channel.</summary>
    public Tensor Project(Tensor features, long target)
    {
        switch (projection)
        {
            case Linear linear:
                if (features.dim() > 2) features = features.flatten(1);
                return nn.functional.linear(features, linear.weight!.narrow(0, target, 1), linear.bias?.narrow(0, target, 1));
            case Conv2d conv:
                return nn.functional.conv2d(features, conv.weight!.narrow(0, target, 1), conv.bias?.narrow(0, target, 1),
                    conv.stride, conv.padding, conv.dilation);
            default:
                throw new InvalidOperationException($"No single-class projection for {projection.GetType().Name}.");
        }
    }
}
