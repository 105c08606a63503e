#Requires -Version 7.4
<#
.SYNOPSIS
Runs the Pester tests against a built module and writes the pass/fail counts as JSON.
Pester comes from NuGet (a Chocolatey-shaped package: the module is in its tools/ folder), restored by
tests/tools/TestTools.csproj; the PowerShell Gallery is not needed.
#>
param(
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $ResultPath,
    [string] $PesterVersion = '5.7.1'
)
$ErrorActionPreference = 'Stop'

$packages = (& dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', ''
$pester = Join-Path $packages.Trim() "pester/$PesterVersion/tools/Pester.psd1"
if (-not (Test-Path $pester)) { throw "Pester $PesterVersion is not restored at '$pester'. Run: dotnet restore tests/tools/TestTools.csproj" }
Import-Module $pester -Force

$env:HEATMAPTOOLS_TEST_MODULE = (Resolve-Path $ModulePath).Path
$config = New-PesterConfiguration
$config.Run.Path = $PSScriptRoot
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$result = Invoke-Pester -Configuration $config
# A failing BeforeAll or a file that does not parse fails its tests without counting them: count those too.
[pscustomobject]@{ Passed = $result.PassedCount; Failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount } |
    ConvertTo-Json | Set-Content -Path $ResultPath
