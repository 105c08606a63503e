using HeatmapTools.Engine.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam;

/// <summary>
/// Guided backpropagation (Springenberg et al. 2015, "Striving for Simplicity: The All Convolutional Net"): the gradient
/// of the class score with respect to the input, where every ReLU module passes back only positive gradients at positive
/// inputs. As pytorch-grad-cam's GuidedBackpropReLUModel, only ReLU modules are guided (functional relus inside blocks are
/// not), and the model itself is never changed: the guided step is a forward hook for this thread's pass only.
/// </summary>
internal static class GuidedBackprop
{
    /// <summary>B x 3 x H x W gradients of each image's target logit, laid out as the input.</summary>
    public static Tensor InputGradients(LayeredModel model, Tensor input, IReadOnlyList<Targets.CamTarget> targets)
    {
        // The model may be running on another thread at the same time: the guided step is this thread's alone (ModuleTaps).
        using var guided = model.Taps.On(model.Network.named_modules().Select(m => m.module).OfType<ReLU>()
            .Select(relu => ((nn.Module)relu, (Func<Tensor, Tensor>)(output => GuidedRelu.apply(output)))));
        var x = input.detach().clone().requires_grad_(true);
        using var enabled = enable_grad();
        var scores = cat(targets.Select((t, i) => t.Score(model, x[i..(i + 1)], 0)).ToList(), 0).sum();
        return autograd.grad(new[] { scores }, new[] { x })[0].detach();
    }

    private sealed record Held(Tensor Tensor);

    /// <summary>A ReLU's output passed on unchanged; backwards, only positive gradients where the output is positive.</summary>
    private sealed class GuidedRelu : autograd.SingleTensorFunction<GuidedRelu>
    {
        public override string Name => nameof(GuidedRelu);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var output = (Tensor)vars[0];
            // Kept outside dispose scopes (TorchSharp's Sequential disposes intermediates as it goes); backward frees it.
            // (in a holder: TorchSharp warns about tensors given to save_data, and save_for_backward's would be scoped).
            ctx.save_data("positive", new Held(output.detach().gt(0).to_type(output.dtype).DetachFromDisposeScope()));
            return output.clamp_min(0);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            using var positive = ((Held)ctx.get_data("positive")).Tensor;
            return new List<Tensor> { gradOutput * positive * gradOutput.gt(0).to_type(gradOutput.dtype) };
        }
    }
}
