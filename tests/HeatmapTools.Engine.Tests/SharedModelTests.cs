using HeatmapTools.Engine.Cam;
using Xunit;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Tests;

/// <summary>
/// A loaded model is shared by every runspace of a session (ModelStore): commands running it at once on other threads
/// must each get their own maps. Grad-CAM at a layer inside a stage records it with a hook, and Guided Grad-CAM guides
/// every ReLU with one, on the same module (features.12.squeeze_activation).
/// </summary>
public class SharedModelTests
{
    private const string Nested = "features.12.squeeze_activation";

    [Fact]
    public void Commands_running_one_model_at_once_on_other_threads_each_get_their_own_maps()
    {
        var model = SharedData.SqueezeNetModel;
        var (chelsea, chelseaTarget, _) = TrustMetricsTests.Case("chelsea");
        var (coffee, coffeeTarget, _) = TrustMetricsTests.Case("coffee");
        CamResult Nested_(float[] input, int target) => CamEngine.Compute(model, new[] { new CamItem(input, target) }, CamMethods.Get("GradCAM"),
            model.Layers(Nested), 224, null, CancellationToken.None).Single();
        CamResult Guided(float[] input, int target) => CamEngine.Compute(model, new[] { new CamItem(input, target) }, CamMethods.Get("GuidedGradCAM"),
            model.Layers("features.12"), 224, null, CancellationToken.None).Single();
        float[] Logits(float[] input)
        {
            using var scope = NewDisposeScope();
            using var inference = no_grad();
            return model.Logits(tensor(input, new long[] { 1, 3, 224, 224 })).data<float>().ToArray();
        }

        // Alone first: what each command gives when nothing else runs.
        var nestedAlone = Nested_(chelsea, chelseaTarget);
        var guidedAlone = Guided(coffee, coffeeTarget);
        var logitsAlone = Logits(chelsea);

        const int rounds = 12;
        using var start = new Barrier(3);
        T[] Repeat<T>(Func<T> run) { start.SignalAndWait(); return Enumerable.Range(0, rounds).Select(_ => run()).ToArray(); }
        var nested = Task.Factory.StartNew(() => Repeat(() => Nested_(chelsea, chelseaTarget)), TaskCreationOptions.LongRunning);
        var guided = Task.Factory.StartNew(() => Repeat(() => Guided(coffee, coffeeTarget)), TaskCreationOptions.LongRunning);
        var logits = Task.Factory.StartNew(() => Repeat(() => Logits(chelsea)), TaskCreationOptions.LongRunning);
        Task.WaitAll(nested, guided, logits);

        static double Worst(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
        foreach (var r in nested.Result)
        {
            Assert.True(Worst(nestedAlone.Map, r.Map) < 1e-5, $"Grad-CAM at {Nested} beside other commands differs by {Worst(nestedAlone.Map, r.Map)}");
            Assert.Null(r.Guided);
        }
        foreach (var r in guided.Result)
        {
            Assert.True(Worst(guidedAlone.Map, r.Map) < 1e-5, $"Guided Grad-CAM's map beside other commands differs by {Worst(guidedAlone.Map, r.Map)}");
            Assert.True(Worst(guidedAlone.Guided!, r.Guided!) < 1e-5, $"Guided Grad-CAM's gradients beside other commands differ by {Worst(guidedAlone.Guided!, r.Guided!)}");
        }
        foreach (var r in logits.Result)
            Assert.True(Worst(logitsAlone, r) < 1e-4, $"logits beside other commands differ by {Worst(logitsAlone, r)}");
    }
}
