using HeatmapTools.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam;

/// <summary>
/// One forward pass that records the activations of the target layers. Everything below the lowest target's stage
/// runs without autograd; when gradients are wanted that stage's input (or the lowest activation, when it is a
/// stage output) becomes a leaf, so the backward pass stops there and never touches weights or the layers below.
/// Targets inside a stage are recorded by a forward hook on their module while the stage runs. Above the top target
/// layer, when the model's head allows it, all classes' logits are computed without autograd and only each target
/// class's score is differentiated, so the backward pass crosses one class's weights of the head instead of all of them.
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

    /// <summary>
    /// Each target's output (tokens stay tokens: see LayeredModel.ToMaps), as it reads once the forward pass is done.
    /// It is the copy handed to the layers above, so an in-place operation there (torchvision's ReLU(inplace=True),
    /// DenseNet's final relu, a residual <c>+=</c>) shows in it, exactly as in the tensor a PyTorch forward hook keeps,
    /// which is what pytorch-grad-cam reads.
    /// </summary>
    public required IReadOnlyList<Tensor> Activations { get; init; }

    /// <summary>
    /// Each target's output as it was produced: gradients are taken with respect to these, as a PyTorch tensor hook
    /// registered on the output sees them.
    /// </summary>
    public required IReadOnlyList<Tensor> GradientTargets { get; init; }

    /// <summary>Tensors recorded by hooks, outside every dispose scope: the caller disposes them when done.</summary>
    public required IReadOnlyList<Tensor> Owned { get; init; }

    /// <summary>Each sample's target score; with gradients, differentiable back to the activations.</summary>
    public Tensor Scores(IReadOnlyList<Targets.CamTarget> targets)
    {
        var classes = targets.Select(t => (long)t.ClassIndex).ToArray();
        // Class logits alone come from the head's own per-class projection when it has one.
        if (targets.All(t => t is Targets.ClassTarget))
            return _headInput is not null ? _model.ClassScores(_headInput, classes) : Logits.gather(1, tensor(classes).reshape(-1, 1)).squeeze(1);
        using var grad = enable_grad();
        // Other targets read every output (or the pooled features), differentiable through the head when it was split off.
        var outputs = _headInput is null ? Logits : _model.LogitsFrom(_headInput, _model.HeadIndex!.Value - 1);
        Tensor? features = null;
        Tensor Features() => features ??= _headInput is not null ? LayeredModel.Pool(_headInput)
            : throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidOperation,
                $"{_model.Name} has no single classifier layer to take the features before, so it has no pooled features to compare.", _model.Name);
        return cat(targets.Select((t, i) => t.Score((t.UsesFeatures ? Features() : outputs)[i..(i + 1)])).ToList(), 0);
    }

    /// <summary>Runs the network; tensors belong to the caller's dispose scope.</summary>
    public static CapturedForward Run(LayeredModel model, Tensor input, IReadOnlyList<LayerTarget> layers, bool withGradients)
    {
        int lowest = layers.Min(l => l.Stage);
        int highest = layers.Max(l => l.Stage);
        // A nested target needs its whole stage run with the hook in place; a stage output is ready after its stage.
        bool lowestNested = layers.Any(l => l.Stage == lowest && !l.IsStage);
        int start = lowestNested ? lowest : lowest + 1;
        Tensor x;
        using (no_grad())
        {
            if (start == 0) LayeredModel.CountInputPass();
            x = start == 0 ? input : model.Run(input, 0, start - 1);
        }
        var captured = new Dictionary<LayerTarget, Tensor>();
        var handedOn = new Dictionary<LayerTarget, Tensor>();
        using var gradMode = withGradients ? enable_grad() : no_grad();
        x = x.detach();
        if (withGradients) x.requires_grad_(true);
        if (!lowestNested)
        {
            var atLowest = layers.Where(l => l.Stage == lowest).ToList();
            foreach (var t in atLowest) captured[t] = x;
            // The layers above get a copy: in-place operations there change the copy (read as the activation), while
            // gradients are taken with respect to the captured value.
            x = x.clone();
            foreach (var t in atLowest) handedOn[t] = x;
        }
        var owned = new List<Tensor>();
        // The head's input is kept (the network is run in two parts around it): gradient methods differentiate one class's
        // row of the head, and targets that compare features read it.
        bool splitHead = model.HeadIndex is int head && head > highest;
        int last = splitHead ? model.HeadIndex!.Value - 1 : model.Stages.Count - 1;
        for (int i = start; i <= last; i++)
        {
            using (model.Taps.On(layers.Where(l => l.Stage == i && !l.IsStage).Select(t => ((nn.Module)t.Inner!, (Func<Tensor, Tensor>)(output =>
            {
                // TorchSharp's Sequential disposes each intermediate result once the next module has run, and modules may
                // run in dispose scopes of their own: what is kept here are handles of our own, outside any scope
                // (Owned, disposed by the caller). The copy handed on is differentiated through from our handle.
                var mine = output.alias().DetachFromDisposeScope();
                var handed = mine.clone();
                var seen = handed.alias().DetachFromDisposeScope();
                owned.Add(mine);
                owned.Add(seen);
                captured[t] = mine;
                handedOn[t] = seen;
                return handed;
            })))))
            {
                x = model.Run(x, i, i);
            }
            var stageTargets = layers.Where(l => l.Stage == i && l.IsStage).ToList();
            if (stageTargets.Count > 0)
            {
                foreach (var t in stageTargets) captured.TryAdd(t, x);
                x = x.clone();
                foreach (var t in stageTargets) handedOn.TryAdd(t, x);
            }
        }
        var missing = layers.FirstOrDefault(l => !captured.ContainsKey(l));
        if (missing is not null)
            throw new HeatmapToolsException(ErrorIds.MethodNotApplicable, ErrorKind.InvalidOperation,
                $"'{missing.Name}' of {model.Name} was not run by the forward pass, so it has no activations to explain.", missing.Name);
        var gradientTargets = layers.Select(l => captured[l]).ToList();
        var activations = layers.Select(l => handedOn.TryGetValue(l, out var v) ? v : captured[l]).ToList();
        if (!splitHead)
            return new CapturedForward(model, null) { Logits = x.dim() > 2 ? x.flatten(1) : x, Activations = activations, GradientTargets = gradientTargets, Owned = owned };

        Tensor logits;
        using (no_grad())
        {
            logits = model.LogitsFrom(x.detach(), last);
        }
        return new CapturedForward(model, x) { Logits = logits, Activations = activations, GradientTargets = gradientTargets, Owned = owned };
    }
}
