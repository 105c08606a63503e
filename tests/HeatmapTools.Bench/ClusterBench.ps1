#Requires -Version 7.4
# The cluster part of ./build.ps1 -Task Bench (SqueezeNet 1.1 with its real weights from the shared data): one process against a 2- and a 4-task Slurm array (examples/slurm/cam-array.sbatch)
# over the same images on this machine, each run -Repeat times (median), plus the fixed cost each task pays (a cold
# pwsh: module import, model load, first image). Needs root and Debian's slurm-wlm and munge; says so and stops otherwise.
param(
    [string] $Shared = (Join-Path $PSScriptRoot '../../../shared'),
    [string] $Module = (Join-Path $PSScriptRoot '../../output/HeatmapTools'),
    [int] $Images = 96,
    [string] $Model = 'squeezenet1_1',
    [int] $Repeat = 3
)
$ErrorActionPreference = 'Stop'
if ((id -u) -ne '0' -or -not (Test-Path /usr/sbin/slurmctld) -or -not (Test-Path /usr/sbin/munged)) {
    Write-Host 'cluster: skipped (needs root and Debian''s slurm-wlm and munge)'; return
}
$repo = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../..'))
$work = Join-Path ([IO.Path]::GetTempPath()) ("hmt-cluster-bench-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
$photos = Join-Path $work 'images'
New-Item -ItemType Directory $photos | Out-Null
$sources = Get-ChildItem (Join-Path $Shared 'images') -Filter *.png
for ($i = 0; $i -lt $Images; $i++) { Copy-Item $sources[$i % $sources.Count].FullName (Join-Path $photos ('img_{0:D3}.png' -f $i)) }
$self = @([Environment]::ProcessPath)
if ([IO.Path]::GetFileNameWithoutExtension($self[0]) -eq 'dotnet') { $self += [Environment]::GetCommandLineArgs()[0] }
$env:HEATMAPTOOLS_PWSH = $self -join ' '
$env:HEATMAPTOOLS_MODULE = (Resolve-Path $Module).Path
$env:HEATMAPTOOLS_MODEL_PATH = Join-Path $Shared 'models'
$env:IMAGES = $photos
$env:MODEL = $Model
function Median([double[]] $v) { $s = $v | Sort-Object; if ($s.Count % 2) { $s[[int][Math]::Floor($s.Count / 2)] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 } }
function Invoke-Pwsh([string] $Command) { & $self[0] @($self | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $Command }

& bash (Join-Path $repo 'tests/tools/slurm-cluster.sh') start (Join-Path $work 'cluster')
if ($LASTEXITCODE -ne 0) { throw 'Slurm did not start.' }
$env:SLURM_CONF = Join-Path $work 'cluster/slurm.conf'
try {
    # What every task pays before its first image, in a cold process: start, import, model load, the first image.
    $cold = foreach ($r in 1..$Repeat) {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $t = Invoke-Pwsh "`$c = [Diagnostics.Stopwatch]::StartNew(); Import-Module '$($env:HEATMAPTOOLS_MODULE)'; `$i = `$c.Elapsed.TotalSeconds; `$WarningPreference = 'SilentlyContinue'
            `$null = Get-Item '$photos/img_000.png' | New-CamHeatmap -Model $Model -NoOverlay; '{0} {1}' -f `$i, `$c.Elapsed.TotalSeconds"
        $process = $clock.Elapsed.TotalSeconds
        $import, $first = ($t | Select-Object -Last 1) -split ' ' | ForEach-Object { [double]$_ }
        [pscustomobject]@{ Import = $import; FirstImage = $first - $import; Process = $process }
    }
    $rows = [Collections.Generic.List[object]]::new()
    foreach ($tasks in 1, 2, 4) {
        $walls = foreach ($r in 1..$Repeat) {
            $out = Join-Path $work "out-$tasks-$r"
            $env:OUT = $out
            $clock = [Diagnostics.Stopwatch]::StartNew()
            if ($tasks -eq 1) {
                # One process with every core: no scheduler, no shard.
                Invoke-Pwsh "Import-Module '$($env:HEATMAPTOOLS_MODULE)'; `$WarningPreference = 'SilentlyContinue'; Get-ChildItem '$photos' -Filter *.png | New-CamHeatmap -Model $Model -OutputPath '$out/cam/' | Out-Null" | Out-Null
            }
            else {
                # cam-array.sbatch as a user submits it, one CPU per task as the script asks.
                $job = sbatch --parsable --chdir $work "--array=0-$($tasks - 1)" (Join-Path $repo 'examples/slurm/cam-array.sbatch')
                while (squeue -h -j $job -o '%i' 2>$null) { Start-Sleep -Milliseconds 100 }
            }
            $clock.Elapsed.TotalSeconds
            $written = @(Get-ChildItem (Join-Path $out 'cam') -Filter *.png -ErrorAction SilentlyContinue).Count
            if ($written -ne $Images) { throw "$tasks task(s) wrote $written of $Images overlays." }
        }
        $rows.Add([pscustomobject]@{ Tasks = $tasks; WallSeconds = Median $walls; ImagesPerSecond = $Images / (Median $walls) })
    }
    $one = $rows[0].WallSeconds
    Write-Host ("cluster: {0} images, {1}, {2} core(s), median of {3}" -f $Images, $Model, [Environment]::ProcessorCount, $Repeat)
    Write-Host ("cluster: cold task start-up: import {0:F2} s, model load and first image {1:F2} s, process total {2:F2} s" -f `
        (Median $cold.Import), (Median $cold.FirstImage), (Median $cold.Process))
    foreach ($row in $rows) {
        Write-Host ("cluster: {0} {1,-8} {2,7:F2} s  {3,6:F2} images/s  {4,5:F2}x one process" -f $row.Tasks, $(if ($row.Tasks -eq 1) { 'process' } else { 'tasks' }),
            $row.WallSeconds, $row.ImagesPerSecond, ($one / $row.WallSeconds))
    }
}
finally {
    & bash (Join-Path $repo 'tests/tools/slurm-cluster.sh') stop (Join-Path $work 'cluster')
    'SLURM_CONF', 'IMAGES', 'OUT', 'MODEL', 'HEATMAPTOOLS_PWSH', 'HEATMAPTOOLS_MODULE' | ForEach-Object { Remove-Item "env:$_" -ErrorAction SilentlyContinue }
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
