using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Cam.Targets;
using HeatmapTools.Engine.Models;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Attribution;

/// <summary>What an attribution method is given: one image's network input and what to explain.</summary>
public sealed record AttributionContext
{
    public required LayeredModel Model { get; init; }
    /// <summary>The network input, 1 x C x H x W.</summary>
    public required Tensor Input { get; init; }
    public required CamTarget Target { get; init; }
    public required AttributionOptions Options { get; init; }
    public CancellationToken Cancellation { get; init; }

    /// <summary>The target's score of each row of <paramref name="inputs"/> (N x C x H x W), a bounded number at a time, without gradients.</summary>
    public float[] Scores(Tensor inputs)
    {
        var scores = new float[inputs.shape[0]];
        using var inference = no_grad();
        for (long start = 0; start < inputs.shape[0]; start += Options.Chunk)
        {
            Cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            long end = Math.Min(inputs.shape[0], start + Options.Chunk);
            Target.Score(Model, inputs[TensorIndex.Slice(start, end)], 0).to_type(ScalarType.Float32).contiguous().data<float>().ToArray().CopyTo(scores, start);
        }
        return scores;
    }

    /// <summary>d score / d input for each row of <paramref name="inputs"/> (N x C x H x W), a bounded number of rows at a time.</summary>
    public Tensor Gradients(Tensor inputs)
    {
        var parts = new List<Tensor>();
        for (long start = 0; start < inputs.shape[0]; start += Options.Chunk)
        {
            Cancellation.ThrowIfCancellationRequested();
            long end = Math.Min(inputs.shape[0], start + Options.Chunk);
            using var scope = NewDisposeScope();
            var x = inputs[TensorIndex.Slice(start, end)].detach().clone().requires_grad_(true);
            using var enabled = enable_grad();
            // Rows are independent, so the gradient of their sum is each row's own.
            var score = Target.Score(Model, x, 0).sum();
            parts.Add(autograd.grad(new[] { score }, new[] { x })[0].detach().MoveToOuterDisposeScope());
        }
        return cat(parts, 0);
    }
}

/// <summary>
/// A pixel attribution (as Captum has one class per method): how much each input value of the network counts for the
/// target, at the network input (C x H x W). It is a <see cref="CamMethod"/> so that every command that makes maps
/// takes it with -Method and writes it as it writes maps; it reads no layer. Adding a method is adding a file.
/// </summary>
public abstract class AttributionMethod : CamMethod
{
    /// <summary>What results name as their layer: attributions are taken at the network input.</summary>
    public const string InputLayer = "input";

    public override bool UsesGradients => true;
    public override bool IsAttribution => true;

    /// <summary>1 x C x H x W attributions of the context's input.</summary>
    public abstract Tensor Attribute(AttributionContext context);

    /// <summary>
    /// The attributions of each row of <paramref name="inputs"/> (N x C x H x W, variants of one image such as a noise
    /// tunnel's copies) for the context's target; one row at a time unless the method batches them.
    /// </summary>
    public virtual Tensor AttributeEach(AttributionContext context, Tensor inputs)
    {
        var rows = new List<Tensor>();
        for (long i = 0; i < inputs.shape[0]; i++)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            rows.Add(Attribute(context with { Input = inputs[TensorIndex.Slice(i, i + 1)] }));
        }
        return cat(rows, 0);
    }

    public sealed override Tensor Map(CamContext context) =>
        throw new InvalidOperationException($"{Name} attributes the input; the engine calls Attribute, not Map.");

    /// <summary>The baseline the input is compared with, 1 x C x H x W.</summary>
    protected static Tensor Baseline(AttributionContext context) => AttributionBaselines.Of(context);
}
