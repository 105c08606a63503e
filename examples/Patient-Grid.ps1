#Requires -Version 7.4
<#
.SYNOPSIS
The IDC notebooks' views: a 5x3 grid of patients coloured by class, and one patient's full tissue with labels,
a probability heatmap from a CSV, and a confusion map.
With no -DatasetPath, a synthetic IDC-shaped dataset (15 patients) is generated first, since the real one is a
Kaggle download; point -DatasetPath at IDC_regular_ps50_idx5 and -CsvPath at your predictions to use real data.
#>
param(
    [string] $DatasetPath,
    [string] $CsvPath,
    [string] $OutputPath = (Join-Path $PSScriptRoot 'output/patients')
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'Import-HeatmapTools.ps1')

if (-not $DatasetPath) {
    $DatasetPath = Join-Path $PSScriptRoot 'output/synthetic-idc'
    $CsvPath = Join-Path $PSScriptRoot 'output/synthetic-idc-predictions.csv'
    if (-not (Test-Path $DatasetPath)) {
        $tool = Join-Path $PSScriptRoot '../output/testdata/HeatmapTools.TestData.dll'
        & dotnet $tool idc $DatasetPath 15 400 11 | Out-Null
        & dotnet $tool csv $DatasetPath $CsvPath 15 400 11 | Out-Null
        if ($LASTEXITCODE -ne 0) { throw 'Could not generate the synthetic dataset.' }
    }
}

# The notebooks' 5x3 grid of patients, pink for class 0 and red for class 1.
$montage = Get-ChildItem $DatasetPath -Recurse -Filter *.png |
    New-PatientPatchGrid -MontageOnly -Rows 5 -Columns 3 -Random -Seed 42 -OutputPath $OutputPath -Force
"Montage: $($montage.Path) ($($montage.PatientIds.Count) patients)"

# One patient in full: tissue, labels, probabilities from the CSV, and TP/FP/FN/TN at 0.5.
$first = ($montage.PatientIds | Select-Object -First 1)
New-PatientPatchGrid -Path $DatasetPath -CsvPath $CsvPath -PatientId $first -Confusion -OutputPath $OutputPath -Force |
    Format-List PatientId, PatchCount, PositiveCount, PositiveFraction, Width, Height, TruePositive, FalsePositive, FalseNegative, TrueNegative, Files
