#Requires -Version 7.4
<#
.SYNOPSIS
The seed recipe end to end: classify, compute Grad-CAM at the last convolutional stage (block5_conv3 for VGG16,
features.12 for SqueezeNet 1.1), and write superimposed = jet(heatmap) * 0.4 + img beside the output folder.
#>
param(
    [string[]] $ImagePath = (Get-ChildItem (Join-Path $PSScriptRoot '../../shared/images') -Filter *.png).FullName,
    [string] $Model = 'squeezenet1_1',
    [string] $Layer = 'features.12',
    [string] $OutputPath = (Join-Path $PSScriptRoot 'output/cam')
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'Import-HeatmapTools.ps1')
New-Item -ItemType Directory -Force $OutputPath | Out-Null

$ImagePath | Get-ClassPrediction -Model $Model |
    New-CamHeatmap -Layer $Layer -Method GradCAM -Colormap Jet -Alpha 0.4 -OutputPath "$OutputPath/" -Force |
    Format-Table @{ n = 'Image'; e = { Split-Path $_.SourcePath -Leaf } }, Method, Layer, ClassIndex, Label, @{ n = 'Score'; e = { '{0:F2}' -f $_.Score } }, OutputPath
