# Issue 34: a run on a real scheduler. Stands up single-node Slurm from Debian's slurm-wlm and munge (root), submits the
# example array over 40 images with 4 tasks, cancels one task mid-run, resubmits, and gathers the run.
BeforeDiscovery {
    $script:slurmMissing = if (-not $IsLinux) { 'Slurm runs on Linux only' }
    elseif ((id -u) -ne '0') { 'the single-node cluster runs its daemons as root' }
    elseif (-not (Test-Path /usr/sbin/slurmctld) -or -not (Test-Path /usr/sbin/munged)) { 'Debian''s slurm-wlm and munge are not installed (.ci/run installs them)' }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $repo = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../..'))
    $cluster = Join-Path ([IO.Path]::GetTempPath()) ("hmt-slurm-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $work = Join-Path $cluster 'work'
    $photoFolder = Join-Path $work 'images'
    $out = Join-Path $work 'out'
    function Wait-Until([scriptblock] $Condition, [string] $What, [int] $Seconds = 300) {
        $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
        while (-not (& $Condition)) {
            if ([DateTime]::UtcNow -gt $deadline) { throw "Timed out after $Seconds s waiting for $What." }
            Start-Sleep -Milliseconds 200
        }
    }
    function Get-DoneLines([string] $Record) {
        if (-not (Test-Path $Record)) { return 0 }
        @(Get-Content $Record | Where-Object { $_ -like '*"status":"Done"*' }).Count
    }
    function Test-JobGone([string] $Job) { -not (squeue -h -j $Job -o '%i' 2>$null) }
}

Describe 'A Slurm job array' -Skip:([bool] $slurmMissing) {
    BeforeAll {
        New-Item -ItemType Directory $photoFolder -Force | Out-Null
        $photos = Get-ChildItem $Images -Filter *.png
        for ($i = 0; $i -lt 40; $i++) { Copy-Item $photos[$i % $photos.Count].FullName (Join-Path $photoFolder ('img_{0:D2}.png' -f $i)) }
        & bash (Join-Path $repo 'tests/tools/slurm-cluster.sh') start $cluster
        if ($LASTEXITCODE -ne 0) { throw 'The single-node Slurm cluster did not start.' }
        $env:SLURM_CONF = Join-Path $cluster 'slurm.conf'
        $env:IMAGES = $photoFolder; $env:OUT = $out; $env:BATCH_SIZE = '1'
        $env:HEATMAPTOOLS_MODULE = (Resolve-Path $ModulePath).Path
        # This pwsh, as the tasks must start it (here the .NET tool: dotnet pwsh.dll).
        $self = @([Environment]::ProcessPath)
        if ([IO.Path]::GetFileNameWithoutExtension($self[0]) -eq 'dotnet') { $self += [Environment]::GetCommandLineArgs()[0] }
        $env:HEATMAPTOOLS_PWSH = $self -join ' '
            }
    AfterAll {
        & bash (Join-Path $repo 'tests/tools/slurm-cluster.sh') stop $cluster
        'SLURM_CONF', 'IMAGES', 'OUT', 'BATCH_SIZE', 'HEATMAPTOOLS_MODULE', 'HEATMAPTOOLS_PWSH', 'HEATMAPTOOLS_TEST_PAUSE_AFTER', 'HEATMAPTOOLS_TEST_PAUSE_WHILE' |
            ForEach-Object { Remove-Item "env:$_" -ErrorAction SilentlyContinue }
        if (-not $env:HMT_KEEP) { Remove-Item $cluster -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'shares 40 images between 4 tasks, redoes only what a cancelled task left, and gathers every input once' {
        $records = Join-Path $out 'records'
        # Every task holds after its second overlay while the hold file exists: task 2 is cancelled with work left undone.
        $hold = Join-Path $cluster 'hold'
        New-Item -ItemType File $hold | Out-Null
        $env:HEATMAPTOOLS_TEST_PAUSE_AFTER = '2'; $env:HEATMAPTOOLS_TEST_PAUSE_WHILE = $hold
        $job = sbatch --parsable --chdir $work --array=0-3 (Join-Path $repo 'examples/slurm/cam-array.sbatch')
        $LASTEXITCODE | Should -Be 0
        Remove-Item env:HEATMAPTOOLS_TEST_PAUSE_AFTER, env:HEATMAPTOOLS_TEST_PAUSE_WHILE
        Wait-Until { @(0..3 | Where-Object { (Get-DoneLines (Join-Path $records "task-$_.jsonl")) -ge 2 }).Count -eq 4 } 'every task to write two overlays'
        scancel "${job}_2"
        Wait-Until { Test-JobGone "${job}_2" } 'task 2 to end'
        Remove-Item $hold
        Wait-Until { Test-JobGone $job } 'the array to end'

        # Task 2 wrote two of its share and no end line; the gather counts the rest of its share as missing.
        (Get-Content (Join-Path $records 'task-2.jsonl') | Where-Object { $_ -like '*"kind":"end"*' }) | Should -BeNullOrEmpty
        $null = & (Join-Path $repo 'examples/slurm/Gather-Run.ps1') -Images $photoFolder -Out $out
        $summary = Get-Content (Join-Path $out 'summary.json') -Raw | ConvertFrom-Json
        $summary.Inputs | Should -Be 40
        $summary.Missing.Count | Should -BeGreaterThan 0
        $summary.Finished + $summary.Missing.Count | Should -Be 40
        # One image per batch: what a task wrote, it recorded.
        $onDisk = @(Get-ChildItem (Join-Path $out 'cam') -Filter *.png).Count
        $onDisk | Should -Be $summary.Finished

        # Resubmitted as is: only what is missing is computed.
        $again = sbatch --parsable --chdir $work --array=0-3 (Join-Path $repo 'examples/slurm/cam-array.sbatch')
        Wait-Until { Test-JobGone $again } 'the resubmitted array to end'
        $said = & (Join-Path $repo 'examples/slurm/Gather-Run.ps1') -Images $photoFolder -Out $out
        $summary = Get-Content (Join-Path $out 'summary.json') -Raw | ConvertFrom-Json
        $summary.Inputs | Should -Be 40
        $summary.Finished | Should -Be 40 -Because "$said"
        $summary.Missing | Should -BeNullOrEmpty
        $summary.Failed | Should -BeNullOrEmpty
        # Every image has exactly one overlay, written by one task: none twice, none over another.
        $overlays = @(Get-ChildItem (Join-Path $out 'cam') -Filter *.png)
        $overlays.Count | Should -Be 40
        ($overlays.BaseName -replace '_cam$' | Sort-Object -Unique).Count | Should -Be 40
        # The second run computed the images without an overlay and passed over the rest, as the tasks' own records say.
        $items = Get-HeatmapRunRecord $records -InputPath (Get-ChildItem $photoFolder).FullName
        @($items).Count | Should -Be 40
        @($items | Where-Object Status -eq 'Done').Count | Should -Be (40 - $onDisk)
        @($items | Where-Object Status -eq 'Skipped').Count | Should -Be $onDisk
        ($items.Task | Sort-Object -Unique) | Should -Be @('1/4', '2/4', '3/4', '4/4')
        # One report of the whole run, a row per input.
        $report = Get-Content (Join-Path $out 'report/index.html') -Raw
        ([regex]::Matches($report, 'img_\d\d\.png')).Count | Should -BeGreaterOrEqual 40
    }
    It 'shares slides between the tasks of the slide example: every slide tiled, classified and painted once' {
        $slides = Join-Path $work 'slides'
        New-Item -ItemType Directory $slides -Force | Out-Null
        foreach ($name in 'a', 'b', 'c') { $null = Invoke-TestData slide (Join-Path $slides "$name.tiff") 3000 2000 }
        $heatmaps = Join-Path $work 'heatmaps'
        $env:SLIDES = $slides; $env:OUT = $heatmaps; $env:MODEL = 'squeezenet1_1'; $env:POSITIVE = '285'; $env:MPP = ''
        try {
            $job = sbatch --parsable --chdir $work --array=0-1 (Join-Path $repo 'examples/slurm/slide-array.sbatch')
            $LASTEXITCODE | Should -Be 0
            Wait-Until { Test-JobGone $job } 'the slide array to end'
        }
        finally { 'SLIDES', 'MODEL', 'POSITIVE', 'MPP' | ForEach-Object { Remove-Item "env:$_" -ErrorAction SilentlyContinue } }
        $logs = (Get-ChildItem $work -Filter 'hmt-slides-*.log' | Get-Content) -join "`n"
        (Get-ChildItem $heatmaps -Filter *.png).BaseName | Sort-Object | Should -Be @('a', 'b', 'c') -Because $logs
        (Get-ChildItem $heatmaps -Filter *.geojson).Count | Should -Be 3
        # The gather counts every slide once from the two tasks' records, with its heatmap and GeoJSON.
        $gathered = & (Join-Path $repo 'examples/slurm/Gather-Run.ps1') -Images $slides -Out $heatmaps -Module $ModulePath -Include '*.tiff'
        $summary = Get-Content (Join-Path $heatmaps 'summary.json') -Raw | ConvertFrom-Json
        $summary.Inputs | Should -Be 3 -Because "$gathered"
        $summary.Finished | Should -Be 3
        $items = Get-HeatmapRunRecord (Join-Path $heatmaps 'records')
        # Which task a slide falls to is its path's hash: all three may fall to one.
        $items | ForEach-Object { $_.Task | Should -BeIn '1/2', '2/2'; $_.Outputs.Count | Should -Be 2 }
        Test-Path (Join-Path $heatmaps 'report/index.html') | Should -BeTrue
    }
}
