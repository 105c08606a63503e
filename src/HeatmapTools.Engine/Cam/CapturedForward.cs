using HeatmapTools.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam;

/// <summary>
/// One forward pass that records the activations of the target layers. Everything below the lowest target layer
/// runs without autograd; when gradients are wanted the lowest activation becomes a leaf, so the backward pass
/// stops there and never touches weights or the layers below. Above the top target layer, when the model's head
/// allows it, all classes' logits are computed without autograd and only each target class's score is
/// differentiated, so the backward pass crosses one class's weights of the head instead of all of them.
/// </summary>
internal sealed class CapturedForward
{
    private readonly LayeredModel _model;
    private readonly Tensor? _headInput;

    private CapturedForward(LayeredModel model, Tensor? headInput)
    {
        _model = model;
        _headInput = headInput;
    }

    /// <summary>All classes' logits (they may carry gradients: detach before reading).</summary>
    public required Tensor Logits { get; init; }
    public required IReadOnlyList<Tensor> Activations { get; init; }

    /// <summary>Each sample's logit for its target class; with gradients, differentiable back to the activations.</summary>
    public Tensor Scores(long[] targets) => _headInput is not null
        ? _model.ClassScores(_headInput, targets)
        : Logits.gather(1, tensor(targets).reshape(-1, 1)).squeeze(1);

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
        bool splitHead = withGradients && model.HeadIndex is int head && head > ordered[^1];
        int last = splitHead ? model.HeadIndex!.Value - 1 : model.Stages.Count - 1;
        // Layers above may be in-place activations: feed them a copy so the captured tensor keeps its values.
        x = x.clone();
        for (int i = lowest + 1; i <= last; i++)
        {
            x = model.Run(x, i, i);
            if (ordered.Contains(i))
            {
                captured[i] = x;
                x = x.clone();
            }
        }
        var activations = layers.Select(l => captured[l]).ToList();
        if (!splitHead) return new CapturedForward(model, null) { Logits = x.dim() > 2 ? x.flatten(1) : x, Activations = activations };

        Tensor logits;
        using (no_grad())
        {
            logits = model.LogitsFrom(x.detach(), last);
        }
        return new CapturedForward(model, x) { Logits = logits, Activations = activations };
    }
}
