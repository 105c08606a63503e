using System.Globalization;
using System.Management.Automation;
using HeatmapTools.Engine.Scaling;

namespace HeatmapTools.Commands;

/// <summary>
/// Gathers the records tasks left (New-CamHeatmap, New-SlideHeatmap -RecordPath): every input once, as its newest record says, checked
/// against the outputs on disk; with -InputPath, inputs no task recorded are listed as Missing.
/// </summary>
[Cmdlet(VerbsCommon.Get, "HeatmapRunRecord")]
[OutputType(typeof(HeatmapRunItem))]
public sealed class GetHeatmapRunRecordCommand : HeatmapCommandBase
{
    /// <summary>Record files, or folders whose *.jsonl files are records.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Every input the run was given, so that inputs no task reached are counted (as Missing).</summary>
    [Parameter]
    public string[]? InputPath { get; set; }

    private protected override int ProgressId => 12;

    protected override void EndProcessing()
    {
        var files = new List<string>();
        foreach (var given in Path)
        {
            string full = GetUnresolvedProviderPathFromPSPath(given);
            if (Directory.Exists(full)) files.AddRange(Directory.EnumerateFiles(full, "*.jsonl").Order(StringComparer.Ordinal));
            else if (File.Exists(full)) files.Add(full);
            else WriteError(new ErrorRecord(new FileNotFoundException($"Cannot find the run record '{full}'."), ErrorIds.FileNotFound, ErrorCategory.ObjectNotFound, full));
        }
        var expected = InputPath?.Select(p => System.IO.Path.GetFullPath(GetUnresolvedProviderPathFromPSPath(p))).ToList();
        foreach (var e in RunEngine(() => TaskRecord.Read(files, expected)))
            WriteObject(new HeatmapRunItem
            {
                Input = e.Input, Status = e.Status, OutputPath = e.Outputs.FirstOrDefault(), Outputs = new TextList(e.Outputs.ToList()),
                Method = e.Facts.GetValueOrDefault("Method"), Layer = e.Facts.GetValueOrDefault("Layer"), Label = e.Facts.GetValueOrDefault("Label"),
                Score = e.Facts.TryGetValue("Score", out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double score) ? score : null,
                ErrorId = e.ErrorId, Message = e.Message, Task = e.Task, Host = e.Host,
            });
    }
}
