#Requires -Version 7.4
<#
.SYNOPSIS
Ranks CAM methods on a folder of photos by faithfulness (ROAD combined, deletion and insertion areas) and by the
sanity check (share of images whose maps stop resembling the original once the model's layers are randomised).
Writes one faithfulness and one sanity figure per image and method into -PlotPath.
The sanity check is judged where every map still has a ranking: when randomising deeper layers leaves a map constant
(a dead ReLU makes it all zero), its rank correlation is undefined, so the table judges every map after the deepest
step at which all of them are defined, and says so in one line. -MaxSteps sets the depth instead.
#>
param(
    [string[]] $ImagePath = (Get-ChildItem (Join-Path $PSScriptRoot '../../shared/images') -Filter *.png).FullName,
    [string] $Model = 'squeezenet1_1',
    [string[]] $Method = @('GradCAM', 'GradCAMPlusPlus', 'LayerCAM', 'EigenCAM', 'ScoreCAM'),
    [string] $PlotPath = (Join-Path $PSScriptRoot 'output/trust'),
    [int] $CurveSteps = 25,
    [int] $MaxSteps
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'Import-HeatmapTools.ps1')

$faithfulness = $ImagePath | Measure-CamFaithfulness -Model $Model -Method $Method -CurveSteps $CurveSteps -PlotPath $PlotPath -Force
$depth = if ($MaxSteps) { @{ MaxSteps = $MaxSteps } } else { @{} }
# Undefined verdicts are summed up below in one line rather than one warning per map.
$sanity = $ImagePath | Test-CamSanity -Model $Model -Method $Method -PlotPath $PlotPath -Force @depth -WarningAction SilentlyContinue
# The deepest step at which every map still has a ranking (its steps so far all defined).
$judged = ($sanity | ForEach-Object {
        $defined = 0
        while ($defined -lt $_.Steps.Count -and -not [double]::IsNaN($_.Steps[$defined].Spearman)) { $defined++ }
        $defined
    } | Measure-Object -Minimum).Minimum
$deepest = ($sanity | ForEach-Object { $_.Steps.Count } | Measure-Object -Maximum).Maximum
if ($judged -lt $deepest) {
    $constant = @($sanity | Where-Object Verdict -eq 'Undefined').Count
    if ($judged -eq 0) { Write-Host "Sanity: $constant of $(@($sanity).Count) maps are constant from the first randomised layer on, so no step can be judged." }
    else {
        $layer = ($sanity | Select-Object -First 1).Steps[$judged - 1].Layer
        Write-Host "Sanity judged after randomising the top $judged layers (down to $layer): randomised deeper, $Model leaves $constant of $(@($sanity).Count) maps constant (all zero), which have no ranking."
    }
}
$verdicts = foreach ($s in $sanity) {
    $step = if ($judged -gt 0) { $s.Steps[[Math]::Min($judged, $s.Steps.Count) - 1] }
    [pscustomobject]@{ Method = $s.Method; Spearman = $step.Spearman; Passed = if ($step) { $step.Spearman -lt $s.Threshold } }
}

$ranking = foreach ($m in $Method) {
    $f = $faithfulness | Where-Object Method -eq $m
    $s = @($verdicts | Where-Object Method -eq $m)
    [pscustomobject]@{
        Method        = $m
        RoadCombined  = ($f | Measure-Object RoadCombined -Average).Average
        DeletionArea  = ($f | Measure-Object DeletionArea -Average).Average
        InsertionArea = ($f | Measure-Object InsertionArea -Average).Average
        SanityPassed  = if ($judged -gt 0) { '{0}/{1}' -f @($s | Where-Object Passed).Count, $s.Count } else { 'undefined' }
        Spearman      = ($s | Where-Object { -not [double]::IsNaN($_.Spearman) } | Measure-Object Spearman -Average).Average
    }
}
# Faithful first: a higher ROAD combined score, then a larger insertion minus deletion area.
$ranking | Sort-Object @{ e = 'RoadCombined'; Descending = $true }, @{ e = { $_.InsertionArea - $_.DeletionArea }; Descending = $true } |
    Format-Table Method, @{ n = 'ROAD combined'; e = { '{0:F3}' -f $_.RoadCombined } }, @{ n = 'Deletion AUC'; e = { '{0:F3}' -f $_.DeletionArea } },
        @{ n = 'Insertion AUC'; e = { '{0:F3}' -f $_.InsertionArea } }, @{ n = 'Sanity passed'; e = { $_.SanityPassed } },
        @{ n = 'Spearman'; e = { '{0:F2}' -f $_.Spearman } }
Write-Host "Figures: $PlotPath"
