BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

Describe 'New-PatientPatchGrid' {
    BeforeAll {
        $root = Join-Path ([IO.Path]::GetTempPath()) ("hmt-grid-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $data = Join-Path $root 'IDC_regular_ps50_idx5'
        $layout = (Invoke-TestData idc $data 4 20 3) | ConvertFrom-Json
        $csv = Join-Path $root 'predictions.csv'
        Invoke-TestData csv $data $csv 4 20 3 | Out-Null
        $first = $layout.Patients[0]
    }
    AfterAll { Remove-Item $root -Recurse -Force }

    It 'rebuilds every patient from Get-ChildItem output with exact counts' {
        $out = Join-Path $root 'all'
        $r = Get-ChildItem $data -Recurse -Filter *.png | New-PatientPatchGrid -OutputPath $out
        $r.Count | Should -Be 4
        $r.PatientId | Should -Be ($r.PatientId | Sort-Object { [long]$_ }) -Because 'patients are reported in id order, whichever finishes first'
        $one = $r | Where-Object PatientId -eq $first.Id
        $one.PatchCount | Should -Be ($first.Columns * $first.Rows - $first.Skipped)
        $one.PositiveCount | Should -Be ($first.Tumour.Width * $first.Tumour.Height)
        $one.PositiveFraction | Should -Be ($one.PositiveCount / $one.PatchCount)
        $one.Width | Should -Be ($first.Columns * 50)
        $one.Files.Count | Should -Be 2
        # The patch from x=51,y=1 lands with its black corner at (50, 0).
        $tissue = $one.Files | Where-Object { $_ -like '*_tissue.png' }
        Invoke-TestData pixel $tissue 50 0 | Should -Be '0,0,0'
        (Invoke-TestData size $tissue) | Should -Be "$($first.Columns * 50)x$($first.Rows * 50)"
    }

    It 'joins a probability CSV, draws probability and confusion maps and counts TP/FP/FN/TN' {
        $out = Join-Path $root 'probs'
        $r = New-PatientPatchGrid -Path $data -CsvPath $csv -PatientId $first.Id -Confusion -OutputPath $out
        $r.PatientId | Should -Be $first.Id
        ($r.Files | Split-Path -Leaf) | Should -Be @("patient_$($first.Id)_tissue.png", "patient_$($first.Id)_labels.png", "patient_$($first.Id)_probability.png", "patient_$($first.Id)_confusion.png")
        # Counted independently from the CSV: the synthetic model errs along the tumour border.
        $rows = Import-Csv $csv | Where-Object patient_id -eq $first.Id
        $r.TruePositive | Should -Be @($rows | Where-Object { $_.target -eq '1' -and [double]$_.probability -ge 0.5 }).Count
        $r.FalsePositive | Should -Be @($rows | Where-Object { $_.target -eq '0' -and [double]$_.probability -ge 0.5 }).Count
        $r.FalseNegative | Should -Be @($rows | Where-Object { $_.target -eq '1' -and [double]$_.probability -lt 0.5 }).Count
        $r.TrueNegative | Should -Be @($rows | Where-Object { $_.target -eq '0' -and [double]$_.probability -lt 0.5 }).Count
        $r.ProbabilityMax | Should -Be (($rows | ForEach-Object { [double]$_.probability } | Measure-Object -Maximum).Maximum)
    }

    It 'writes only the images -Kind names, and still counts the confusion classes it does not draw' {
        $all = New-PatientPatchGrid -Path $data -CsvPath $csv -PatientId $first.Id -Confusion -OutputPath (Join-Path $root 'kind-all')
        $only = New-PatientPatchGrid -Path $data -CsvPath $csv -PatientId $first.Id -Kind Probability -Confusion -OutputPath (Join-Path $root 'kind-prob')
        ($only.Files | Split-Path -Leaf) | Should -Be "patient_$($first.Id)_probability.png"
        $only.TruePositive, $only.FalsePositive, $only.FalseNegative, $only.TrueNegative | Should -Be $all.TruePositive, $all.FalsePositive, $all.FalseNegative, $all.TrueNegative
        # The same probability image as the full run writes, byte for byte.
        (Get-FileHash $only.Files[0]).Hash | Should -Be (Get-FileHash ($all.Files | Where-Object { $_ -like '*_probability.png' })).Hash
        $pair = New-PatientPatchGrid -Path $data -CsvPath $csv -PatientId $first.Id -Kind Labels, Confusion -OutputPath (Join-Path $root 'kind-pair')
        ($pair.Files | Split-Path -Leaf) | Should -Be "patient_$($first.Id)_labels.png", "patient_$($first.Id)_confusion.png"
        $pair.TruePositive | Should -Be $all.TruePositive
        # Without the CSV there are no probabilities: nothing to draw, no file, and a warning that says why.
        $none = New-PatientPatchGrid -Path $data -PatientId $first.Id -Kind Probability -Force -OutputPath (Join-Path $root 'kind-none') -WarningVariable w -WarningAction SilentlyContinue
        $none.Files.Count | Should -Be 0
        $w | Should -Match 'nothing was written'
        # Kinds are found by name, in any case; a name that is none is refused before anything is read.
        $lower = New-PatientPatchGrid -Path $data -CsvPath $csv -PatientId $first.Id -Kind probability -OutputPath (Join-Path $root 'kind-lower')
        ($lower.Files | Split-Path -Leaf) | Should -Be "patient_$($first.Id)_probability.png"
        (TabExpansion2 'New-PatientPatchGrid -Kind Con' 30).CompletionMatches.CompletionText | Should -Be 'Confusion'
        { New-PatientPatchGrid -Path $data -PatientId $first.Id -Kind Lables -OutputPath (Join-Path $root 'kind-typo') -ErrorAction Stop } |
            Should -Throw -ErrorId 'UnknownImageKind,HeatmapTools.Commands.NewPatientPatchGridCommand' -ExpectedMessage "*Did you mean 'Labels'*"
        Test-Path (Join-Path $root 'kind-typo') | Should -BeFalse
    }

    It 'skips a patient whose files all exist without reading its patches, and still counts it' {
        $copy = Join-Path $root 'rerun-data'
        Copy-Item (Join-Path $data $first.Id) (Join-Path $copy $first.Id) -Recurse
        $out = Join-Path $root 'rerun'
        $before = New-PatientPatchGrid -Path $copy -CsvPath $csv -PatientId $first.Id -Confusion -OutputPath $out
        # Break a patch after the first run: a rerun that decoded the patches would report it.
        $victim = Get-ChildItem $copy -Recurse -Filter *.png | Select-Object -First 1
        [IO.File]::WriteAllBytes($victim.FullName, [byte[]](1, 2, 3))
        $again = New-PatientPatchGrid -Path $copy -CsvPath $csv -PatientId $first.Id -Confusion -OutputPath $out -ErrorVariable e -ErrorAction SilentlyContinue
        $e.FullyQualifiedErrorId | ForEach-Object { $_ -replace ',.*' } | Sort-Object -Unique | Should -Be 'OutputExists'
        $e.Count | Should -Be 4
        $again.Files.Count | Should -Be 0
        $again.Problems['OutputExists'] | Should -Be 4
        foreach ($p in 'PatchCount', 'PositiveCount', 'ProbabilityMax', 'TruePositive', 'FalsePositive', 'FalseNegative', 'TrueNegative', 'Width', 'Height') {
            $again.$p | Should -Be $before.$p -Because "$p does not depend on drawing"
        }
        # With one file gone the patient is drawn again, the broken patch reported, and only the missing file written.
        Remove-Item (Join-Path $out "patient_$($first.Id)_confusion.png")
        $third = New-PatientPatchGrid -Path $copy -CsvPath $csv -PatientId $first.Id -Confusion -OutputPath $out -ErrorVariable e3 -ErrorAction SilentlyContinue
        ($third.Files | Split-Path -Leaf) | Should -Be "patient_$($first.Id)_confusion.png"
        ($e3 | Where-Object FullyQualifiedErrorId -like 'PatchUnreadable,*').Count | Should -Be 1
    }

    It 'takes Import-Csv rows and draws ten pixels per cell without images' {
        $out = Join-Path $root 'rows'
        $r = Import-Csv $csv | New-PatientPatchGrid -OutputPath $out -First 1
        $r.PatientId | Should -Be $first.Id
        $labels = $r.Files | Where-Object { $_ -like '*_labels.png' }
        (Invoke-TestData size $labels) | Should -Be "$($first.Columns * 10)x$($first.Rows * 10)"
        # Tumour cell in red, BGR, at the centre of its 10 x 10 square.
        Invoke-TestData pixel $labels ($first.Tumour.X * 10 + 5) ($first.Tumour.Y * 10 + 5) | Should -Be '0,0,255'
    }

    It 'fails a patient over the canvas budget alone, as an error with its category, and still lists its counts' {
        $rows = @(
            [pscustomobject]@{ patient_id = 'wide'; x = 1; y = 1; target = 1 }
            [pscustomobject]@{ patient_id = 'wide'; x = 1000001; y = 1; target = 0 }
            [pscustomobject]@{ patient_id = 'small'; x = 1; y = 1; target = 1 }
        )
        $env:HEATMAPTOOLS_CANVAS_MEGAPIXELS = '1'
        try {
            $r = $rows | New-PatientPatchGrid -OutputPath (Join-Path $root 'budget') -Kind Labels -ErrorVariable failed -ErrorAction SilentlyContinue
        }
        finally {
            Remove-Item Env:HEATMAPTOOLS_CANVAS_MEGAPIXELS
        }
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'CanvasTooLarge*'
        $failed[0].CategoryInfo.Category | Should -Be 'LimitsExceeded'
        $failed[0].Exception.Message | Should -Match '-MaxSize'
        ($r | Where-Object PatientId -eq 'wide').ProblemSummary | Should -Be 'CanvasTooLarge=1'
        ($r | Where-Object PatientId -eq 'wide').PatchCount | Should -Be 2
        ($r | Where-Object PatientId -eq 'small').Files | Should -HaveCount 1
    }

    It 'reports duplicates, a broken PNG, an undersized patch and a bad CSV row, and still draws the rest' {
        $dirty = Join-Path $root 'dirty'
        Copy-Item $data $dirty -Recurse
        Copy-Item (Join-Path $data $first.Id) (Join-Path $dirty "copy/$($first.Id)") -Recurse
        $copies = (Get-ChildItem (Join-Path $dirty 'copy') -Recurse -File).Count
        $patchDir = Join-Path $dirty "$($first.Id)/0"
        [IO.File]::WriteAllBytes((Join-Path $patchDir "$($first.Id)_idx5_x5001_y1_class0.png"), [byte[]](0x89, 0x50, 0x4e, 0x47, 1, 2))
        $badCsv = Join-Path $root 'bad.csv'
        (Get-Content $csv) + "$($first.Id),not-a-number,1,0,0.5" | Set-Content $badCsv
        $r = New-PatientPatchGrid -Path $dirty -CsvPath $badCsv -PatientId $first.Id -OutputPath (Join-Path $root 'dirty-out') `
            -ErrorVariable errs -WarningVariable warns -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $r.PatchCount | Should -Be ($first.Columns * $first.Rows - $first.Skipped + 1)
        $r.Problems['PatchDuplicate'] | Should -Be $copies
        $r.Problems['PatchUnreadable'] | Should -Be 1
        ($errs | Where-Object FullyQualifiedErrorId -like 'PatchUnreadable,*').TargetObject | Should -BeLike '*x5001*'
        $csvError = $errs | Where-Object FullyQualifiedErrorId -like 'CsvRowInvalid,*'
        $csvError.Exception.Message | Should -Match "bad\.csv line $((Get-Content $badCsv).Count)"
        $r.Problems['CsvRowInvalid'] | Should -Be 1 -Because 'the bad row names this patient, so its object counts it'
        $r.ProblemCount | Should -Be ($copies + 2)
        $warns | Where-Object { $_ -match '\[PatchDuplicate\]' } | Should -Not -BeNullOrEmpty
        $r.Files.Count | Should -Be 3 -Because 'tissue, labels and probability maps are still written'
    }

    It 'writes the seed''s rows x columns montage of chosen patients' {
        $out = Join-Path $root 'montage'
        $r = Get-ChildItem $data -Recurse -Filter *.png | New-PatientPatchGrid -OutputPath $out -MontageOnly -Rows 2 -Columns 2 -Random -Seed 7 -PanelSize 100
        $montage = $r | Where-Object { $_ -is [HeatmapTools.PatientMontage] }
        $montage.PatientIds.Count | Should -Be 4
        (Invoke-TestData size $montage.Path) | Should -Be "$(2 * 100 + 3 * 6)x$(2 * 124 + 3 * 6)"
        (Get-ChildItem $out).Name | Should -Be 'montage.png'
        $again = Get-ChildItem $data -Recurse -Filter *.png | New-PatientPatchGrid -OutputPath (Join-Path $root 'm2') -MontageOnly -Rows 2 -Columns 2 -Random -Seed 7 -PanelSize 100
        ($again | Where-Object { $_ -is [HeatmapTools.PatientMontage] }).PatientIds | Should -Be $montage.PatientIds
        # -MontagePath: a .jpg file is written as JPEG; a path without extension is a folder for montage.png.
        $jpg = New-PatientPatchGrid -Path $data -MontageOnly -Rows 1 -Columns 1 -MontagePath (Join-Path $root 'm3/grid.jpg') -OutputPath (Join-Path $root 'm3')
        [IO.File]::ReadAllBytes($jpg.Path)[0..1] | Should -Be 0xFF, 0xD8
        $folder = New-PatientPatchGrid -Path $data -MontageOnly -Rows 1 -Columns 1 -MontagePath (Join-Path $root 'm4/montages') -OutputPath (Join-Path $root 'm4')
        $folder.Path | Should -Be (Join-Path $root 'm4/montages/montage.png')
    }

    It 'reads and reports only the montage''s patients with -MontageOnly' {
        $out = Join-Path $root 'montage-first'
        $r = New-PatientPatchGrid -Path $data -OutputPath $out -MontageOnly -Rows 1 -Columns 2 -PanelSize 64
        $grids = @($r | Where-Object { $_ -is [HeatmapTools.PatientGrid] })
        $montage = $r | Where-Object { $_ -is [HeatmapTools.PatientMontage] }
        $grids.Count | Should -Be 2
        $montage.PatientIds | Should -Be $grids.PatientId -Because 'patients are reported in selection order, whichever finishes first'
        (Get-ChildItem $out).Name | Should -Be 'montage.png'
    }

    It 'takes piped path strings literally unless they hold wildcards' {
        $files = Get-ChildItem $data -Recurse -Filter *.png | Where-Object Name -like "$($first.Id)_*"
        $literal = $files.FullName | New-PatientPatchGrid -OutputPath (Join-Path $root 'strings') -PatientId $first.Id
        $literal.PatchCount | Should -Be ($first.Columns * $first.Rows - $first.Skipped)
        $pattern = Join-Path $files[0].DirectoryName "$($first.Id)_*.png" | New-PatientPatchGrid -OutputPath (Join-Path $root 'pattern') -PatientId $first.Id
        $pattern.PatchCount | Should -Be @($files | Where-Object DirectoryName -eq $files[0].DirectoryName).Count
    }

    It 'names patient files by -NameTemplate and refuses a template that would make them collide' {
        $out = Join-Path $root 'named'
        $r = New-PatientPatchGrid -Path $data -PatientId $first.Id -OutputPath $out -NameTemplate '{patient}/{kind}'
        $r.Files | Should -Be @((Join-Path $out "$($first.Id)/tissue.png"), (Join-Path $out "$($first.Id)/labels.png"))
        { New-PatientPatchGrid -Path $data -OutputPath $out -NameTemplate 'patient_{patient}' -ErrorAction Stop } |
            Should -Throw -ErrorId 'NameTemplateInvalid,HeatmapTools.Commands.NewPatientPatchGridCommand'
    }

    It 'honours -WhatIf and refuses to overwrite without -Force' {
        $out = Join-Path $root 'once'
        New-PatientPatchGrid -Path $data -First 1 -OutputPath $out -WhatIf | Should -BeNullOrEmpty
        Test-Path $out | Should -BeFalse
        New-PatientPatchGrid -Path $data -First 1 -OutputPath $out | Out-Null
        $r = New-PatientPatchGrid -Path $data -First 1 -OutputPath $out -ErrorVariable e -ErrorAction SilentlyContinue
        $r.Files.Count | Should -Be 0
        ($e | Where-Object FullyQualifiedErrorId -like 'OutputExists,*').Count | Should -Be 2
        (New-PatientPatchGrid -Path $data -First 1 -OutputPath $out -Force).Files.Count | Should -Be 2
    }

    It 'reads other datasets through -NamePattern and -ColumnMap' {
        $other = Join-Path $root 'other'
        New-Item -ItemType Directory $other | Out-Null
        Get-ChildItem (Join-Path $data $first.Id) -Recurse -Filter *.png | ForEach-Object {
            if ($_.Name -match '_x(\d+)_y(\d+)_class(\d)') { Copy-Item $_.FullName (Join-Path $other ("case-A__{0}-{1}__{2}.png" -f ([int]$Matches[1] - 1), ([int]$Matches[2] - 1), $Matches[3])) }
        }
        $r = New-PatientPatchGrid -Path $other -NamePattern '^(?<patient>[^_]+)__(?<x>\d+)-(?<y>\d+)__(?<target>\d)\.png$' -Origin ZeroBased -OutputPath (Join-Path $root 'other-out')
        $r.PatientId | Should -Be 'case-A'
        $r.PositiveCount | Should -Be ($first.Tumour.Width * $first.Tumour.Height)
        $r.Problems.Count | Should -Be 0
        $mapped = Join-Path $root 'mapped.csv'
        "case;col;row;label`nz1;1;1;1`nz1;51;1;0" | Set-Content $mapped
        $m = New-PatientPatchGrid -CsvPath $mapped -ColumnMap @{ patient_id = 'case'; x = 'col'; y = 'row'; target = 'label' } -Delimiter ';' -OutputPath (Join-Path $root 'mapped-out')
        $m.PatchCount | Should -Be 2
        $m.PositiveCount | Should -Be 1
    }

    It 'stops at a broken patch with -ErrorAction Stop, leaving the patients after it undrawn and no temporary files' {
        $many = Join-Path $root 'many'
        $manyLayout = (Invoke-TestData idc $many 12 20 5) | ConvertFrom-Json
        $victim = Get-ChildItem (Join-Path $many $manyLayout.Patients[0].Id) -Recurse -Filter *.png | Select-Object -First 1
        [IO.File]::WriteAllBytes($victim.FullName, [byte[]](0x89, 0x50, 0x4e, 0x47))
        $out = Join-Path $root 'many-out'
        { New-PatientPatchGrid -Path $many -OutputPath $out -ThrottleLimit 1 -ErrorAction Stop } | Should -Throw -ErrorId 'PatchUnreadable,*'
        $written = @(Get-ChildItem $out -Filter '*_labels.png').Count
        $written | Should -BeGreaterOrEqual 1 -Because 'the broken patient itself is drawn before its error is reported'
        $written | Should -BeLessThan 12
        Get-ChildItem $out -Force -Filter '*.tmp' | Should -BeNullOrEmpty
    }

    It 'selects patients by wildcard and names a pattern that matches none' {
        $ids = $layout.Patients.Id
        $pattern = $ids[2].Substring(0, 4) + '?'
        $expected = @($ids | Where-Object { $_ -like $pattern }) + @($ids[0]) | Select-Object -Unique
        $expected.Count | Should -BeLessThan ($ids.Count) -Because 'the pattern must leave some patients out to show anything'
        $r = New-PatientPatchGrid -Path $data -PatientId $pattern, $ids[0] -OutputPath (Join-Path $root 'wild') -MontageOnly
        $r.PatientIds | Should -Be $expected
        { New-PatientPatchGrid -Path $data -PatientId 'zz*' -OutputPath (Join-Path $root 'wild-none') -ErrorAction Stop } |
            Should -Throw -ErrorId 'PatientNotFound,*' -ExpectedMessage '*zz*'
    }

    It 'stops promptly when the pipeline is stopped (Ctrl+C), leaving only whole files' {
        $big = Join-Path $root 'stop-data'
        Invoke-TestData idc $big 60 300 9 | Out-Null
        $out = Join-Path $root 'stop-out'
        $ps = [powershell]::Create()
        $results = [System.Management.Automation.PSDataCollection[psobject]]::new()
        try {
            # The test hook holds the command after its second patient until it is stopped: the stop lands with work
            # undone whatever the machine's speed.
            $null = $ps.AddScript({
                param($Module, $Data, $Out)
                $env:HEATMAPTOOLS_TEST_PAUSE_AFTER = '2'
                Import-Module $Module
                New-PatientPatchGrid -Path $Data -OutputPath $Out -ThrottleLimit 1
            }).AddArgument($ModulePath).AddArgument($big).AddArgument($out)
            $async = $ps.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $results)
            $deadline = [DateTime]::UtcNow.AddSeconds(300)
            while ($results.Count -lt 2 -and -not $async.IsCompleted -and [DateTime]::UtcNow -lt $deadline) { $null = $async.AsyncWaitHandle.WaitOne(20) }
            $results.Count | Should -Be 2
            $ps.Stop()
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally { $ps.Dispose(); $env:HEATMAPTOOLS_TEST_PAUSE_AFTER = $null }
        $labels = @(Get-ChildItem $out -Filter *_labels.png)
        # The two reported, and at most what one worker drew ahead into the hand-over queue (two places) and its own
        # hands: never the other 55.
        $labels.Count | Should -BeGreaterOrEqual 2
        $labels.Count | Should -BeLessOrEqual 5
        @(Get-ChildItem $out -Force | Where-Object Name -like '.*.tmp').Count | Should -Be 0
        foreach ($file in Get-ChildItem $out -Filter *.png) {
            $bytes = [IO.File]::ReadAllBytes($file.FullName)
            [Text.Encoding]::ASCII.GetString($bytes, $bytes.Length - 8, 4) | Should -Be 'IEND'
        }
    }

    It 'spans -Scale Cohort over every patient read, not only the one drawn' {
        $table = Join-Path $root 'cohort.csv'
        "patient_id,x,y,target,probability`nlow,1,1,0,0.2`nlow,51,1,0,0.3`nhigh,1,1,1,0.6`nhigh,51,1,1,0.95" | Set-Content $table
        $low = New-PatientPatchGrid -CsvPath $table -PatientId low -Scale Cohort -OutputPath (Join-Path $root 'cohort-out')
        $low.ProbabilityMin, $low.ProbabilityMax | Should -Be 0.2, 0.3
        $low.ScaleMin, $low.ScaleMax | Should -Be 0.2, 0.95
        $own = New-PatientPatchGrid -CsvPath $table -PatientId low -Scale Patient -OutputPath (Join-Path $root 'cohort-own')
        $own.ScaleMin, $own.ScaleMax | Should -Be 0.2, 0.3
    }

    It 'reads decimal commas with -Culture, hints at it without, and refuses a culture it does not know' {
        $german = Join-Path $root 'german.csv'
        "patient_id;x;y;target;probability`nde1;1;1;0;0,25`nde1;51;1;1;0,75" | Set-Content $german
        $r = New-PatientPatchGrid -CsvPath $german -Culture de-DE -OutputPath (Join-Path $root 'german-out')
        $r.ProbabilityMin | Should -Be 0.25
        $r.ProbabilityMax | Should -Be 0.75
        $rows = Import-Csv $german -Delimiter ';' | New-PatientPatchGrid -Culture de-DE -OutputPath (Join-Path $root 'german-rows')
        $rows.ProbabilityMax | Should -Be 0.75

        New-PatientPatchGrid -CsvPath $german -OutputPath (Join-Path $root 'german-none') -ErrorVariable errs -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $errs.Count | Should -Be 1 -Because 'a table written with decimal commas is one error, not one per row'
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'CsvCultureMismatch*'
        $errs[0].Exception.Message | Should -Match "2 row\(s\) have probabilities written with decimal commas.*invariant culture.*-Culture"

        { New-PatientPatchGrid -CsvPath $german -Culture deutsch -OutputPath (Join-Path $root 'german-bad') -ErrorAction Stop } |
            Should -Throw -ErrorId 'CultureUnknown,*'
        Test-Path (Join-Path $root 'german-bad') | Should -BeFalse
    }
}
