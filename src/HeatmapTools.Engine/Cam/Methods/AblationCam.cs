using HeatmapTools.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Methods;

/// <summary>
/// Ablation-CAM (Desai and Ramaswamy 2020): weight_k = (y - y_k) / y, where y_k is the target logit with channel k
/// of the target layer ablated. Only the layers above the target run again, on chunks of ablated copies of the
/// activations; the layers below ran once. A channel that already holds the ablation value everywhere cannot change
/// the output, so its y_k is y without a forward pass.
/// </summary>
public sealed class AblationCam : CamMethod
{
    private const float AblationOffset = 1e7f;

    public override string Name => "AblationCAM";
    public override string Paper => "Desai and Ramaswamy 2020, Ablation-CAM: Visual Explanations for Deep Convolutional Network via Gradient-free Localization";

    public override Tensor Map(CamContext c) =>
        Compute(c.Model, RequireStage(c), c.Activations, c.Logits, c.Targets, c.Options, c.Cancellation);

    private static Tensor Compute(LayeredModel model, int layer, Tensor activations, Tensor logits, IReadOnlyList<Targets.CamTarget> targets, CamOptions options, CancellationToken cancellation)
    {
        int chunk = options.ChunkSize;
        using var noGrad = no_grad();
        long b = activations.shape[0], k = activations.shape[1];
        var weights = new List<Tensor>();
        for (int i = 0; i < b; i++)
        {
            using var scope = NewDisposeScope();
            var a = activations[i];
            // The forward pass's own score (as pytorch-grad-cam reads it); a target of more than the logits is scored again from the activations.
            float original = (targets[i] is Targets.ClassTarget ? targets[i].Score(logits[i..(i + 1)]) : targets[i].Score(model, a.unsqueeze(0), layer + 1))[0].item<float>();
            // As pytorch-grad-cam: zero when activations bottom out at zero (after a ReLU), else far below their minimum.
            float minimum = a.min().item<float>();
            float ablationValue = minimum == 0 ? 0f : minimum - AblationOffset;
            var alreadyAblated = a.reshape(k, -1).eq(ablationValue).all(1).data<bool>().ToArray();

            var ablatedScores = Enumerable.Repeat(original, (int)k).ToArray();
            var channels = Enumerable.Range(0, (int)k).Where(c => !alreadyAblated[c]).ToArray();
            for (int start = 0; start < channels.Length; start += chunk)
            {
                cancellation.ThrowIfCancellationRequested();
                using var chunkScope = NewDisposeScope();
                var part = channels.Skip(start).Take(chunk).ToArray();
                var copies = a.unsqueeze(0).repeat(part.Length, 1, 1, 1);
                for (int j = 0; j < part.Length; j++) copies[j, part[j]].fill_(ablationValue);
                var scores = targets[i].Score(model, copies, layer + 1).data<float>().ToArray();
                for (int j = 0; j < part.Length; j++) ablatedScores[part[j]] = scores[j];
            }
            var y = tensor(ablatedScores);
            weights.Add(((original - y) / original).MoveToOuterDisposeScope());
        }
        var w = stack(weights).reshape(b, k, 1, 1);
        return Combine(w * activations, options);
    }
}
