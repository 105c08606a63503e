# Dot-sourced by the examples so each also runs on its own: uses the module already loaded (or installed), else the
# one this repository's build wrote to output/.
if (-not (Get-Module HeatmapTools)) {
    $built = Join-Path $PSScriptRoot '../output/HeatmapTools'
    if (Get-Module -ListAvailable HeatmapTools) { Import-Module HeatmapTools }
    elseif (Test-Path $built) { Import-Module $built }
    else { throw "HeatmapTools is neither loaded, installed nor built: run 'dotnet pwsh ./build.ps1 -Task Build' in the repository first." }
}
