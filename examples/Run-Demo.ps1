#Requires -Version 7.4
# The README's first command ends here: import the freshly built module and run every example on the shared data.
$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot
$shared = if ($env:HEATMAPTOOLS_SHARED) { $env:HEATMAPTOOLS_SHARED } else { Join-Path $root '../shared' }
if (-not (Test-Path (Join-Path $shared 'images'))) {
    throw "The demo needs the shared data (weights, photos) but found no 'images' folder in '$([IO.Path]::GetFullPath($shared))'. Put it at ../shared beside the repository or set HEATMAPTOOLS_SHARED to its folder."
}
if (-not $env:HEATMAPTOOLS_MODEL_PATH -and (Test-Path (Join-Path $shared 'models'))) { $env:HEATMAPTOOLS_MODEL_PATH = (Resolve-Path (Join-Path $shared 'models')).Path }
Import-Module (Join-Path $root 'output/HeatmapTools') -Force

Write-Host "`n== Classify (examples/Classify-Image.ps1) ==" -ForegroundColor Cyan
& (Join-Path $PSScriptRoot 'Classify-Image.ps1') -ImagePath (Join-Path $shared 'images/chelsea.png')

Write-Host "`n== Grad-CAM overlays (examples/Explain-Image.ps1) ==" -ForegroundColor Cyan
& (Join-Path $PSScriptRoot 'Explain-Image.ps1') -ImagePath (Get-ChildItem (Join-Path $shared 'images') -Filter *.png).FullName

Write-Host "`n== Patient patch grids (examples/Patient-Grid.ps1) ==" -ForegroundColor Cyan
& (Join-Path $PSScriptRoot 'Patient-Grid.ps1')

Write-Host "`n== Which CAM method to trust (examples/Rank-CamMethods.ps1) ==" -ForegroundColor Cyan
& (Join-Path $PSScriptRoot 'Rank-CamMethods.ps1') -ImagePath (Get-ChildItem (Join-Path $shared 'images') -Filter *.png).FullName -Method GradCAM, LayerCAM, EigenCAM
