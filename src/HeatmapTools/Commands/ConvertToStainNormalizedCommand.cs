using System.Management.Automation;
using HeatmapTools.Engine.Stain;

namespace HeatmapTools.Commands;

/// <summary>
/// Writes images in the stain of a reference tile (TIAToolbox's stain normalisers), fitted once. Below -OutputPath each
/// image keeps its place relative to the folder all inputs share, so a dataset's tree (patient/0, patient/1) is mirrored.
/// </summary>
[Cmdlet(VerbsData.ConvertTo, "StainNormalized", SupportsShouldProcess = true)]
[OutputType(typeof(StainNormalizedImage))]
public sealed class ConvertToStainNormalizedCommand : HeatmapCommandBase
{
    // One parameter set, as the model cmdlets: strings bind -Path by value, files and results -LiteralPath by PSPath.
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    public string[]? Path { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP", "FullName")]
    public string[]? LiteralPath { get; set; }

    [Parameter(Mandatory = true)]
    public StainMethod Method { get; set; }

    [Parameter(Mandatory = true)]
    public string Target { get; set; } = "";

    [Parameter]
    public double[]? StainMatrix { get; set; }

    [Parameter(Mandatory = true)]
    public string OutputPath { get; set; } = "";

    [Parameter]
    public SwitchParameter Force { get; set; }

    private protected override int ProgressId => 14;

    private readonly List<string> _sources = new();

    protected override void ProcessRecord()
    {
        foreach (var file in InputFiles(Path, LiteralPath)) _sources.Add(System.IO.Path.GetFullPath(file));
    }

    protected override void EndProcessing()
    {
        if (_sources.Count == 0) return;
        string folder = GetUnresolvedProviderPathFromPSPath(OutputPath);
        string target = GetUnresolvedProviderPathFromPSPath(Target);
        if (File.Exists(folder))
            ThrowTerminatingError(ToErrorRecord(new HeatmapToolsException(ErrorIds.OutputWriteFailed, ErrorKind.InvalidArgument,
                $"-OutputPath '{folder}' is a file; it names the folder the normalised images are written to.", folder)));
        var normalizer = RunEngine(() => StainTargets.Fitted(Method, target, StainMatrix));
        string root = Engine.Cam.Output.OutputNaming.CommonRoot(_sources)!;
        string OutputFor(string source) => System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, System.IO.Path.GetRelativePath(root, source)));
        var chosen = _sources.Distinct(StringComparer.Ordinal).Where(s => ShouldProcess(s, $"Write in the {Method} stain of '{target}' to '{OutputFor(s)}'")).ToList();
        int done = 0;
        foreach (var (output, error) in RunEngineEach(() => StainJob.Run(chosen, normalizer, OutputFor, Force, Cancellation)))
        {
            done++;
            if (error is not null)
            {
                WriteError(ToErrorRecord(error));
                continue;
            }
            WriteObject(new StainNormalizedImage
            {
                Path = output!.OutputPath, OriginalPath = output.SourcePath, NormalizedWith = Method, StainReference = target, Width = output.Width, Height = output.Height,
            });
            WriteProgress(new ProgressRecord(ProgressId, "ConvertTo-StainNormalized", $"{done} of {chosen.Count}") { PercentComplete = 100 * done / chosen.Count });
        }
    }
}
