#Requires -Version 7.4
# Gathers a scheduler run: every input once from the tasks' records (Get-HeatmapRunRecord), a summary.json with the
# counts by status and the inputs that failed or are missing, and one report of the whole run. Run it where the
# shared folders are mounted, as the gather job does, or by hand.
param(
    [string] $Images = $env:IMAGES,
    [string] $Out = $env:OUT,
    [string] $Module = $(if ($env:MODULE) { $env:MODULE } else { 'HeatmapTools' }),
    # The run's inputs below $Images: photos by default; slides for the slide array (INCLUDE='*.svs,*.tif,...').
    [string[]] $Include = $(if ($env:INCLUDE) { $env:INCLUDE -split ',' } else { '*.png', '*.jpg', '*.jpeg', '*.tif', '*.tiff' })
)
$ErrorActionPreference = 'Stop'
if (-not (Get-Module HeatmapTools)) { Import-Module $Module }
$inputs = (Get-ChildItem -LiteralPath $Images -Recurse -File -Include $Include).FullName
$items = @(Get-HeatmapRunRecord (Join-Path $Out 'records') -InputPath $inputs)
$byStatus = [ordered]@{}
foreach ($g in $items | Group-Object Status | Sort-Object Name) { $byStatus[$g.Name] = $g.Count }
$summary = [ordered]@{
    Inputs   = $items.Count
    Finished = @($items | Where-Object Status -in 'Done', 'Skipped').Count
    ByStatus = $byStatus
    Failed   = @($items | Where-Object Status -eq 'Failed' | ForEach-Object { [ordered]@{ Input = $_.Input; ErrorId = $_.ErrorId; Message = $_.Message } })
    Missing  = @($items | Where-Object Status -eq 'Missing' | ForEach-Object Input)
}
$json = Join-Path $Out 'summary.json'
$summary | ConvertTo-Json -Depth 4 | Set-Content -LiteralPath "$json.tmp"
Move-Item -LiteralPath "$json.tmp" $json -Force
$items | Export-HeatmapReport -OutputPath (Join-Path $Out 'report') -Title "Run over $Images" -Force | Out-Null
"{0} inputs: {1}" -f $items.Count, (($byStatus.GetEnumerator() | ForEach-Object { "$($_.Key) $($_.Value)" }) -join ', ')
