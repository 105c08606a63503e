using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Held;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;

namespace HeatmapTools.Bench;

/// <summary>
/// Get-ClassPrediction | New-CamHeatmap through the engine calls the cmdlets make: the prediction's held input used
/// downstream, beside the two commands run separately (each decoding every file); then the working set while results
/// are collected as `$r = ... | New-CamHeatmap` would, within the held budget.
/// </summary>
internal static class PipelineBench
{
    public static void Run(string shared, bool quick)
    {
        var photos = BenchData.Photos(shared);
        var output = Directory.CreateTempSubdirectory("hmt-bench-pipe").FullName;
        var files = BenchData.DistinctCopies(shared, Path.Combine(output, "in"), 48);
        // Phone-sized photos as well (12 MP JPEGs, the shared photos enlarged), where decoding is what a pipeline pays for.
        var phoneFolder = Path.Combine(output, "phone");
        Directory.CreateDirectory(phoneFolder);
        var phones = Enumerable.Range(0, 16).Select(i =>
        {
            string phone = Path.Combine(phoneFolder, $"{i:D2}_{Path.GetFileNameWithoutExtension(photos[i % photos.Length])}.jpg");
            using var small = OpenCvSharp.Cv2.ImRead(photos[i % photos.Length]);
            using var large = small.Resize(new OpenCvSharp.Size(4032, 3024), 0, 0, OpenCvSharp.InterpolationFlags.Cubic);
            OpenCvSharp.Cv2.ImWrite(phone, large, new OpenCvSharp.ImageEncodingParam(OpenCvSharp.ImwriteFlags.JpegQuality, 90));
            return phone;
        }).ToArray();
        var model = ModelStore.Get(BenchData.SqueezeNet(shared));
        var labels = ClassLabels.Numbered(1000);
        var preprocess = PreprocessOptions.ImageNet(size: model.Info.InputSize);
        var memory = new HeldMemory(512L << 20);
        int pass = 0;
        CamJobOptions Options(bool overlay) => new()
        {
            Methods = new[] { CamMethods.Get("GradCAM") }, Preprocess = preprocess, NoOverlay = !overlay,
            OutputPath = Path.Combine(output, $"p{pass++}") + "/{name}.png",
        };

        void Chain(string[] files, bool piped, bool overlay)
        {
            var options = Options(overlay);
            foreach (var batch in files.Chunk(8))
            {
                var predictions = Predictor.PredictBatch(model, labels, batch, preprocess, 3, CancellationToken.None, piped ? memory : null);
                var items = predictions.Select(p => new CamJobItem(p.Path, new[] { p.Value!.Top[0].ClassIndex }, 1, p.Value.Input)).ToList();
                var maps = CamJob.Run(model, labels, items, options, SilentListener.Instance, CancellationToken.None);
                if (maps.FirstOrDefault(m => m.Error is not null) is { } bad) throw bad.Error!;
                foreach (var p in predictions) { p.Value!.Input?.Chw.Release(); p.Value.Input?.Original?.Release(); }
            }
        }

        Console.WriteLine();
        Console.WriteLine($"Get-ClassPrediction | New-CamHeatmap, images/s (GradCAM, squeezenet1_1, batch 8, median of {(quick ? 3 : 5)})");
        Console.WriteLine($"{"images",-22} {"maps",-16} {"separately",11} {"piped",8} {"piped/sep",10} {"decodes/image sep",18} {"piped",6}");
        foreach (var (set, name) in new[] { (files, $"{files.Length} shared PNGs"), (phones, $"{phones.Length} 12 MP JPEGs") })
        foreach (bool overlay in new[] { true, false })
        {
            int repeats = quick ? 3 : 5;
            // Interleaved rounds, so drift in the machine's speed falls on both alike.
            var separate = new List<double>();
            var piped = new List<double>();
            long decodesSeparate = 0, decodesPiped = 0;
            Chain(set, false, overlay);
            Chain(set, true, overlay);
            for (int r = 0; r < repeats; r++)
            {
                long before = ImageReader.Decoded;
                var clock = System.Diagnostics.Stopwatch.StartNew();
                Chain(set, false, overlay);
                separate.Add(set.Length / clock.Elapsed.TotalSeconds);
                decodesSeparate = ImageReader.Decoded - before;
                before = ImageReader.Decoded;
                clock.Restart();
                Chain(set, true, overlay);
                piped.Add(set.Length / clock.Elapsed.TotalSeconds);
                decodesPiped = ImageReader.Decoded - before;
            }
            double s = separate.Order().ElementAt(repeats / 2), p = piped.Order().ElementAt(repeats / 2);
            Console.WriteLine($"{name,-22} {(overlay ? "overlays written" : "maps only"),-16} {s,11:F1} {p,8:F1} {p / s,10:F2} {(double)decodesSeparate / set.Length,18:F1} {(double)decodesPiped / set.Length,6:F1}");
        }


        // Get-ClassPrediction alone pays for holding its inputs (copies into the budget) even when nothing downstream uses them.
        Console.WriteLine();
        Console.WriteLine($"Get-ClassPrediction alone, images/s (squeezenet1_1, batch 8, median of {(quick ? 3 : 5)}): inputs held for a next command or not");
        Console.WriteLine($"{"images",-22} {"not held",9} {"held",8} {"held/not",9}");
        foreach (var (set, name) in new[] { (files, $"{files.Length} shared PNGs"), (phones, $"{phones.Length} 12 MP JPEGs") })
        {
            void Classify(bool hold)
            {
                foreach (var batch in set.Chunk(8))
                    foreach (var p in Predictor.PredictBatch(model, labels, batch, preprocess, 3, CancellationToken.None, hold ? memory : null))
                    {
                        p.Value!.Input?.Chw.Release();
                        p.Value.Input?.Original?.Release();
                    }
            }
            var plain = new List<double>();
            var held = new List<double>();
            Classify(false);
            Classify(true);
            for (int r = 0; r < (quick ? 3 : 5); r++)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                Classify(false);
                plain.Add(set.Length / clock.Elapsed.TotalSeconds);
                clock.Restart();
                Classify(true);
                held.Add(set.Length / clock.Elapsed.TotalSeconds);
            }
            double a = plain.Order().ElementAt(plain.Count / 2), b = held.Order().ElementAt(held.Count / 2);
            Console.WriteLine($"{name,-22} {a,9:F1} {b,8:F1} {b / a,9:F2}");
        }
        Directory.Delete(output, recursive: true);
    }

    /// <summary>$r = &lt;collect&gt; images | Get-ClassPrediction | New-CamHeatmap -NoOverlay: every object kept in a variable.</summary>
    public static void Collect(string shared, int collect)
    {
        var output = Directory.CreateTempSubdirectory("hmt-bench-collect").FullName;
        var files = BenchData.DistinctCopies(shared, Path.Combine(output, "in"), 48);
        var model = ModelStore.Get(BenchData.SqueezeNet(shared));
        var labels = ClassLabels.Numbered(1000);
        var preprocess = PreprocessOptions.ImageNet(size: model.Info.InputSize);
        Console.WriteLine();
        Console.WriteLine($"Collected results over {collect} images (Get-ClassPrediction | New-CamHeatmap -NoOverlay kept in a list; held budget 512 MB)");
        var kept = new List<(ImagePrediction Prediction, HeldMap Map)>();
        var memory = new HeldMemory(512L << 20);
        var checkpoints = new[] { 100, collect / 4, collect / 2, 3 * collect / 4, collect }.Distinct().Order().ToArray();
        int next = 0;
        var options = new CamJobOptions { Methods = new[] { CamMethods.Get("GradCAM") }, Preprocess = preprocess, NoOverlay = true };
        for (int done = 0; done < collect;)
        {
            var batch = Enumerable.Range(done, Math.Min(8, collect - done)).Select(i => files[i % files.Length]).ToArray();
            var predictions = Predictor.PredictBatch(model, labels, batch, preprocess, 3, CancellationToken.None, memory);
            var items = predictions.Select(p => new CamJobItem(p.Path, new[] { p.Value!.Top[0].ClassIndex }, 1, p.Value.Input)).ToList();
            var maps = CamJob.Run(model, labels, items, options, SilentListener.Instance, CancellationToken.None);
            for (int i = 0; i < maps.Count; i++)
            {
                var m = maps[i].Value!;
                kept.Add((predictions[i].Value!, HeldMap.Of(m.Map, m.MapWidth, m.MapHeight, memory, () => throw new InvalidOperationException("not read here"))));
            }
            done += batch.Length;
            while (next < checkpoints.Length && done >= checkpoints[next])
            {
                Console.WriteLine($"after {checkpoints[next],5} results: working set {Measure.WorkingSetMb(),7:F0} MB (managed {GC.GetTotalMemory(false) / 1048576.0,5:F0} MB), held {memory.Used / 1048576.0,5:F0} MB " +
                    $"in {memory.Count,5} tensors, {memory.Released,6} released; newest map held: {kept[^1].Map.IsHeld}");
                next++;
            }
        }
        // What the session holds once the pipeline has ended: the cmdlets hand freed heap pages back after two idle seconds.
        HeatmapTools.Engine.Native.NativeHeap.Release();
        Console.WriteLine($"after the idle release (malloc_trim, as two seconds after the last cmdlet): working set {Measure.WorkingSetMb(),7:F0} MB, " +
            $"held {memory.Used / 1048576.0,5:F0} MB, {kept.Count} results kept");
        GC.KeepAlive(kept);
        Directory.Delete(output, recursive: true);
    }
}
