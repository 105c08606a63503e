#Requires -Version 7.4
<#
.SYNOPSIS
Ranks CAM methods on a folder of photos by faithfulness (ROAD combined, deletion and insertion areas) and by the
sanity check (share of images whose maps stop resembling the original once the model's layers are randomised).
Writes one faithfulness and one sanity figure per image and method into -PlotPath.
#>
param(
    [string[]] $ImagePath = (Get-ChildItem (Join-Path $PSScriptRoot '../../shared/images') -Filter *.png).FullName,
    [string] $Model = 'squeezenet1_1',
    [string[]] $Method = @('GradCAM', 'GradCAMPlusPlus', 'LayerCAM', 'EigenCAM', 'ScoreCAM'),
    [string] $PlotPath = (Join-Path $PSScriptRoot 'output/trust'),
    [int] $CurveSteps = 25
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'Import-HeatmapTools.ps1')

$faithfulness = $ImagePath | Measure-CamFaithfulness -Model $Model -Method $Method -CurveSteps $CurveSteps -PlotPath $PlotPath -Force
$sanity = $ImagePath | Test-CamSanity -Model $Model -Method $Method -PlotPath $PlotPath -Force

$ranking = foreach ($m in $Method) {
    $f = $faithfulness | Where-Object Method -eq $m
    $s = $sanity | Where-Object Method -eq $m
    [pscustomobject]@{
        Method        = $m
        RoadCombined  = ($f | Measure-Object RoadCombined -Average).Average
        DeletionArea  = ($f | Measure-Object DeletionArea -Average).Average
        InsertionArea = ($f | Measure-Object InsertionArea -Average).Average
        # A map that randomisation turned constant has no rank correlation: neither a pass nor a failure.
        SanityPassed  = '{0}/{1}{2}' -f @($s | Where-Object Verdict -eq 'Passed').Count, @($s).Count,
            $(if (@($s | Where-Object Verdict -eq 'Undefined').Count) { " ($(@($s | Where-Object Verdict -eq 'Undefined').Count) undefined)" })
        FinalSpearman = ($s | Where-Object { -not [double]::IsNaN($_.FinalSpearman) } | Measure-Object FinalSpearman -Average).Average
    }
}
# Faithful first: a higher ROAD combined score, then a larger insertion minus deletion area.
$ranking | Sort-Object @{ e = 'RoadCombined'; Descending = $true }, @{ e = { $_.InsertionArea - $_.DeletionArea }; Descending = $true } |
    Format-Table Method, @{ n = 'ROAD combined'; e = { '{0:F3}' -f $_.RoadCombined } }, @{ n = 'Deletion AUC'; e = { '{0:F3}' -f $_.DeletionArea } },
        @{ n = 'Insertion AUC'; e = { '{0:F3}' -f $_.InsertionArea } }, @{ n = 'Sanity passed'; e = { $_.SanityPassed } },
        @{ n = 'Final Spearman'; e = { '{0:F2}' -f $_.FinalSpearman } }
Write-Host "Figures: $PlotPath"
