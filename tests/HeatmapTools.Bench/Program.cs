using System.Diagnostics;
using System.Globalization;
using HeatmapTools.Bench;

// Usage: HeatmapTools.Bench [cam|memory|pipeline|collect|patches|heap|trust|targets|budget|onnx|slides|backends|stain|attribution|explanation|detection|all] [--weights <dir> (detection)] [--large (slides)] [--onnx <dir>] [--shared <dir>] [--quick] [--images <n> (memory)] [--model <name> (memory)]
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string mode = args.FirstOrDefault(a => !a.StartsWith("--")) ?? "all";
int sharedIndex = Array.IndexOf(args, "--shared");
string shared = sharedIndex >= 0 ? args[sharedIndex + 1]
    : Environment.GetEnvironmentVariable("HEATMAPTOOLS_SHARED") ?? Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../shared"));
bool quick = args.Contains("--quick");
// Every part computes under the libtorch configuration the module would choose here, applied before any tensor.
if (mode is not ("patches" or "stain" or "heap" or "heap-child" or "budget" or "budget-child")) HeatmapTools.Engine.Native.Runtime.EnsureInitialised();
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; shared data: {shared}");

if (mode is "cam" or "all") CamBench.Run(shared, quick);
int imagesIndex = Array.IndexOf(args, "--images");
int memoryImages = imagesIndex >= 0 ? int.Parse(args[imagesIndex + 1], CultureInfo.InvariantCulture) : quick ? 400 : 2000;
int modelIndex = Array.IndexOf(args, "--model");
string memoryModel = modelIndex >= 0 ? args[modelIndex + 1] : "squeezenet1_1";
if (mode is "memory" or "all") MemoryBench.Run(shared, memoryImages, memoryModel);
if (mode is "pipeline" or "all") PipelineBench.Run(shared, quick);
if (mode is "collect" or "all") PipelineBench.Collect(shared, memoryImages);
if (mode is "patches" or "all") PatchBench.Run(quick);
if (mode is "heap" or "all") HeapBench.Run(shared);
if (mode is "trust" or "all") TrustBench.Run(shared, quick);
if (mode is "targets" or "all") TargetsBench.Run(shared, quick);
if (mode == "heap-child") HeapBench.RunChild(shared);
if (mode is "budget" or "all") BudgetBench.Run();
int onnxIndex = Array.IndexOf(args, "--onnx");
string onnxFolder = onnxIndex >= 0 ? args[onnxIndex + 1] : Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../output/bench-onnx"));
if (mode is "onnx" or "all") OnnxBench.Run(shared, onnxFolder, quick);
if (mode == "budget-child") BudgetBench.RunChild();
if (mode is "slides" or "all") SlideBench.Run(shared, quick, args.Contains("--large"));
if (mode == "slides-large-child") SlideBench.RunLargeChild();
if (mode is "backends" or "all") BackendBench.Run(shared, quick);
if (mode is "stain" or "all") StainBench.Run(quick);
if (mode is "attribution" or "all") AttributionBench.Run(shared, quick);
if (mode is "explanation" or "all") ExplanationBench.Run(shared, quick);
int weightsIndex = Array.IndexOf(args, "--weights");
string weights = weightsIndex >= 0 ? args[weightsIndex + 1] : Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../output/zoo-weights"));
if (mode is "detection" or "all") DetectionBench.Run(shared, weights, quick);
if (mode == "backend-child")
    BackendBench.RunChild(args[Array.IndexOf(args, "--model") + 1], args[Array.IndexOf(args, "--list") + 1],
        int.Parse(args[Array.IndexOf(args, "--runs") + 1], CultureInfo.InvariantCulture));
return 0;
