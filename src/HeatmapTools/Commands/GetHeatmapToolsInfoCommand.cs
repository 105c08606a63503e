using System.Management.Automation;
using System.Runtime.Loader;

namespace HeatmapTools.Commands;

/// <summary>Reports the native stacks the module loaded and where from: a quick check that torch and OpenCV work.</summary>
[Cmdlet(VerbsCommon.Get, "HeatmapToolsInfo")]
public sealed class GetHeatmapToolsInfoCommand : HeatmapCommandBase
{
    protected override void EndProcessing()
    {
        var engine = typeof(Engine.Native.Runtime).Assembly;
        var result = new PSObject();
        // The settings a model run applies, applied now so they can be shown.
        RunEngine(() => { Engine.Native.Runtime.EnsureInitialised(); return 0; });
        result.Properties.Add(new PSNoteProperty("Probe", RunEngine(Engine.Native.Runtime.Probe)));
        var settings = RunEngine(Engine.Native.Runtime.Describe);
        // Which libtorch configuration computes here, and what each candidate measured (about_HeatmapTools, ARITHMETIC CHECK).
        var arithmetic = RunEngine(() => Engine.Arithmetic.ArithmeticCheck.Applied);
        if (arithmetic is not null)
        {
            result.Properties.Add(new PSNoteProperty("Cpu", arithmetic.Cpu));
            result.Properties.Add(new PSNoteProperty("TorchBackend", arithmetic.Chosen));
            result.Properties.Add(new PSNoteProperty("TorchBackendSource", arithmetic.Source));
            result.Properties.Add(new PSNoteProperty("TorchBackendReason", arithmetic.Reason));
            result.Properties.Add(new PSNoteProperty("ArithmeticCandidates", arithmetic.Candidates.Select(c =>
            {
                var row = new PSObject();
                // Errors of 1e-6 would show as 0.00 in a table: a view of its own shows them as they are.
                row.TypeNames.Insert(0, "HeatmapTools.ArithmeticCandidate");
                row.Properties.Add(new PSNoteProperty("Backend", c.Backend));
                row.Properties.Add(new PSNoteProperty("Right", c.Right));
                row.Properties.Add(new PSNoteProperty("Error", c.Failure is null ? c.Error : double.NaN));
                row.Properties.Add(new PSNoteProperty("WorstCase", c.Failure is null ? c.WorstCase : null));
                row.Properties.Add(new PSNoteProperty("Milliseconds", c.Failure is null ? c.Milliseconds : double.NaN));
                row.Properties.Add(new PSNoteProperty("Failure", c.Failure));
                row.Properties.Add(new PSNoteProperty("Description", c.Description));
                return row;
            }).ToArray()));
            result.Properties.Add(new PSNoteProperty("ArithmeticCheckedUtc", arithmetic.CheckedUtc));
            result.Properties.Add(new PSNoteProperty("ArithmeticCache", arithmetic.CachePath));
        }
        result.Properties.Add(new PSNoteProperty("NativeHeap", settings.NativeHeap));
        result.Properties.Add(new PSNoteProperty("TorchThreads", settings.TorchThreads));
        result.Properties.Add(new PSNoteProperty("ThreadSource", settings.ThreadSource));
        result.Properties.Add(new PSNoteProperty("OpenCvThreads", settings.OpenCvThreads));
        result.Properties.Add(new PSNoteProperty("EngineLoadContext", AssemblyLoadContext.GetLoadContext(engine)?.Name));
        result.Properties.Add(new PSNoteProperty("EnginePath", engine.Location));
        result.Properties.Add(new PSNoteProperty("NativeDirectory", Loading.ModuleInitializer.Context.NativeDirectory));
        result.Properties.Add(new PSNoteProperty("ModelPath", Environment.GetEnvironmentVariable(Engine.Models.WeightsLocator.ModelPathVariable)));
        result.Properties.Add(new PSNoteProperty("CacheDirectory", Engine.Models.WeightsLocator.CacheDirectory));
        result.Properties.Add(new PSNoteProperty("CachedModels", Engine.Models.ModelStore.Count));
        // What results of this session hold (prepared inputs, maps) within the shared budget, and how often images were decoded.
        // Read inside a run, so a budget variable it cannot use is warned about here.
        var held = RunEngine(() => Engine.Held.HeldMemory.Shared);
        result.Properties.Add(new PSNoteProperty("HeldMB", Math.Round(held.Used / 1048576.0, 1)));
        result.Properties.Add(new PSNoteProperty("HeldBudgetMB", held.Capacity >> 20));
        result.Properties.Add(new PSNoteProperty("HeldItems", held.Count));
        result.Properties.Add(new PSNoteProperty("HeldReleased", held.Released));
        result.Properties.Add(new PSNoteProperty("ImagesDecoded", Engine.Imaging.ImageReader.Decoded));
        result.Properties.Add(new PSNoteProperty("ForwardPasses", Engine.Models.LayeredModel.InputPasses));
        WriteObject(result);
    }
}
