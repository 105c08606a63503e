using HeatmapTools.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam;

/// <summary>
/// Score-CAM (Wang et al. 2020): each activation channel, upsampled and min-max scaled, masks the input; the
/// softmax over channels of the masked inputs' target logits weights the channels. Masked inputs go through the
/// network in chunks of <c>chunk</c>, never all channels at once; constant channels all give the same all-zero
/// mask, so that input is scored once.
/// </summary>
internal static class ScoreCam
{
    public static Tensor Map(LayeredModel model, Tensor input, Tensor activations, long[] targets, int chunk, CancellationToken cancellation)
    {
        using var noGrad = no_grad();
        long b = activations.shape[0], k = activations.shape[1];
        var size = new long[] { input.shape[2], input.shape[3] };
        var weights = new List<Tensor>();
        for (int i = 0; i < b; i++)
        {
            using var scope = NewDisposeScope();
            var up = nn.functional.interpolate(activations[i].unsqueeze(0), size, mode: InterpolationMode.Bilinear, align_corners: true)[0];
            var flat = up.reshape(k, -1);
            var max = flat.amax(new long[] { 1 }).reshape(k, 1, 1);
            var min = flat.amin(new long[] { 1 }).reshape(k, 1, 1);
            var masks = (up - min) / (max - min + 1e-8f);
            var constant = max.flatten().eq(min.flatten()).data<bool>().ToArray();

            var scores = new float[k];
            var live = Enumerable.Range(0, (int)k).Where(c => !constant[c]).ToArray();
            if (live.Length < k)
            {
                float zeroScore = model.Logits(zeros_like(input[i]).unsqueeze(0))[0, targets[i]].item<float>();
                for (int c = 0; c < k; c++) if (constant[c]) scores[c] = zeroScore;
            }
            var image = input[i].unsqueeze(0);
            for (int start = 0; start < live.Length; start += chunk)
            {
                cancellation.ThrowIfCancellationRequested();
                using var chunkScope = NewDisposeScope();
                var idx = tensor(live.Skip(start).Take(chunk).Select(c => (long)c).ToArray());
                var masked = image * masks.index_select(0, idx).unsqueeze(1);
                var logits = model.Logits(masked)[.., targets[i]].data<float>().ToArray();
                for (int j = 0; j < logits.Length; j++) scores[live[start + j]] = logits[j];
            }
            weights.Add(softmax(tensor(scores), 0).MoveToOuterDisposeScope());
        }
        var w = stack(weights).reshape(b, k, 1, 1);
        return (w * activations).sum(1);
    }
}
