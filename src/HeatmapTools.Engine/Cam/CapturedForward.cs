using HeatmapTools.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam;

/// <summary>
/// One forward pass that records the activations of the target layers. Everything below the lowest target layer
/// runs without autograd; when gradients are wanted the lowest activation becomes a leaf, so the backward pass
/// stops there and never touches weights or the layers below.
/// </summary>
internal sealed class CapturedForward
{
    public required Tensor Logits { get; init; }
    public required IReadOnlyList<Tensor> Activations { get; init; }

    /// <summary>Runs the network; tensors belong to the caller's dispose scope.</summary>
    public static CapturedForward Run(LayeredModel model, Tensor input, IReadOnlyList<int> layers, bool withGradients)
    {
        var ordered = layers.Distinct().Order().ToList();
        int lowest = ordered[0];
        Tensor x;
        using (no_grad())
        {
            x = model.Run(input, 0, lowest);
        }
        var captured = new Dictionary<int, Tensor>();
        using var gradMode = withGradients ? enable_grad() : no_grad();
        x = x.detach();
        if (withGradients) x.requires_grad_(true);
        captured[lowest] = x;
        // Layers above may be in-place activations: feed them a copy so the captured tensor keeps its values.
        x = x.clone();
        for (int i = lowest + 1; i < model.Stages.Count; i++)
        {
            x = model.Run(x, i, i);
            if (ordered.Contains(i))
            {
                captured[i] = x;
                x = x.clone();
            }
        }
        var logits = x.dim() > 2 ? x.flatten(1) : x;
        return new CapturedForward { Logits = logits, Activations = layers.Select(l => captured[l]).ToList() };
    }
}
