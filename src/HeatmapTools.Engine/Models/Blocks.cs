using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models;

/// <summary>
/// torchvision's shared building blocks (torchvision.ops.misc), built so their submodule and parameter names equal
/// torchvision's: a state dict saved by PyTorch loads key for key.
/// </summary>
internal static class Blocks
{
    /// <summary>torchvision's Conv2dNormActivation: <c>0</c> convolution, <c>1</c> norm, <c>2</c> activation (if any).</summary>
    public static Sequential ConvNormAct(long inChannels, long outChannels, long kernel, long stride = 1, long groups = 1,
        Func<long, Module<Tensor, Tensor>>? norm = null, Func<Module<Tensor, Tensor>>? activation = null, long? padding = null, bool? bias = null, long dilation = 1)
    {
        norm ??= c => BatchNorm2d(c);
        var layers = new List<(string, Module<Tensor, Tensor>)>
        {
            ("0", Conv2d(inChannels, outChannels, kernel, stride: stride, padding: padding ?? (kernel - 1) / 2 * dilation, dilation: dilation, groups: groups, bias: bias ?? false)),
            ("1", norm(outChannels)),
        };
        if (activation is not null) layers.Add(("2", activation()));
        return Sequential(layers);
    }

    public static Func<long, Module<Tensor, Tensor>> BatchNorm(double eps) => c => BatchNorm2d(c, eps: eps);

    /// <summary>torchvision's _make_divisible: channels rounded to a multiple of the divisor, never more than 10 % down.</summary>
    public static int MakeDivisible(double value, int divisor, int? minValue = null)
    {
        int min = minValue ?? divisor;
        int result = Math.Max(min, (int)(value + divisor / 2.0) / divisor * divisor);
        if (result < 0.9 * value) result += divisor;
        return result;
    }
}

/// <summary>A parameterless step of a forward pass that torchvision writes inline (a flatten, a pooling call, a permute).</summary>
public sealed class FunctionStage : Module<Tensor, Tensor>
{
    private readonly Func<Tensor, Tensor> _function;

    public FunctionStage(string kind, Func<Tensor, Tensor> function) : base(kind)
    {
        Kind = kind;
        _function = function;
    }

    /// <summary>What the step does, for code that inspects heads (ClassicCam): "GlobalAveragePool", "ReLU", ...</summary>
    public string Kind { get; }

    public override Tensor forward(Tensor input) => _function(input);

    public static FunctionStage GlobalAveragePool() => new("GlobalAveragePool", x => x.mean(new long[] { 2, 3 }, keepdim: true));
    public static FunctionStage Relu() => new("ReLU", x => functional.relu(x));

    /// <summary>torchvision's <c>F.relu(x, inplace=True)</c>: it changes its input, which a hook on the layer below sees.</summary>
    public static FunctionStage ReluInPlace() => new("ReLU", x => x.relu_());
}

/// <summary>torchvision's Permute module.</summary>
internal sealed class Permute : Module<Tensor, Tensor>
{
    private readonly long[] _dims;
    public Permute(params long[] dims) : base("Permute") => _dims = dims;
    public override Tensor forward(Tensor input) => input.permute(_dims);
}

/// <summary>torchvision's SqueezeExcitation: <c>fc1</c>, <c>fc2</c> 1x1 convolutions gating the channels.</summary>
internal sealed class SqueezeExcitation : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> avgpool;
    private readonly Module<Tensor, Tensor> fc1;
    private readonly Module<Tensor, Tensor> fc2;
    private readonly Module<Tensor, Tensor> activation;
    private readonly Module<Tensor, Tensor> scale_activation;

    public SqueezeExcitation(long inputChannels, long squeezeChannels, Func<Module<Tensor, Tensor>>? activation = null,
        Func<Module<Tensor, Tensor>>? scaleActivation = null) : base("SqueezeExcitation")
    {
        avgpool = AdaptiveAvgPool2d(1);
        fc1 = Conv2d(inputChannels, squeezeChannels, 1);
        fc2 = Conv2d(squeezeChannels, inputChannels, 1);
        this.activation = activation?.Invoke() ?? ReLU();
        scale_activation = scaleActivation?.Invoke() ?? Sigmoid();
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var scale = scale_activation.call(fc2.call(activation.call(fc1.call(avgpool.call(input)))));
        return scale * input;
    }
}

/// <summary>torchvision's LayerNorm2d: a LayerNorm over the channels of an NCHW tensor (ConvNeXt).</summary>
internal sealed class LayerNorm2d : Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly double _eps;
    private readonly long _channels;

    public LayerNorm2d(long channels, double eps) : base("LayerNorm2d")
    {
        _channels = channels;
        _eps = eps;
        weight = Parameter(ones(channels));
        bias = Parameter(zeros(channels));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var x = input.permute(0, 2, 3, 1);
        x = functional.layer_norm(x, new[] { _channels }, weight, bias, _eps);
        return x.permute(0, 3, 1, 2);
    }
}

/// <summary>torchvision's MLP (ops.misc): Linear, activation, Dropout, ..., with the flat indices torchvision gives them.</summary>
internal static class Mlp
{
    public static Sequential Gelu(long inDim, long hiddenDim, long outDim) => Sequential(
        ("0", Linear(inDim, hiddenDim)), ("1", GELU()), ("2", Dropout(0)), ("3", Linear(hiddenDim, outDim)), ("4", Dropout(0)));
}
