using HeatmapTools.Engine.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Methods;

/// <summary>
/// Classic CAM (Zhou et al. 2016) needs a head that only pools and then classifies: either global average pooling
/// followed by a linear layer (ResNet: map = sum_k w_ck A_k) or a 1x1 convolution and ReLU followed by pooling
/// (SqueezeNet: map = the classifier's own output channel c before the pooling).
/// </summary>
public sealed class ClassicCam : CamMethod
{
    public override string Name => "CAM";
    public override string Paper => "Zhou et al. 2016, Learning Deep Features for Discriminative Localization";

    public override Tensor Map(CamContext c)
    {
        // The map is the head's weights for one class: it explains that class's logit and nothing else.
        if (c.Targets.FirstOrDefault(t => t is not Targets.ClassTarget) is { } other)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidOperation,
                $"Classic CAM weighs the activations by one class's classifier weights, so it explains a class's logit only, not -Target {other.Kind}. " +
                "Use a gradient method (GradCAM, ...), EigenCAM or ScoreCAM.", other.Kind);
        return Compute(c.Model, RequireStage(c), c.Activations, c.Classes, c.Options);
    }

    private static Tensor Compute(LayeredModel model, int layer, Tensor activations, long[] targets, CamOptions options)
    {
        using var noGrad = no_grad();
        var above = model.Stages.Skip(layer + 1).Select(s => s.Module).Where(m => m is not (Dropout or Flatten)).ToList();
        var index = tensor(targets);
        if (above.Count == 2 && above[0] is AdaptiveAvgPool2d or FunctionStage { Kind: "GlobalAveragePool" } && above[1] is Linear linear)
        {
            var w = linear.weight!.index_select(0, index); // B x K
            return Combine(w.unsqueeze(-1).unsqueeze(-1) * activations, options);
        }
        if (above.Count == 3 && above[0] is Conv2d conv && conv.weight!.shape[2] == 1 && conv.weight.shape[3] == 1
            && above[1] is ReLU && above[2] is AdaptiveAvgPool2d)
        {
            var classMaps = above[1].call(above[0].call(activations.clone()));
            var gathered = classMaps.gather(1, index.reshape(-1, 1, 1, 1).expand(-1, 1, classMaps.shape[2], classMaps.shape[3]));
            return gathered.squeeze(1);
        }
        throw new HeatmapToolsException(ErrorIds.MethodNotApplicable, ErrorKind.InvalidOperation,
            $"Classic CAM needs a layer followed only by global average pooling and a classifier; in {model.Name} the layers above " +
            $"'{model.Stages[layer].Name}' are {string.Join(", ", model.Stages.Skip(layer + 1).Select(s => s.Name))}. " +
            $"Use the model's last convolutional stage ({model.Info.DefaultLayer}) on a GAP model, or -Method GradCAM.", model.Stages[layer].Name);
    }
}
