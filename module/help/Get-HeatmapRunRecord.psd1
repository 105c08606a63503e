@{
    Name        = 'Get-HeatmapRunRecord'
    Synopsis    = 'Gathers the records the tasks of a run left (New-CamHeatmap, New-SlideHeatmap -RecordPath): every input once, done, skipped, failed or missing.'
    Description = 'Get-HeatmapRunRecord reads the JSON Lines records that New-CamHeatmap -RecordPath (an image per line) and New-SlideHeatmap -RecordPath (a slide per line) append (one per task of a Slurm array or Kubernetes indexed Job, each beside the outputs) and returns every input once, as its newest record says: Done (with its outputs, method, layer, label and score), Skipped (finished by an earlier run), Failed (with its ErrorId and message) or Missing (recorded, but its output is no longer on disk; or, with -InputPath, no task recorded it at all, as when a task was cancelled or its node died). A resubmitted task appends its own run to its record, so the newest line wins. Pipe the items to Group-Object Status for a summary and to Export-HeatmapReport for one report of the whole run.'
    Inputs      = @()
    Outputs     = @('HeatmapTools.HeatmapRunItem')
    Parameters  = @{
        Path      = 'Record files, or folders whose *.jsonl files are records.'
        InputPath = 'Every input the run was given, so that inputs no task reached are counted as Missing.'
    }
    Examples    = @(
        @{ Code = "Get-ChildItem ./photos -Recurse -Filter *.png | New-CamHeatmap -Model squeezenet1_1 -OutputPath ./cam/ -RecordPath ./records/task-1.jsonl | Out-Null`nGet-HeatmapRunRecord ./records -InputPath (Get-ChildItem ./photos -Recurse -Filter *.png).FullName | Group-Object Status -NoElement"; Remarks = 'A run that leaves its record (in an array, one file per task: task-$env:SLURM_ARRAY_TASK_ID.jsonl), then how many inputs each status has, every input counted once.' }
        @{ Code = "Get-ChildItem ./photos -Recurse -Filter *.png | New-CamHeatmap -Model squeezenet1_1 -OutputPath ./cam/ -RecordPath ./records/task-1.jsonl | Out-Null`nGet-HeatmapRunRecord ./records | Export-HeatmapReport -OutputPath ./report"; Remarks = 'One report of the whole run: the overlays as thumbnails, the failures with their ErrorId.' }
    )
    Links       = @('New-CamHeatmap', 'New-SlideHeatmap', 'Export-HeatmapReport', 'about_HeatmapTools')
}
