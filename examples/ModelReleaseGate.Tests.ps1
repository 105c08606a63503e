#Requires -Version 7.4
<#
.SYNOPSIS
A model-release gate in Pester: the candidate weights must still look where the released ones look. Fails when any
image's Grad-CAM map under the candidate ranks its pixels unlike the released model's (Spearman below -MinSpearman),
when more top-1 predictions change than allowed, or when the candidate's explanations score differently by any of
Quantus's metrics in -MetricTolerance (Measure-Explanation; mean over the images, each explaining the class the released
model ranked first, must stay within the metric's tolerance of the released model's: faithfulness metrics such as
PixelFlipping can rank methods in opposite orders, so a gate rests on more than one).

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
    [int] $MaxPredictionChanges = 0,
    [string] $Method = 'GradCAM',
    [hashtable] $MetricTolerance = @{ Sparseness = 0.05; Complexity = 0.05 }
)

BeforeAll {
    . (Join-Path $PSScriptRoot 'Import-HeatmapTools.ps1')
    $script:summary = Compare-CamHeatmap -LiteralPath $Images -Model $Model -NumClasses $NumClasses `
        -ReferenceWeights $ReferenceWeights -DifferenceWeights $DifferenceWeights -Summary
    $script:released = @(); $script:candidate = @()
    if ($MetricTolerance.Count -gt 0) {
        $names = [string[]]$MetricTolerance.Keys
        $script:released = Measure-Explanation -LiteralPath $Images -Model $Model -NumClasses $NumClasses -WeightsPath $ReferenceWeights -Method $Method -Metric $names
        $script:candidate = foreach ($r in $released) {
            Measure-Explanation -LiteralPath $r.SourcePath -ClassIndex $r.ClassIndex -Model $Model -NumClasses $NumClasses -WeightsPath $DifferenceWeights -Method $Method -Metric $names
        }
    }
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
    It 'explains as the released model does by <Metric> (means within <Tolerance>)' -ForEach @(
        $MetricTolerance.GetEnumerator() | Sort-Object Key | ForEach-Object { @{ Metric = $_.Key; Tolerance = $_.Value } }
    ) {
        @($candidate).Count | Should -Be @($released).Count -Because 'every image is measured under both models'
        $before = ($released | Measure-Object $Metric -Average).Average
        $after = ($candidate | Measure-Object $Metric -Average).Average
        [math]::Abs($after - $before) | Should -BeLessOrEqual $Tolerance -Because "$Metric of the $Method maps went from $before to $after"
    }
}
