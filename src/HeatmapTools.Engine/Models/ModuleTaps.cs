using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Models;

/// <summary>
/// Forward hooks that act only for the thread that asked for them. A loaded model is shared by every runspace of the
/// session (ModelStore), so two commands may run it at once (<c>ForEach-Object -Parallel</c>, background jobs). A hook
/// registered for one run's target layer or guided ReLUs would fire in the other's forward pass too, recording its
/// activations as the first run's or guiding its ReLUs, and TorchSharp's hook list changing under a running forward
/// pass throws or corrupts libtorch's autograd state. So every module a run can hook gets one permanent hook when the
/// model is built, which does what the current thread has asked for, and nothing on any other thread.
/// </summary>
public sealed class ModuleTaps
{
    [ThreadStatic] private static Dictionary<nn.Module, Func<Tensor, Tensor>>? _active;

    private readonly HashSet<nn.Module> _tapped = new(ReferenceEqualityComparer.Instance);

    internal ModuleTaps(IEnumerable<nn.Module<Tensor, Tensor>> modules)
    {
        foreach (var module in modules)
        {
            if (!_tapped.Add(module)) continue;
            module.register_forward_hook((self, _, output) =>
                _active is { } active && active.TryGetValue(self, out var hook) ? hook(output) : output);
        }
    }

    /// <summary>Whether <paramref name="module"/> can be hooked (it was tapped when the model was built).</summary>
    public bool Covers(nn.Module module) => _tapped.Contains(module);

    /// <summary>
    /// Runs <paramref name="hooks"/> on the current thread's forward passes through their modules until disposed; taps
    /// already set on this thread stay in force for other modules and come back afterwards.
    /// </summary>
    public IDisposable On(IEnumerable<(nn.Module Module, Func<Tensor, Tensor> Hook)> hooks)
    {
        var previous = _active;
        var next = previous is null
            ? new Dictionary<nn.Module, Func<Tensor, Tensor>>(ReferenceEqualityComparer.Instance)
            : new Dictionary<nn.Module, Func<Tensor, Tensor>>(previous, ReferenceEqualityComparer.Instance);
        foreach (var (module, hook) in hooks)
        {
            if (!Covers(module))
                throw new InvalidOperationException($"The module {module.GetType().Name} was not tapped when the model was built.");
            next[module] = hook;
        }
        _active = next;
        return new Restore(previous);
    }

    private sealed class Restore(Dictionary<nn.Module, Func<Tensor, Tensor>>? previous) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            _active = previous;
        }
    }
}
