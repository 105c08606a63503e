# Dot-sourced by every test file: where the built module and the shared (external) test data are.
$script:ModulePath = if ($env:HEATMAPTOOLS_TEST_MODULE) { $env:HEATMAPTOOLS_TEST_MODULE } else { Join-Path $PSScriptRoot '../../output/HeatmapTools' }
$script:Shared = if ($env:HEATMAPTOOLS_SHARED) { $env:HEATMAPTOOLS_SHARED } else { [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../../../shared')) }
$script:Images = Join-Path $Shared 'images'
$script:Models = Join-Path $Shared 'models'
$env:HEATMAPTOOLS_MODEL_PATH = $Models
$env:HEATMAPTOOLS_OFFLINE = '1'
Import-Module $ModulePath -Force

function New-TestFolder {
    $dir = Join-Path ([IO.Path]::GetTempPath()) ("hmt-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $dir | Out-Null
    Copy-Item (Join-Path $Images '*.png') $dir
    $dir
}

# Reads a float32 .npy the reference wrote (header, then raw little-endian data).
function Read-Npy([string] $Path) {
    $bytes = [IO.File]::ReadAllBytes($Path)
    $headerLength = [BitConverter]::ToUInt16($bytes, 8)
    $offset = 10 + $headerLength
    $count = ($bytes.Length - $offset) / 4
    $data = [float[]]::new($count)
    [Buffer]::BlockCopy($bytes, $offset, $data, 0, $count * 4)
    , $data
}

# Runs a script in a new PowerShell process (the same pwsh as this one) and returns its output. Here pwsh is the .NET
# tool, whose process is dotnet running pwsh.dll, so the same pair is started.
function Invoke-FreshPwsh([string] $Script) {
    $command = @([Environment]::ProcessPath)
    if ([IO.Path]::GetFileNameWithoutExtension($command[0]) -eq 'dotnet') { $command += [Environment]::GetCommandLineArgs()[0] }
    # A fresh session hears the arithmetic check's fallback warning once (on a processor where oneDNN as shipped fails):
    # it would be read as output here. Tests of warnings collect them with -WarningVariable, which still works.
    $arguments = @($command | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', "`$WarningPreference = 'SilentlyContinue'; $Script")
    & $command[0] @arguments
}

# The synthetic-dataset tool (IDC-shaped patches, CSVs, pixel reads) that build.ps1 -Task Test builds into output/testdata.
$script:TestDataTool = Join-Path $PSScriptRoot '../../output/testdata/HeatmapTools.TestData.dll'
function Invoke-TestData { $out = & dotnet $TestDataTool @args; if ($LASTEXITCODE -ne 0) { throw "TestData $args failed" }; $out }

# The largest difference between a map and a reference written flat (row-major), as the parity tests compare them; a
# reference of another size is a failure, not a partial comparison.
function Get-MaxDifference([float[,]] $Map, [float[]] $Reference) {
    $rows = $Map.GetLength(0); $columns = $Map.GetLength(1)
    if ($Reference.Count -ne $rows * $columns) { throw "The map is $rows x $columns; the reference has $($Reference.Count) values." }
    $max = 0.0
    for ($y = 0; $y -lt $rows; $y++) { for ($x = 0; $x -lt $columns; $x++) { $max = [Math]::Max($max, [Math]::Abs($Map[$y, $x] - $Reference[$y * $columns + $x])) } }
    $max
}
