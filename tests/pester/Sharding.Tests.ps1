BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

Describe '-Shard k/N' {
    BeforeAll {
        $root = Join-Path ([IO.Path]::GetTempPath()) ("hmt-shard-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $photos = New-Item -ItemType Directory (Join-Path $root 'photos')
        foreach ($i in 1..12) { Copy-Item (Join-Path $Images 'coffee.png') (Join-Path $photos "img$i.png") }
        $data = Join-Path $root 'idc'
        $null = Invoke-TestData idc $data 9 6 3
    }
    AfterAll { Remove-Item $root -Recurse -Force }

    It 'splits images between nodes: disjoint shards that together are every image, the same from any working folder' {
        $photoPaths = (Get-ChildItem $photos -Filter *.png).FullName
        $byShard = foreach ($k in 1..3) { , @($photoPaths | Get-ClassPrediction -Model squeezenet1_1 -Shard "$k/3" | ForEach-Object { Split-Path $_.Path -Leaf }) }
        $all = $byShard | ForEach-Object { $_ }
        $all.Count | Should -Be 12
        ($all | Sort-Object -Unique).Count | Should -Be 12
        ($byShard | Where-Object { $_.Count -gt 0 }).Count | Should -BeGreaterThan 1 -Because 'twelve images do not all hash to one shard'
        # The same absolute paths from four working folders: the same partition every time.
        foreach ($where in $root, $photos, [IO.Path]::GetTempPath(), '/') {
            Push-Location $where
            try {
                foreach ($k in 1..3) {
                    $again = @($photoPaths | Get-ClassPrediction -Model squeezenet1_1 -Shard "$k/3" | ForEach-Object { Split-Path $_.Path -Leaf })
                    ($again | Sort-Object) | Should -Be ($byShard[$k - 1] | Sort-Object) -Because "shard $k/3 run from '$where'"
                }
            }
            finally { Pop-Location }
        }
    }

    It 'takes a scheduler task''s share with -Shard Auto: a Slurm array of any start and step, a Kubernetes index; says which variables it read' {
        $photoPaths = (Get-ChildItem $photos -Filter *.png).FullName
        $vars = 'SLURM_ARRAY_TASK_ID', 'SLURM_ARRAY_TASK_MIN', 'SLURM_ARRAY_TASK_MAX', 'SLURM_ARRAY_TASK_STEP', 'SLURM_ARRAY_TASK_COUNT', 'JOB_COMPLETION_INDEX', 'HEATMAPTOOLS_SHARD_COUNT'
        try {
            # --array=1-5:2 has ids 1, 3, 5: the task with id 3 is the second of three.
            $env:SLURM_ARRAY_TASK_ID = '3'; $env:SLURM_ARRAY_TASK_MIN = '1'; $env:SLURM_ARRAY_TASK_MAX = '5'; $env:SLURM_ARRAY_TASK_STEP = '2'; $env:SLURM_ARRAY_TASK_COUNT = '3'
            $auto = @($photoPaths | Get-ClassPrediction -Model squeezenet1_1 -Shard Auto -Verbose 4>&1)
            (($auto | Where-Object { $_ -is [Management.Automation.VerboseRecord] }).Message -join "`n") | Should -Match '-Shard Auto: 2/3 \(Slurm array task 3 of 1-5:2'
            $expected = @($photoPaths | Get-ClassPrediction -Model squeezenet1_1 -Shard 2/3).Path
            @($auto | Where-Object { $_ -isnot [Management.Automation.VerboseRecord] }).Path | Should -Be $expected
            foreach ($v in $vars) { Remove-Item "env:$v" -ErrorAction SilentlyContinue }
            $env:JOB_COMPLETION_INDEX = '0'
            { $photoPaths | Get-ClassPrediction -Model squeezenet1_1 -Shard Auto -ErrorAction Stop } | Should -Throw '*HEATMAPTOOLS_SHARD_COUNT*'
            @($photoPaths | Get-ClassPrediction -Model squeezenet1_1 -Shard Auto -ShardCount 3).Path | Should -Be @($photoPaths | Get-ClassPrediction -Model squeezenet1_1 -Shard 1/3).Path
            Remove-Item env:JOB_COMPLETION_INDEX
            $err = { $photoPaths | New-CamHeatmap -Model squeezenet1_1 -Shard Auto -NoOverlay -ErrorAction Stop } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'ShardInvalid,*'
            $err.Exception.Message | Should -Match 'SLURM_ARRAY_TASK_ID.*JOB_COMPLETION_INDEX'
        }
        finally { foreach ($v in $vars) { Remove-Item "env:$v" -ErrorAction SilentlyContinue } }
    }

    It 'computes with the CPUs a Slurm task was given, not every core of the node, and says so' {
        $said = Invoke-FreshPwsh "`$env:SLURM_JOB_ID = '7'; `$env:SLURM_CPUS_PER_TASK = '1'; Import-Module '$((Resolve-Path $ModulePath).Path)'; `$i = Get-HeatmapToolsInfo; '{0}|{1}' -f `$i.TorchThreads, `$i.ThreadSource"
        ($said | Select-Object -Last 1) | Should -Be '1|SLURM_CPUS_PER_TASK'
        $verbose = (Get-ChildItem $photos -Filter *.png | Select-Object -First 1 | Get-ClassPrediction -Model squeezenet1_1 -Verbose 4>&1 |
            Where-Object { $_ -is [Management.Automation.VerboseRecord] }).Message -join "`n"
        $verbose | Should -Match 'Computing with \d+ thread\(s\) from '
    }

    It 'keys images by their path below -ShardRoot, so a share mounted elsewhere splits the same way' {
        $copy = Join-Path $root 'mirror'
        Copy-Item $photos (Join-Path $copy 'photos') -Recurse -Force
        foreach ($k in 1..3) {
            $here = @(Get-ChildItem $photos -Filter *.png | Get-ClassPrediction -Model squeezenet1_1 -Shard "$k/3" -ShardRoot $root | ForEach-Object { Split-Path $_.Path -Leaf })
            $there = @(Get-ChildItem (Join-Path $copy 'photos') -Filter *.png | Get-ClassPrediction -Model squeezenet1_1 -Shard "$k/3" -ShardRoot $copy | ForEach-Object { Split-Path $_.Path -Leaf })
            ($there | Sort-Object) | Should -Be ($here | Sort-Object)
        }
        # An image outside the root belongs to no shard: an error naming it, never a silent drop.
        $outside = Join-Path ([IO.Path]::GetTempPath()) 'hmt-outside.png'
        Copy-Item (Join-Path $Images 'coffee.png') $outside -Force
        try {
            $null = Get-ClassPrediction $outside -Model squeezenet1_1 -Shard 1/1 -ShardRoot $root -ErrorVariable e -ErrorAction SilentlyContinue
            $e[0].FullyQualifiedErrorId | Should -BeLike 'ShardRootOutside*'
            $e[0].Exception.Message | Should -BeLike "*hmt-outside.png*"
        }
        finally { Remove-Item $outside -Force }
    }

    It 'appends a task''s record only to a run record: never to a file of the user''s' {
        $two = (Get-ChildItem $photos -Filter *.png | Select-Object -First 2).FullName
        $notes = Join-Path $root 'notes.txt'
        Set-Content $notes 'my notes'
        $maps = Join-Path $root 'record-maps'
        { $two | New-CamHeatmap -Model squeezenet1_1 -OutputPath (Join-Path $maps '{name}.png') -RecordPath $notes -ErrorAction Stop } |
            Should -Throw -ErrorId 'RecordFileNotOurs*'
        Get-Content $notes | Should -Be 'my notes'
        Test-Path $maps | Should -BeFalse -Because 'nothing runs when the record cannot be kept'
        # A record is appended to by the next run: two start lines, and the second run's items as skipped (already done).
        $record = Join-Path $root 'run.jsonl'
        $two | New-CamHeatmap -Model squeezenet1_1 -OutputPath (Join-Path $maps '{name}.png') -RecordPath $record | Out-Null
        $two | New-CamHeatmap -Model squeezenet1_1 -OutputPath (Join-Path $maps '{name}.png') -RecordPath $record -SkipExisting | Out-Null
        $lines = Get-Content $record | ForEach-Object { $_ | ConvertFrom-Json }
        @($lines | Where-Object kind -eq 'start').Count | Should -Be 2
        @($lines | Where-Object { $_.kind -eq 'item' -and $_.status -eq 'Skipped' }).Count | Should -Be 2
        (Get-HeatmapRunRecord $record | Where-Object Status -eq 'Skipped').Count | Should -Be 2
    }

    It 'splits patients between nodes and refuses a montage' {
        $out = Join-Path $root 'grids'
        $byShard = foreach ($k in 1..2) { , @(New-PatientPatchGrid -Path $data -OutputPath $out -Kind Labels -Shard "$k/2" | ForEach-Object PatientId) }
        $all = $byShard | ForEach-Object { $_ }
        $all.Count | Should -Be 9
        ($all | Sort-Object -Unique).Count | Should -Be 9
        { New-PatientPatchGrid -Path $data -OutputPath $out -Montage -Shard 1/2 -ErrorAction Stop } | Should -Throw -ErrorId 'ShardConflict*'
    }

    It 'refuses a malformed shard before any work' {
        { Get-ClassPrediction -Path (Join-Path $Images 'coffee.png') -Model squeezenet1_1 -Shard 0/3 -ErrorAction Stop } | Should -Throw -ErrorId 'ShardInvalid*'
    }
}
