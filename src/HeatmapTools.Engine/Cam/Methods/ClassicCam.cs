using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Onnx;
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
        return Compute(c.Model, RequireStage(c), c.Layer, c.Activations, c.Classes, c.Options);
    }

    private static Tensor Compute(LayeredModel model, int layer, LayerTarget target, Tensor activations, long[] targets, CamOptions options)
    {
        using var noGrad = no_grad();
        if (model.Stages[layer].Module is OnnxSegment) return ComputeOnnx(model, layer, target, activations, targets, options);
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

    /// <summary>An ONNX graph's head as its exporter wrote it (GlobalAveragePool or ReduceMean, Flatten, Gemm or MatMul...).</summary>
    private static Tensor ComputeOnnx(LayeredModel model, int layer, LayerTarget target, Tensor activations, long[] targets, CamOptions options)
    {
        var own = (OnnxSegment)model.Stages[layer].Module;
        string tensorName = target.IsStage ? own.Output : own.Taps.First(t => ReferenceEquals(t.Tap, target.Inner)).Tensor;
        var segments = model.Stages.Skip(layer).Select(s => s.Module).OfType<OnnxSegment>().ToList();
        int from = target.IsStage ? own.Nodes.Count : own.Nodes.ToList().FindIndex(n => n.Outputs.Contains(tensorName)) + 1;
        var nodes = own.Nodes.Skip(from).Concat(segments.Skip(1).SelectMany(s => s.Nodes)).ToList();
        Tensor? value(string name) => segments.Select(s => s.Value(name)).FirstOrDefault(v => v is not null);
        bool channelsLast = model.Info.TargetLayouts?.GetValueOrDefault(target.Name) == ActivationLayout.ChannelsLast;
        var weights = OnnxGapHead.ClassWeights(nodes, tensorName, segments[^1].Output, value, channelsLast, activations.shape[2], activations.shape[3], out string why);
        if (weights is null || weights.shape[1] != activations.shape[1])
            throw new HeatmapToolsException(ErrorIds.MethodNotApplicable, ErrorKind.InvalidOperation,
                $"Classic CAM needs a layer followed only by global average pooling and a linear classifier; in {model.Name} after '{target.Name}' " +
                $"{(weights is null ? why : $"the classifier reads {weights.shape[1]} channels, not the layer's {activations.shape[1]}")}. " +
                $"Choose the layer the pooling reads, or -Method GradCAM (which equals CAM on such a head).", target.Name);
        var w = weights.index_select(0, tensor(targets)); // B x K
        return Combine(w.unsqueeze(-1).unsqueeze(-1) * activations, options);
    }
}
