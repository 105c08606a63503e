#Requires -Version 7.4
<#
.SYNOPSIS
The seed recipe, step 1: classify an image and print the top-3 ImageNet classes (Keras's decode_predictions).
Weights come from HEATMAPTOOLS_MODEL_PATH (or -WeightsPath, or torchvision's download when online).
#>
param(
    [string] $ImagePath = (Join-Path $PSScriptRoot '../../shared/images/chelsea.png'),
    [string] $Model = 'squeezenet1_1'
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'Import-HeatmapTools.ps1')

$prediction = Get-ClassPrediction -LiteralPath $ImagePath -Model $Model -Top 3
"Predicted: $($prediction.Predictions -join ', ')"
$prediction.Predictions | Format-Table Rank, ClassIndex, WordNetId, Label, @{ n = 'Probability'; e = { '{0:P1}' -f $_.Probability } }
