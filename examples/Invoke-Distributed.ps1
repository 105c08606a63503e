#Requires -Version 7.4
<#
.SYNOPSIS
Spreads one CAM job (and optionally a patient patch-grid job) over several machines with PowerShell remoting over SSH:
installs the HeatmapTools package on every node, gives node k of N the share -Shard k/N of a folder all nodes see,
gathers the results and prints what each node did. Rerunning it finishes what a failed node left: finished outputs are
not computed again.

.EXAMPLE
./Invoke-Distributed.ps1 -HostName gpu1, gpu2, gpu3 -UserName me -KeyFilePath ~/.ssh/id_ed25519 -Repository /shared/packages -Path /shared/photos -OutputPath /shared/cams -WeightsPath /shared/models/resnet50.pth -Model resnet50
#>
param(
    [Parameter(Mandatory)] [string[]] $HostName,
    [string] $UserName,
    [string] $KeyFilePath,
    [int] $Port = 22,
    # A folder every node sees, holding HeatmapTools.<version>.nupkg (build.ps1 -Task Package writes one to output/packages).
    [Parameter(Mandatory)] [string] $Repository,
    # The photos, as every node sees them; each node runs in this folder, so shards are keyed the same everywhere.
    [Parameter(Mandatory)] [string] $Path,
    [Parameter(Mandatory)] [string] $OutputPath,
    [string] $Model = 'squeezenet1_1',
    [string] $WeightsPath,
    # Optional: a folder of IDC-style patches, drawn into per-patient grids under $OutputPath/patients.
    [string] $PatchPath,
    [int] $ThrottleLimit = 32,
    # Images per network pass on each node (New-CamHeatmap -BatchSize).
    [ValidateRange(1, 256)] [int] $BatchSize = 8,
    # Extra ssh options for every connection (for example @{ StrictHostKeyChecking = 'no' } on a test network).
    [hashtable] $Options
)
$ErrorActionPreference = 'Stop'

$connection = @{ HostName = $HostName; Port = $Port }
if ($UserName) { $connection.UserName = $UserName }
if ($KeyFilePath) { $connection.KeyFilePath = $KeyFilePath }
if ($Options) { $connection.Options = $Options }
$sessions = New-PSSession @connection
try {
    $count = $sessions.Count
    for ($i = 0; $i -lt $count; $i++) { $sessions[$i].Name = "node$($i + 1)" }

    # 1. The package on every node, one node after another (nodes that share a home must not install at once); a node
    # that already has the module keeps it.
    foreach ($session in $sessions) {
        Invoke-Command -Session $session -ScriptBlock {
            param($Repository)
            if (Get-Module -ListAvailable HeatmapTools) { return }
            if (-not (Get-PSResourceRepository -Name HeatmapToolsShare -ErrorAction SilentlyContinue)) {
                Register-PSResourceRepository -Name HeatmapToolsShare -Uri $Repository -Trusted
            }
            Install-PSResource HeatmapTools -Repository HeatmapToolsShare -Scope CurrentUser -TrustRepository -Quiet
        } -ArgumentList $Repository
    }

    # 2. Each node its share: node k of N takes -Shard k/N of the same folder.
    for ($i = 0; $i -lt $count; $i++) { Invoke-Command -Session $sessions[$i] -ScriptBlock { param($k, $n) $global:HeatmapToolsShard = "$k/$n" } -ArgumentList ($i + 1), $count }
    $failures = $null
    $results = Invoke-Command -Session $sessions -ThrottleLimit $ThrottleLimit -ErrorVariable failures -ErrorAction SilentlyContinue -ScriptBlock {
        param($Path, $OutputPath, $Model, $WeightsPath, $PatchPath, $BatchSize)
        Set-Location $Path
        $weights = if ($WeightsPath) { @{ WeightsPath = $WeightsPath } } else { @{} }
        Get-ChildItem -File -Recurse -Include *.png, *.jpg, *.jpeg |
            New-CamHeatmap -Model $Model @weights -OutputPath "$OutputPath/" -BatchSize $BatchSize -Shard $global:HeatmapToolsShard -ShardRoot $Path |
            Select-Object SourcePath, OutputPath, ClassIndex, Label, Score
        if ($PatchPath) {
            New-PatientPatchGrid -Path $PatchPath -OutputPath (Join-Path $OutputPath 'patients') -Shard $global:HeatmapToolsShard |
                Select-Object PatientId, PatchCount, Files, ProblemCount
        }
    } -ArgumentList $Path, $OutputPath, $Model, $WeightsPath, $PatchPath, $BatchSize

    # 3. What each node did (results come back deserialised, with the runspace they came from).
    $summary = foreach ($s in $sessions) {
        $mine = @($results | Where-Object RunspaceId -eq $s.Runspace.InstanceId)
        $errors = @($failures | Where-Object { $_.OriginInfo.RunspaceID -eq $s.Runspace.InstanceId })
        [pscustomobject]@{
            Node     = $s.Name
            Host     = $s.ComputerName
            Images   = @($mine | Where-Object { $_.PSObject.Properties['OutputPath'] }).Count
            Patients = @($mine | Where-Object { $_.PSObject.Properties['PatientId'] }).Count
            Failed   = $errors.Count
            Skipped  = @($errors | Where-Object { $_.FullyQualifiedErrorId -like 'OutputExists*' }).Count
        }
    }
    $summary | Format-Table -AutoSize | Out-Host
    [pscustomobject]@{ Results = $results; Summary = $summary; Errors = @($failures) }
}
finally {
    $sessions | Remove-PSSession
}
