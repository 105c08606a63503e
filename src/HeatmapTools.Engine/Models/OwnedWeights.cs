using static TorchSharp.torch;

namespace HeatmapTools.Engine.Models;

/// <summary>
/// Networks that own their weights. TorchSharp puts a Parameter in the dispose scope its data was made in, so a network
/// made while the calling thread has a scope open (a job's, a test's) loses every weight made from a tensor when that
/// scope ends: the cached model then fails for everyone ("Tensor invalid -- empty handle"), and a thread running it at
/// that moment reads freed memory and ends the process. Construction runs in a scope of its own, the parameters and
/// buffers leave it, and the temporaries of construction are freed with it.
/// </summary>
internal static class OwnedWeights
{
    public static T Make<T>(Func<T> make, Func<T, nn.Module> network)
    {
        using var construction = NewDisposeScope();
        var made = make();
        var module = network(made);
        foreach (var parameter in module.parameters()) parameter.DetachFromDisposeScope();
        foreach (var buffer in module.buffers()) buffer.DetachFromDisposeScope();
        return made;
    }
}
