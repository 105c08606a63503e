#Requires -Version 7.4
<#
.SYNOPSIS
A model-release gate in Pester: the candidate weights must still look where the released ones look. Fails when any
image's Grad-CAM map under the candidate ranks its pixels unlike the released model's (Spearman below -MinSpearman),
or when more top-1 predictions change than allowed.

    $c = New-PesterContainer -Path examples/ModelReleaseGate.Tests.ps1 -Data @{
        Images = (Get-ChildItem photos/*.png).FullName; Model = 'resnet18'; NumClasses = 2
        ReferenceWeights = 'released.pth'; DifferenceWeights = 'candidate.pth' }
    Invoke-Pester -Container $c
#>
param(
    [string[]] $Images = (Get-ChildItem (Join-Path $PSScriptRoot '../../shared/images') -Filter *.png).FullName,
    [string] $Model = 'squeezenet1_1',
    [int] $NumClasses = 1000,
    [string] $ReferenceWeights = (Join-Path $PSScriptRoot '../../shared/models/squeezenet1_1.pth'),
    [string] $DifferenceWeights = (Join-Path $PSScriptRoot '../../shared/models/squeezenet1_1.safetensors'),
    [double] $MinSpearman = 0.9,
    [int] $MaxPredictionChanges = 0
)

BeforeAll {
    . (Join-Path $PSScriptRoot 'Import-HeatmapTools.ps1')
    $script:summary = Compare-CamHeatmap -LiteralPath $Images -Model $Model -NumClasses $NumClasses `
        -ReferenceWeights $ReferenceWeights -DifferenceWeights $DifferenceWeights -Summary
}

Describe 'The candidate model' {
    It 'was compared on every image' {
        $summary.Images | Should -Be $Images.Count
    }
    It 'changes at most <MaxPredictionChanges> top-1 predictions' {
        $summary.PredictionChanges | Should -BeLessOrEqual $MaxPredictionChanges
    }
    It 'still looks where the released model looks (Spearman of every map at least <MinSpearman>)' {
        $summary.MinSpearman | Should -BeGreaterOrEqual $MinSpearman -Because "the maps of $($summary.WorstImage) drifted most"
    }
}
