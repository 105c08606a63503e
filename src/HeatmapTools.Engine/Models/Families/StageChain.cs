using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Models;

/// <summary>Builds a model's stage chain from its torchvision-named children, for families whose forward is not just their children in order.</summary>
internal sealed class StageChain
{
    private readonly nn.Module _network;
    private readonly List<Stage> _stages = new();

    public StageChain(nn.Module network) => _network = network;

    /// <summary>The child named <paramref name="path"/> (dots walk down), opened into its children when it is a Sequential.</summary>
    public StageChain Open(string path)
    {
        var module = Find(_network, path);
        if (module is Sequential sequential)
            foreach (var (name, child) in sequential.named_children()) _stages.Add(new Stage($"{path}.{name}", (nn.Module<Tensor, Tensor>)child));
        else
            _stages.Add(new Stage(path, (nn.Module<Tensor, Tensor>)module));
        return this;
    }

    /// <summary>The child named <paramref name="path"/> as one stage, even if it is a Sequential.</summary>
    public StageChain Whole(string path)
    {
        _stages.Add(new Stage(path, (nn.Module<Tensor, Tensor>)Find(_network, path)));
        return this;
    }

    /// <summary>A step torchvision writes inline in forward; it has no weights.</summary>
    public StageChain Step(string name, FunctionStage step)
    {
        _stages.Add(new Stage(name, step));
        return this;
    }

    public IReadOnlyList<Stage> Build() => _stages;

    internal static nn.Module Find(nn.Module root, string path)
    {
        var module = root;
        foreach (var part in path.Split('.'))
        {
            var next = module.named_children().FirstOrDefault(c => c.name == part).module;
            module = next ?? throw new InvalidOperationException($"{root.GetName()} has no submodule '{path}'.");
        }
        return module;
    }
}
