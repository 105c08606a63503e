BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    # Runs a command in a background job of this process, so a hang fails the test instead of stopping the run.
    function Invoke-Within([scriptblock] $Script, [int] $Seconds = 60) {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript(". '$(Join-Path $PSScriptRoot 'TestSetup.ps1')'").AddStatement().AddScript($Script)
            $async = $ps.BeginInvoke()
            if (-not $async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($Seconds))) { $ps.Stop(); throw "still running after $Seconds s" }
            [pscustomobject]@{ Output = @($ps.EndInvoke($async)); Errors = @($ps.Streams.Error) }
        }
        finally { $ps.Dispose() }
    }
}

Describe 'Inputs that are not regular files' -Skip:(-not $IsLinux) {
    BeforeAll {
        $folder = New-TestFolder
        & mkfifo (Join-Path $folder 'fifo.png')
    }
    AfterAll { Remove-Item $folder -Recurse -Force }

    It 'Get-ClassPrediction reports a FIFO named like an image at once and classifies the rest' {
        $r = Invoke-Within ([scriptblock]::Create("Get-ChildItem '$folder' -Filter *.png | Get-ClassPrediction -Model squeezenet1_1"))
        $r.Output.Count | Should -Be 3
        $r.Errors.Count | Should -Be 1
        $r.Errors[0].FullyQualifiedErrorId | Should -BeLike 'ImageUnreadable*'
        $r.Errors[0].Exception.Message | Should -Match 'named pipe'
    }

    It 'New-CamHeatmap reports it and maps the rest' {
        $r = Invoke-Within ([scriptblock]::Create("Get-ChildItem '$folder' -Filter *.png | New-CamHeatmap -Model squeezenet1_1 -NoOverlay"))
        $r.Output.Count | Should -Be 3
        $r.Errors[0].FullyQualifiedErrorId | Should -BeLike 'ImageUnreadable*'
    }

    It 'New-PatientPatchGrid reports a FIFO patch and draws its patient' {
        $data = Join-Path $folder 'idc'
        $layout = (Invoke-TestData idc $data 1 10 3) | ConvertFrom-Json
        $patient = $layout.Patients[0].Id
        & mkfifo (Join-Path $data "$patient/1/${patient}_idx5_x2001_y2001_class1.png")
        $r = Invoke-Within ([scriptblock]::Create("New-PatientPatchGrid -Path '$data' -OutputPath '$folder/grid'"))
        $r.Output.Count | Should -Be 1
        $r.Output[0].Files.Count | Should -BeGreaterThan 0
        ($r.Errors | Where-Object { $_.Exception.Message -match 'named pipe' }).Count | Should -Be 1
    }
}

Describe 'Temporaries of a killed run' {
    It 'are swept when the next run writes into their folder, and reported' {
        $folder = New-TestFolder
        try {
            $out = New-Item -ItemType Directory (Join-Path $folder 'out')
            # Named as a process that is no longer running would have named it (pid 4194305 is above the kernel's pid_max).
            $stale = Join-Path $out '.chelsea_cam.png.hmt-4194305-0123abcd.tmp'
            Set-Content -LiteralPath $stale -Value 'half a file'
            $r = New-CamHeatmap -LiteralPath (Join-Path $folder 'chelsea.png') -Model squeezenet1_1 -OutputPath "$out/" -WarningVariable warnings -WarningAction SilentlyContinue
            Test-Path $stale | Should -BeFalse
            Test-Path $r.OutputPath | Should -BeTrue
            ($warnings -join "`n") | Should -Match 'temporary file left by a run that was killed'
        }
        finally { Remove-Item $folder -Recurse -Force }
    }
}

Describe 'A run killed with SIGKILL' -Skip:(-not $IsLinux) {
    It 'leaves its temporaries, which the next run into the folder sweeps and reports' {
        $folder = Join-Path ([IO.Path]::GetTempPath()) ("hmt-kill-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $patches = New-Item -ItemType Directory (Join-Path $folder 'patches/1/0')
        $out = Join-Path $folder 'out'
        try {
            # Two patches 10,000 pixels apart: a 100-megapixel canvas whose encoding keeps a temporary file open for a while.
            Copy-Item (Join-Path $Images 'chelsea.png') (Join-Path $patches '1_idx5_x0_y0_class0.png')
            $run = "Import-Module '$ModulePath'; New-PatientPatchGrid -Path '$folder/patches' -PatchSize 400 -OutputPath '$out' -Kind Tissue, Labels"
            Copy-Item (Join-Path $Images 'chelsea.png') (Join-Path $patches '1_idx5_x9600_y9600_class0.png')
            $command = @([Environment]::ProcessPath)
            if ([IO.Path]::GetFileNameWithoutExtension($command[0]) -eq 'dotnet') { $command += [Environment]::GetCommandLineArgs()[0] }
            $start = [Diagnostics.ProcessStartInfo]::new($command[0])
            foreach ($a in @($command | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $run)) { $start.ArgumentList.Add($a) }
            $start.RedirectStandardOutput = $true
            $child = [Diagnostics.Process]::Start($start)
            $deadline = [DateTime]::UtcNow.AddSeconds(90)
            $temporary = $null
            while (-not $temporary -and -not $child.HasExited -and [DateTime]::UtcNow -lt $deadline) {
                $temporary = Get-ChildItem -LiteralPath $out -Force -Filter '.*.hmt-*.tmp' -ErrorAction SilentlyContinue | Select-Object -First 1
                if (-not $temporary) { Start-Sleep -Milliseconds 5 }
            }
            $child.Kill()
            $child.WaitForExit()
            $temporary | Should -Not -BeNullOrEmpty -Because 'the run was caught while writing'
            Test-Path -LiteralPath $temporary.FullName | Should -BeTrue -Because 'SIGKILL leaves no chance to clean up'

            $r = New-PatientPatchGrid -Path "$folder/patches" -PatchSize 400 -OutputPath $out -Kind Tissue, Labels -Force -WarningVariable warnings -WarningAction SilentlyContinue
            Test-Path -LiteralPath $temporary.FullName | Should -BeFalse
            ($warnings -join "`n") | Should -Match 'temporary file left by a run that was killed'
            @(Get-ChildItem -LiteralPath $out -Force -Filter '*.tmp').Count | Should -Be 0
            $r.Files.Count | Should -Be 2
        }
        finally { Remove-Item $folder -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'New-PatientPatchGrid -MaxSize' {
    It 'reports the size it drew at beside the full size' {
        $folder = Join-Path ([IO.Path]::GetTempPath()) ("hmt-max-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $patches = New-Item -ItemType Directory (Join-Path $folder 'patches')
        try {
            Copy-Item (Join-Path $Images 'gradcam_both.png') (Join-Path $patches '7_idx5_x1_y1_class0.png')
            Copy-Item (Join-Path $Images 'gradcam_both.png') (Join-Path $patches '7_idx5_x225_y1_class1.png')
            $r = New-PatientPatchGrid -Path $patches -PatchSize 224 -OutputPath (Join-Path $folder 'out') -Kind Tissue -MaxSize 100
            $r.Width | Should -Be 448
            $r.Height | Should -Be 224
            $r.ImageWidth | Should -Be 100
            $r.ImageHeight | Should -Be 50
        }
        finally { Remove-Item $folder -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'Outputs never over inputs' {
    It 'refuses a -MontagePath that is the input CSV, even with -Force, and leaves the CSV as it was' {
        $root = Join-Path ([IO.Path]::GetTempPath()) ("hmt-input-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        try {
            $data = Join-Path $root 'idc'
            Invoke-TestData idc $data 2 10 3 | Out-Null
            $csv = Join-Path $root 'predictions.csv'
            Invoke-TestData csv $data $csv 2 10 3 | Out-Null
            $before = (Get-FileHash $csv).Hash
            $err = { New-PatientPatchGrid -Path $data -CsvPath $csv -OutputPath (Join-Path $root 'out') -Montage -MontagePath $csv -Force -ErrorAction Stop } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'OutputIsInput,*'
            (Get-FileHash $csv).Hash | Should -Be $before
        }
        finally { Remove-Item $root -Recurse -Force }
    }
}

Describe 'Two processes writing one folder' {
    It 'write every output exactly once; the loser of each race gets OutputExists' {
        $folder = New-TestFolder
        try {
            $source = New-Item -ItemType Directory (Join-Path $folder 'in')
            foreach ($i in 1..40) { Copy-Item (Join-Path $folder 'chelsea.png') (Join-Path $source "img$i.png") }
            $out = Join-Path $folder 'out'
            $command = @([Environment]::ProcessPath)
            if ([IO.Path]::GetFileNameWithoutExtension($command[0]) -eq 'dotnet') { $command += [Environment]::GetCommandLineArgs()[0] }
            $script = "Import-Module '$ModulePath'; `$env:HEATMAPTOOLS_MODEL_PATH = '$Models'; `$env:HEATMAPTOOLS_OFFLINE = '1'; " +
                "`$r = Get-ChildItem '$source' -Filter *.png | New-CamHeatmap -Model squeezenet1_1 -BatchSize 2 -OutputPath '$out/' -ErrorVariable e -ErrorAction SilentlyContinue; " +
                "'written=' + @(`$r).Count; 'exists=' + @(`$e | Where-Object FullyQualifiedErrorId -like 'OutputExists*').Count; 'other=' + @(`$e | Where-Object FullyQualifiedErrorId -notlike 'OutputExists*').Count"
            $processes = foreach ($n in 1..2) {
                $info = [Diagnostics.ProcessStartInfo]::new($command[0])
                foreach ($a in @($command | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $script)) { $info.ArgumentList.Add($a) }
                $info.RedirectStandardOutput = $true
                [Diagnostics.Process]::Start($info)
            }
            $reports = foreach ($p in $processes) { $text = $p.StandardOutput.ReadToEnd(); $p.WaitForExit(); $text }
            $counts = foreach ($report in $reports) {
                $h = @{}
                foreach ($line in $report -split "`n") { if ($line -match '^(\w+)=(\d+)') { $h[$Matches[1]] = [int]$Matches[2] } }
                $h
            }
            $counts.Count | Should -Be 2
            foreach ($c in $counts) { $c.Keys.Count | Should -Be 3 -Because 'each process reports written, exists and other'; $c.other | Should -Be 0 }
            (($counts | ForEach-Object { $_.written }) | Measure-Object -Sum).Sum | Should -Be 40
            (($counts | ForEach-Object { $_.exists }) | Measure-Object -Sum).Sum | Should -Be 40
            (Get-ChildItem $out -Filter *.png).Count | Should -Be 40
            (Get-ChildItem $out -Force -Filter *.tmp).Count | Should -Be 0
        }
        finally { Remove-Item $folder -Recurse -Force }
    }
}
