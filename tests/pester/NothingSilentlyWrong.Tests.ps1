# Issue 20, from the user's side: commands that used to give wrong or missing output without a word.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $root = Join-Path ([IO.Path]::GetTempPath()) ("hmt-silent-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $root | Out-Null
}
AfterAll { Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'A folder tree into one output folder' {
    BeforeAll {
        # 18 photos in three folders, every file name repeated in each folder.
        $tree = Join-Path $root 'tree'
        foreach ($sub in 'ward1', 'ward2', 'ward2/late') {
            $dir = New-Item -ItemType Directory (Join-Path $tree $sub) -Force
            $i = 0
            foreach ($photo in Get-ChildItem $Images -Filter *.png) { foreach ($copy in 1, 2) { Copy-Item $photo.FullName (Join-Path $dir "scan$i.png"); $i++ } }
        }
    }

    It 'keeps every overlay, each below the output folder where its source lies below the inputs'' common folder' {
        Push-Location $tree
        try {
            $results = @(Get-ChildItem -Recurse *.png | New-CamHeatmap -Model squeezenet1_1 -OutputPath ./cams -BatchSize 4 -ErrorVariable failed -ErrorAction SilentlyContinue)
        }
        finally { Pop-Location }
        $failed | Should -BeNullOrEmpty
        $results.Count | Should -Be 18
        $written = Get-ChildItem (Join-Path $tree 'cams') -Recurse -File | ForEach-Object { [IO.Path]::GetRelativePath((Join-Path $tree 'cams'), $_.FullName) -replace '\\', '/' }
        $expected = Get-ChildItem $tree -Recurse -Filter *.png | Where-Object FullName -notlike '*cams*' |
            ForEach-Object { ([IO.Path]::GetRelativePath($tree, $_.FullName) -replace '\\', '/') -replace '\.png$', '_cam.png' }
        ($written | Sort-Object) | Should -Be ($expected | Sort-Object)
        foreach ($r in $results) { [IO.Path]::GetRelativePath((Join-Path $tree 'cams'), $r.OutputPath) -replace '_cam\.png$', '.png' | Should -Be ([IO.Path]::GetRelativePath($tree, $r.SourcePath)) }
    }

    It 'fills tokens in folder parts and knows {dir} and {relpath}' {
        $out = Join-Path $root 'by-label'
        $results = @(Get-ChildItem (Join-Path $tree 'ward1') -Filter scan0.png | New-CamHeatmap -Model squeezenet1_1 -OutputPath "$out/{label}/{name}.png")
        $results[0].OutputPath | Should -Be (Join-Path $out "$($results[0].Label)/scan0.png")
        Test-Path $results[0].OutputPath | Should -BeTrue
        Test-Path (Join-Path $out '{label}') | Should -BeFalse

        $flat = Join-Path $root 'flat'
        $results = @(Get-ChildItem $tree -Recurse -Filter scan1.png | New-CamHeatmap -Model squeezenet1_1 -OutputPath "$flat/{dir}/x_{name}.png")
        ($results.OutputPath | Sort-Object) | Should -Be (@('ward1', 'ward2', 'ward2/late') | ForEach-Object { Join-Path $flat "$_/x_scan1.png" } | Sort-Object)
        $results = @(Get-ChildItem $tree -Recurse -Filter scan1.png | New-CamHeatmap -Model squeezenet1_1 -OutputPath "$flat/{relpath}.{method}.png")
        ($results.OutputPath | Sort-Object) | Should -Be (@('ward1', 'ward2', 'ward2/late') | ForEach-Object { Join-Path $flat "$_/scan1.GradCAM.png" } | Sort-Object)
    }

    It 'still refuses a template that gives two inputs one name' {
        $null = Get-ChildItem $tree -Recurse -Filter scan2.png | New-CamHeatmap -Model squeezenet1_1 -OutputPath "$root/same/{name}.png" -ErrorVariable e -ErrorAction SilentlyContinue
        @($e | Where-Object FullyQualifiedErrorId -like 'OutputNameRepeated*').Count | Should -Be 2
        @(Get-ChildItem "$root/same").Count | Should -Be 1
    }
}

Describe 'Weights that cannot be right' {
    BeforeAll {
        $weights = Join-Path $root 'weights'
        New-Item -ItemType Directory $weights -Force | Out-Null
        # As a user's training would leave them: a diverged tensor, an integer tensor of the right size, and finite
        # weights whose scores overflow.
        $python = @'
import sys, torch, torchvision
out, shared = sys.argv[1], sys.argv[2]
sd = torch.load(shared + '/squeezenet1_1.pth')
nan = dict(sd); nan['features.3.squeeze.weight'] = sd['features.3.squeeze.weight'].clone(); nan['features.3.squeeze.weight'][0, 0, 0, 0] = float('nan')
torch.save(nan, out + '/nan.pth')
inf = dict(sd); inf['classifier.1.bias'] = sd['classifier.1.bias'].clone(); inf['classifier.1.bias'][3] = float('inf')
torch.save(inf, out + '/inf.pth')
ints = dict(sd); ints['classifier.1.bias'] = sd['classifier.1.bias'].view(torch.int32)
torch.save(ints, out + '/int32.pth')
torch.manual_seed(0)
m = torchvision.models.resnet18(num_classes=2)
m.fc.weight.data.fill_(3e38)
torch.save(m.state_dict(), out + '/overflow.pth')
'@
        & /usr/bin/python3 -c $python $weights $Models
        if ($LASTEXITCODE -ne 0) { throw 'PyTorch could not write the test weights.' }
        $photos = (Get-ChildItem $Images -Filter *.png).FullName
    }

    It 'refuses NaN and infinite weights at load, naming the tensor' -ForEach @(
        @{ File = 'nan.pth'; Tensor = 'features.3.squeeze.weight'; What = '1 NaN' }
        @{ File = 'inf.pth'; Tensor = 'classifier.1.bias'; What = '1 infinite' }
    ) {
        $e = { Get-ClassPrediction $photos[0] -Model squeezenet1_1 -WeightsPath (Join-Path $weights $File) -ErrorAction Stop } | Should -Throw -ErrorId 'WeightsInvalid*' -PassThru
        $e.Exception.Message | Should -BeLike "*'$Tensor'*$What*"
    }

    It 'refuses an integer tensor of the right byte size' {
        $e = { New-CamHeatmap $photos[0] -Model squeezenet1_1 -WeightsPath (Join-Path $weights 'int32.pth') -NoOverlay -ErrorAction Stop } | Should -Throw -ErrorId 'WeightsInvalid*' -PassThru
        $e.Exception.Message | Should -BeLike "*'classifier.1.bias' is Int32*"
    }

    It 'makes a non-finite score each image''s own error, never the batch''s' {
        $results = @(Get-ClassPrediction $photos -Model resnet18 -NumClasses 2 -WeightsPath (Join-Path $weights 'overflow.pth') -ErrorVariable e -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 0
        $e.Count | Should -Be $photos.Count
        $e | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'ScoreNotFinite*' }
        ($e.TargetObject | Sort-Object) | Should -Be ($photos | Sort-Object)
        $maps = @(New-CamHeatmap $photos -Model resnet18 -NumClasses 2 -WeightsPath (Join-Path $weights 'overflow.pth') -OutputPath (Join-Path $root 'overflow/') -ErrorVariable e2 -ErrorAction SilentlyContinue)
        $maps.Count | Should -Be 0
        $e2.Count | Should -Be $photos.Count
        $e2 | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'ScoreNotFinite*' }
        Test-Path (Join-Path $root 'overflow') | Should -BeFalse -Because 'no overlay of a NaN map is written'
    }
}

Describe 'Labels read by key' {
    BeforeAll {
        $index = Get-Content (Join-Path $Models 'imagenet_class_index.json') -Raw
        $coffee = Join-Path $Images 'coffee.png'
    }

    It 'refuses a class index with <Case>' -ForEach @(
        @{ Case = 'a duplicate key'; Edit = { param($t) $t -replace '"900": \[', '"899": [' }; Says = "*'899' appears twice*" }
        @{ Case = 'a missing key'; Edit = { param($t) $t -replace '"900": \["[^"]*", "[^"]*"\], ', '' }; Says = "*'900' missing*" }
        @{ Case = 'a key out of range'; Edit = { param($t) $t -replace '"0": \[', '"1000": [' }; Says = "*'0' missing*" }
        @{ Case = 'one class too many'; Edit = { param($t) $t -replace '\}\s*$', ', "1000": ["n0", "extra"]}' }; Says = '*names 1001 classes*has 1000*' }
    ) {
        $file = Join-Path $root "labels-$($Case -replace ' ', '-').json"
        $edited = & $Edit $index
        $edited | Should -Not -Be $index
        Set-Content $file $edited
        $e = { Get-ClassPrediction $coffee -Model squeezenet1_1 -Labels $file -ErrorAction Stop } | Should -Throw -ErrorId 'LabelsInvalid*' -PassThru
        $e.Exception.Message | Should -BeLike $Says
    }

    It 'refuses an empty line inside a one-label-per-line file, and takes trailing ones' {
        $names = (Get-Content (Join-Path $Models 'imagenet_class_index.json') -Raw | ConvertFrom-Json -AsHashtable).GetEnumerator() |
            Sort-Object { [int]$_.Key } | ForEach-Object { $_.Value[1] }
        Set-Content (Join-Path $root 'labels.txt') (($names + '', '') -join "`n")
        (Get-ClassPrediction $coffee -Model squeezenet1_1 -Labels (Join-Path $root 'labels.txt')).Label | Should -Be 'espresso'
        Set-Content (Join-Path $root 'gap.txt') ((@($names[0..499]) + '' + @($names[500..998])) -join "`n")
        { Get-ClassPrediction $coffee -Model squeezenet1_1 -Labels (Join-Path $root 'gap.txt') -ErrorAction Stop } | Should -Throw -ErrorId 'LabelsInvalid*'
    }
}

Describe 'A list of paths' {
    It 'binds the lines of Get-Content as the paths they name, not the list file' {
        $list = Join-Path $root 'list.txt'
        $photos = (Get-ChildItem $Images -Filter *.png).FullName
        Set-Content $list $photos
        $results = @(Get-Content $list | Get-ClassPrediction -Model squeezenet1_1)
        $results.Path | Should -Be $photos
        $maps = @(Get-Content $list | New-CamHeatmap -Model squeezenet1_1 -NoOverlay)
        $maps.SourcePath | Should -Be $photos
    }
}

Describe 'Patients whose names collide once made safe' {
    It 'keeps "<First>" and "<Second>" apart, even with -Force' -ForEach @(
        @{ First = 'a/b'; Second = 'a_b' }
        @{ First = 'ward 3'; Second = 'ward_3' }
    ) {
        $table = Join-Path $root "collide-$([guid]::NewGuid().ToString('N').Substring(0, 6)).csv"
        "patient_id,x,y,target,probability`n$First,1,1,1,0.9`n$First,51,1,1,0.8`n$Second,1,1,0,0.1`n$Second,51,1,0,0.2" | Set-Content $table
        $out = Join-Path $root "collide-out-$([guid]::NewGuid().ToString('N').Substring(0, 6))"
        foreach ($force in $false, $true) {
            $results = @(New-PatientPatchGrid -CsvPath $table -Kind Labels -OutputPath $out -Force:$force -ErrorVariable e -ErrorAction SilentlyContinue)
            if ($force) { $e | Should -BeNullOrEmpty }
        }
        $results.Count | Should -Be 2
        $files = $results | ForEach-Object { $_.Files } | Where-Object { $_ -like '*labels*' }
        @($files | Sort-Object -Unique).Count | Should -Be 2
        @(Get-ChildItem $out -Filter *labels*).Count | Should -Be 2
        # The unchanged id keeps its plain name; the one that had to change gets a stable suffix.
        $files | Where-Object { (Split-Path $_ -Leaf) -eq "patient_$($Second)_labels.png" } | Should -Not -BeNullOrEmpty
    }
}

Describe 'Nightly reruns' {
    BeforeAll {
        $night = Join-Path $root 'night'
        New-Item -ItemType Directory $night | Out-Null
        Copy-Item (Join-Path $Images '*.png') $night
        $out = Join-Path $root 'night-out'
        $first = @(Get-ChildItem $night -Filter *.png | New-CamHeatmap -Model squeezenet1_1 -OutputPath $out -MapFormat Npy)
    }

    It 'passes over finished outputs quietly with -SkipExisting, counting and listing them' {
        $first.Count | Should -Be 3
        $again = @(Get-ChildItem $night -Filter *.png | New-CamHeatmap -Model squeezenet1_1 -OutputPath $out -MapFormat Npy -SkipExisting -ErrorVariable e -Verbose -InformationVariable info 4>&1)
        $e | Should -BeNullOrEmpty
        $skipped = @($again | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'Skipped *' })
        $skipped.Count | Should -Be 6 -Because 'three overlays and three maps are finished'
        @($again | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }).Count | Should -Be 0
        "$($info[-1])" | Should -BeLike '*6 finished output(s) skipped*'
        # Without the switch a rerun is still an error per finished output: nothing is replaced silently.
        $null = Get-ChildItem $night -Filter *.png | New-CamHeatmap -Model squeezenet1_1 -OutputPath $out -MapFormat Npy -ErrorVariable e2 -ErrorAction SilentlyContinue
        @($e2 | Where-Object FullyQualifiedErrorId -like 'OutputExists*').Count | Should -BeGreaterThan 0
    }

    It 'writes the missing member of an output set beside the finished one' {
        $lost = $first[1].MapPath
        $overlay = $first[1].OutputPath
        $stamp = (Get-Item $overlay).LastWriteTimeUtc
        Remove-Item $lost
        $null = Get-ChildItem $night -Filter *.png | New-CamHeatmap -Model squeezenet1_1 -OutputPath $out -MapFormat Npy -SkipExisting -ErrorVariable e
        $e | Should -BeNullOrEmpty
        Test-Path $lost | Should -BeTrue
        (Get-Item $overlay).LastWriteTimeUtc | Should -Be $stamp -Because 'the finished overlay is left alone'
    }

    It 'passes over finished patients with New-PatientPatchGrid -SkipExisting and draws a missing image of a set' {
        $idc = Join-Path $root 'idc-night'
        $null = Invoke-TestData idc $idc 3 6 8
        $grids = Join-Path $root 'idc-night-out'
        $first = @(New-PatientPatchGrid -Path $idc -Kind Tissue, Labels -OutputPath $grids)
        $first.Count | Should -Be 3
        $lost = $first[0].Files | Where-Object { $_ -like '*_labels.png' }
        Remove-Item $lost
        $again = @(New-PatientPatchGrid -Path $idc -Kind Tissue, Labels -OutputPath $grids -SkipExisting -ErrorVariable e -InformationVariable info -Verbose 4>&1)
        $e | Should -BeNullOrEmpty
        @($again | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'Skipped patient*' }).Count | Should -Be 2
        @($again | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }).PatientId | Should -Be $first[0].PatientId
        Test-Path $lost | Should -BeTrue
        "$($info[-1])" | Should -BeLike '*1 patient(s) drawn, 2 finished patient(s) skipped*'
    }

    It 'makes again with -Update what is older than its source, and only that' {
        $changed = $first[0].SourcePath
        $stamps = @{}
        foreach ($r in $first) { $stamps[$r.OutputPath] = (Get-Item $r.OutputPath).LastWriteTimeUtc }
        (Get-Item $changed).LastWriteTimeUtc = (Get-Date).ToUniversalTime().AddMinutes(5)
        $redone = @(Get-ChildItem $night -Filter *.png | New-CamHeatmap -Model squeezenet1_1 -OutputPath $out -MapFormat Npy -Update -ErrorVariable e)
        $e | Should -BeNullOrEmpty
        $redone.SourcePath | Should -Be @($changed)
        (Get-Item $first[0].OutputPath).LastWriteTimeUtc | Should -BeGreaterThan $stamps[$first[0].OutputPath]
        (Get-Item $first[2].OutputPath).LastWriteTimeUtc | Should -Be $stamps[$first[2].OutputPath]
    }
}

Describe 'Errors that must not end the run' {
    BeforeAll {
        $idc = Join-Path $root 'idc8'
        $null = Invoke-TestData idc $idc 3 8 2
    }

    It 'reports an existing montage as an error of its own and keeps the patients'' results' {
        $out = Join-Path $root 'montage-out'
        $first = @(New-PatientPatchGrid -Path $idc -OutputPath $out -Kind Labels -Montage)
        ($first | Where-Object { $_.PSObject.Properties['PatientIds'] }).Count | Should -Be 1
        $again = @(New-PatientPatchGrid -Path $idc -OutputPath (Join-Path $root 'montage-out2') -Kind Labels -Montage -MontagePath (Join-Path $out 'montage.png') -ErrorVariable e -ErrorAction SilentlyContinue)
        @($again | Where-Object { $_.PSObject.Properties['PatientId'] }).Count | Should -Be 3 -Because 'the patients were drawn; only the montage exists'
        @($e | Where-Object FullyQualifiedErrorId -like 'OutputExists*').Count | Should -Be 1
        # -MontageOnly reruns: an error, not a stop; -ErrorAction Stop still stops.
        $null = New-PatientPatchGrid -Path $idc -OutputPath $out -MontageOnly -ErrorVariable e2 -ErrorAction SilentlyContinue
        @($e2 | Where-Object FullyQualifiedErrorId -like 'OutputExists*').Count | Should -Be 1
        { New-PatientPatchGrid -Path $idc -OutputPath $out -MontageOnly -ErrorAction Stop } | Should -Throw -ErrorId 'OutputExists*'
    }

    It 'says OutputWriteFailed, not a raw IOException, when the output folder cannot be made' {
        $blocker = Join-Path $root 'a-file'
        Set-Content $blocker 'not a folder'
        { New-PatientPatchGrid -Path $idc -OutputPath (Join-Path $blocker 'grids') -Kind Labels -ErrorAction Stop } | Should -Throw -ErrorId 'OutputWriteFailed*'
        { Measure-CamFaithfulness (Join-Path $Images 'coffee.png') -Model squeezenet1_1 -NoRoad -CurveSteps 2 -PlotPath (Join-Path $blocker 'plots') -ErrorAction Stop } | Should -Throw -ErrorId 'OutputWriteFailed*'
    }

    It 'keeps native decoders'' complaints off stderr: a PNG cut short is our error, naming it' {
        $cut = Join-Path $root 'cut.png'
        $bytes = [IO.File]::ReadAllBytes((Join-Path $Images 'coffee.png'))
        [IO.File]::WriteAllBytes($cut, $bytes[0..($bytes.Length / 2)])
        $out = Invoke-FreshPwsh "Import-Module '$ModulePath'; `$env:HEATMAPTOOLS_MODEL_PATH = '$Models'; Get-ClassPrediction '$cut' -Model squeezenet1_1 -ErrorAction SilentlyContinue -ErrorVariable e; `$e[0].FullyQualifiedErrorId; `$e[0].Exception.Message" 2>&1
        ($out | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }) | Should -BeNullOrEmpty -Because 'nothing reaches stderr'
        "$out" | Should -Not -BeLike '*libpng*'
        "$out" | Should -BeLike '*ImageUnreadable*cut short*'
    }
}

Describe 'Patch folders' {
    BeforeAll {
        $patches = Join-Path $root 'patches9'
        $layout = (Invoke-TestData idc $patches 1 6 3) | ConvertFrom-Json
        $files = @(Get-ChildItem $patches -Recurse -Filter *.png)
    }

    It 'walks a folder with a symlink loop once' {
        $looped = Join-Path $root 'looped'
        Copy-Item $patches $looped -Recurse
        $inner = (Get-ChildItem $looped -Directory -Recurse | Select-Object -First 1).FullName
        New-Item -ItemType SymbolicLink -Path (Join-Path $inner 'back-to-top') -Target $looped | Out-Null
        $grid = New-PatientPatchGrid -Path $looped -Kind Labels -OutputPath (Join-Path $root 'looped-out') -WarningVariable w -WarningAction SilentlyContinue
        $grid.PatchCount | Should -Be $files.Count
        $grid.ProblemCount | Should -Be 0
        $w | Should -BeNullOrEmpty
    }

    It 'takes map results and their patches in either order' {
        $maps = @($files | Where-Object Name -match '_x1_y\d+_' | New-CamHeatmap -Model squeezenet1_1 -NoOverlay)
        foreach ($order in 'maps first', 'patches first') {
            $items = if ($order -eq 'maps first') { @($maps) + @($files) } else { @($files) + @($maps) }
            $grid = $items | New-PatientPatchGrid -Kind Cam -OutputPath (Join-Path $root "order-$($order -replace ' ', '-')") -WarningVariable w -WarningAction SilentlyContinue
            $grid.PatchCount | Should -Be $files.Count -Because $order
            $grid.ProblemCount | Should -Be 0 -Because $order
            $w | Should -BeNullOrEmpty -Because $order
        }
    }
}

Describe 'Patch tables' {
    It 'gives a decimal-comma table one error naming the culture and -Culture, whatever patients are selected' {
        $table = Join-Path $root 'comma.csv'
        $rows = foreach ($p in 1..40) { foreach ($i in 0..29) { "p$p;$(1 + 50 * $i);1;$($i % 2);0,$($i + 10)" } }
        (@('patient_id;x;y;target;probability') + $rows) | Set-Content $table
        $null = New-PatientPatchGrid -CsvPath $table -PatientId p1 -Kind Probability -OutputPath (Join-Path $root 'comma-out') -ErrorVariable e -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $e.Count | Should -Be 1
        $e[0].FullyQualifiedErrorId | Should -BeLike 'CsvCultureMismatch*'
        $e[0].Exception.Message | Should -BeLike '*1200 row(s)*decimal commas*invariant culture*-Culture*'
    }

    It 'names a missing column with its own ErrorId' {
        $table = Join-Path $root 'nox.csv'
        "patient_id,y,target`na,1,0" | Set-Content $table
        { New-PatientPatchGrid -CsvPath $table -OutputPath (Join-Path $root 'nox-out') -ErrorAction Stop } | Should -Throw -ErrorId 'CsvColumnMissing*'
    }

    It 'warns when two columns could be one field, naming both' {
        $table = Join-Path $root 'twice.csv'
        "patient_id,x,y,target,label`na,1,1,0,1`na,51,1,1,0" | Set-Content $table
        $r = New-PatientPatchGrid -CsvPath $table -ColumnMap @{ target = 'label' } -Kind Labels -OutputPath (Join-Path $root 'twice-out') -WarningVariable w -WarningAction SilentlyContinue
        $r.PatchCount | Should -Be 2
        "$w" | Should -BeLike "*'target' and 'label'*"
        $table2 = Join-Path $root 'twice2.csv'
        "patient_id,x,y,Target,target`na,1,1,0,1" | Set-Content $table2
        $null = New-PatientPatchGrid -CsvPath $table2 -Kind Labels -OutputPath (Join-Path $root 'twice2-out') -WarningVariable w2 -WarningAction SilentlyContinue
        "$w2" | Should -BeLike "*'Target' and 'target'*"
    }

    It 'reads a target pandas wrote as 1.0, and refuses 1.5' {
        $table = Join-Path $root 'pandas.csv'
        "patient_id,x,y,target,probability`na,1,1,1.0,0.9`na,51,1,0.0,0.2`na,101,1,1.5,0.5" | Set-Content $table
        $r = New-PatientPatchGrid -CsvPath $table -Kind Labels -OutputPath (Join-Path $root 'pandas-out') -ErrorVariable e -ErrorAction SilentlyContinue
        $r.PatchCount | Should -Be 2
        $r.PositiveCount | Should -Be 1
        $e.Count | Should -Be 1
        $e[0].Exception.Message | Should -BeLike "*target '1.5' is not a whole number*"
    }
}

Describe 'What is drawn and reported' {
    It 'draws a CSV-only patient at a readable size and reports the size written' {
        $table = Join-Path $root 'grid20x15.csv'
        $rows = foreach ($x in 0..19) { foreach ($y in 0..14) { "g,$(1 + 50 * $x),$(1 + 50 * $y),$(($x + $y) % 2),0.$(10 + $x)" } }
        (@('patient_id,x,y,target,probability') + $rows) | Set-Content $table
        $r = New-PatientPatchGrid -CsvPath $table -Kind Labels, Probability -OutputPath (Join-Path $root 'readable')
        $labels = $r.Files | Where-Object { $_ -like '*_labels.png' }
        Invoke-TestData size $labels | Should -Be '200x150' -Because 'ten pixels per patch by default'
        $r.Size | Should -Be '200 x 150'
        $r.ImageWidth, $r.ImageHeight | Should -Be 200, 150
        $big = New-PatientPatchGrid -CsvPath $table -Kind Labels -CellSize 25 -OutputPath (Join-Path $root 'readable25')
        Invoke-TestData size ($big.Files | Where-Object { $_ -like '*_labels.png' }) | Should -Be '500x375'
    }

    It 'calls a sanity check on a constant map undefined, not passed' {
        $dead = Join-Path $root 'dead-class.pth'
        $python = @'
import sys, torch
sd = torch.load(sys.argv[2] + '/squeezenet1_1.pth')
sd['classifier.1.weight'][7].zero_(); sd['classifier.1.bias'][7] = 100.0
torch.save(sd, sys.argv[1])
'@
        & /usr/bin/python3 -c $python $dead $Models
        $r = Test-CamSanity (Join-Path $Images 'coffee.png') -Model squeezenet1_1 -WeightsPath $dead -MaxSteps 2 -WarningVariable w -WarningAction SilentlyContinue
        $r.ClassIndex | Should -Be 7 -Because 'the dead class is the top class'
        $r.Passed | Should -BeNullOrEmpty
        $r.Verdict | Should -Be 'Undefined'
        [double]::IsNaN($r.FinalSpearman) | Should -BeTrue
        "$w" | Should -BeLike '*original map is constant*undefined*'
    }

    It 'names table columns as properties: <Header> of <Command>' -ForEach @(
        @{ Command = 'Get-ClassPrediction'; Header = 'Image' }
        @{ Command = 'New-CamHeatmap'; Header = 'Image' }
        @{ Command = 'New-PatientPatchGrid'; Header = 'Patches' }
        @{ Command = 'New-PatientPatchGrid'; Header = 'Positive' }
        @{ Command = 'New-PatientPatchGrid'; Header = 'Size' }
    ) {
        $photo = Join-Path $Images 'coffee.png'
        $idc = Join-Path $root 'idc13'
        if (-not (Test-Path $idc)) { $null = Invoke-TestData idc $idc 1 6 4 }
        $result = switch ($Command) {
            'Get-ClassPrediction' { Get-ClassPrediction $photo -Model squeezenet1_1 }
            'New-CamHeatmap' { New-CamHeatmap $photo -Model squeezenet1_1 -NoOverlay }
            'New-PatientPatchGrid' { New-PatientPatchGrid -Path $idc -Kind Labels -OutputPath (Join-Path $root "idc13-out-$Header") }
        }
        $table = ($result | Format-Table | Out-String -Width 300) -split "`n" | Where-Object { $_ -match '\S' } | Select-Object -First 1
        $table | Should -Match "\b$Header\b"
        ($result | Select-Object $Header).$Header | Should -Not -BeNullOrEmpty
        # Hidden: Export-Csv keeps one column per fact.
        ($result | ConvertTo-Csv | Select-Object -First 1) | Should -Not -Match "`"$Header`""
    }
}

Describe 'Environment variables the module cannot use' {
    It 'warns about <Variable>=<Value>, naming both and what is used' -ForEach @(
        @{ Variable = 'HEATMAPTOOLS_HELD_MB'; Value = '-1'; Says = '*512 MB is used*' }
        @{ Variable = 'HEATMAPTOOLS_IMAGE_MEGAPIXELS'; Value = 'lots'; Says = '*300 megapixels is used*' }
        @{ Variable = 'HEATMAPTOOLS_MEMORY_MB'; Value = '2GB'; Says = '*a quarter of the memory (1 to 8 GB) is used*' }
    ) {
        # A fresh process: the budgets are read once per process.
        $script = "`$env:$Variable = '$Value'; `$env:HEATMAPTOOLS_MODEL_PATH = '$Models'; Import-Module '$ModulePath'; " +
            "`$null = Get-ClassPrediction '$(Join-Path $Images 'coffee.png')' -Model squeezenet1_1 -WarningVariable w -WarningAction SilentlyContinue; `$w | ForEach-Object { `"WARNING: `$_`" }"
        $out = "$(Invoke-FreshPwsh $script)"
        $out | Should -BeLike "*WARNING: $Variable='$Value' cannot be used*"
        $out | Should -BeLike $Says
    }
}

Describe 'Help and objects' {
    It 'shows in Get-Help -Full the default of every parameter that has one, and no Nullable`1' -ForEach @(
        @{ Command = 'New-CamHeatmap'; Parameter = 'Alpha'; Default = '0.4' }
        @{ Command = 'New-CamHeatmap'; Parameter = 'Colormap'; Default = 'Jet' }
        @{ Command = 'New-PatientPatchGrid'; Parameter = 'CellSize'; Default = '10' }
        @{ Command = 'Test-CamSanity'; Parameter = 'Threshold'; Default = '0.5' }
        @{ Command = 'Get-ClassPrediction'; Parameter = 'BatchSize'; Default = '8' }
    ) {
        (Get-Help $Command -Parameter $Parameter).defaultValue | Should -Be $Default
        (Get-Help $Command -Full | Out-String -Width 300) | Should -Not -Match 'Nullable'
    }

    It 'writes the items of list properties into Export-Csv, not System.String[]' {
        $idc = Join-Path $root 'idc-csv'
        $null = Invoke-TestData idc $idc 2 6 5
        $grids = New-PatientPatchGrid -Path $idc -Kind Labels, Tissue -OutputPath (Join-Path $root 'idc-csv-out')
        $csv = Join-Path $root 'grids.csv'
        $grids | Export-Csv $csv
        $back = Import-Csv $csv
        $back[0].Files | Should -Not -BeLike '*System.String*'
        $back[0].Files -split '; ' | Should -Be @($grids[0].Files)
        $grids[0].Files.Count | Should -Be 2
        $grids[0].Files[0] | Should -Exist
    }
}

Describe 'Montages and mosaics' {
    BeforeAll {
        # Two patients with probabilities and true classes, one with letters OpenCV's own fonts lack, one with an emoji.
        function New-Table([string] $Path, [string[]] $Ids) {
            $rows = foreach ($id in $Ids) { foreach ($x in 0..5) { foreach ($y in 0..3) { "$id,$(1 + 50 * $x),$(1 + 50 * $y),$([int]($x -gt 2)),0.$(1 + $x)5" } } }
            (@('patient_id,x,y,target,probability') + $rows) | Set-Content $Path -Encoding utf8
        }
        $table = Join-Path $root 'montage.csv'
        New-Table $table 'ünï', 'uni', '😀'
        # The first panel's title strip and picture in a montage (gap 6, panel 320 wide, title 24 high).
        $titleStrip = 6, 6, 320, 24
        $picture = 6, 30, 320, 320
    }

    It 'shows in the montage the kind asked for: -Kind Probability draws probabilities' {
        $labels = New-PatientPatchGrid -CsvPath $table -PatientId uni -Kind Labels -MontageOnly -OutputPath (Join-Path $root 'm-labels')
        $probability = New-PatientPatchGrid -CsvPath $table -PatientId uni -Kind Probability -MontageOnly -OutputPath (Join-Path $root 'm-prob')
        $a = (Invoke-TestData mean $labels.Path @picture) -split ',' | ForEach-Object { [double]$_ }
        $b = (Invoke-TestData mean $probability.Path @picture) -split ',' | ForEach-Object { [double]$_ }
        ($a[0] - $b[0]), ($a[1] - $b[1]), ($a[2] - $b[2]) | ForEach-Object { [math]::Abs($_) } | Measure-Object -Maximum |
            ForEach-Object Maximum | Should -BeGreaterThan 10 -Because 'a probability colormap is not the red and green of labels'
    }

    It 'writes titles in a font that has their characters' {
        $plain = New-PatientPatchGrid -CsvPath $table -PatientId uni -Kind Labels -MontageOnly -OutputPath (Join-Path $root 'm-uni')
        $accents = New-PatientPatchGrid -CsvPath $table -PatientId 'ünï' -Kind Labels -MontageOnly -OutputPath (Join-Path $root 'm-accents')
        $emoji = New-PatientPatchGrid -CsvPath $table -PatientId '😀' -Kind Labels -MontageOnly -OutputPath (Join-Path $root 'm-emoji')
        $accents.PatientIds | Should -Be 'ünï'
        # What OpenCV's ASCII-only Hershey font made of them: a question mark per UTF-8 byte.
        $asHershey = Join-Path $root 'hershey.csv'
        New-Table $asHershey '??n??', '????'
        $qAccents = New-PatientPatchGrid -CsvPath $asHershey -PatientId '??n??' -Kind Labels -MontageOnly -OutputPath (Join-Path $root 'm-q1')
        $qEmoji = New-PatientPatchGrid -CsvPath $asHershey -PatientId '????' -Kind Labels -MontageOnly -OutputPath (Join-Path $root 'm-q2')
        Invoke-TestData mean $accents.Path @titleStrip | Should -Not -Be (Invoke-TestData mean $qAccents.Path @titleStrip)
        Invoke-TestData mean $emoji.Path @titleStrip | Should -Not -Be (Invoke-TestData mean $qEmoji.Path @titleStrip)
        # "ü" and "u" have one width in a real font.
        [int](Invoke-TestData inkwidth $accents.Path @titleStrip) | Should -BeLessOrEqual ([int](Invoke-TestData inkwidth $plain.Path @titleStrip) + 2)
    }

    It 'warns when -Confusion has no probabilities to draw from' {
        $idc = Join-Path $root 'idc-confusion'
        $null = Invoke-TestData idc $idc 1 6 6
        $null = New-PatientPatchGrid -Path $idc -Confusion -OutputPath (Join-Path $root 'confusion-out') -WarningVariable w -WarningAction SilentlyContinue
        "$w" | Should -BeLike '*No confusion map was drawn*'
    }

    It 'colours the patient''s CAM mosaic on one scale across the patient by default' {
        $idc = Join-Path $root 'idc-cam'
        $null = Invoke-TestData idc $idc 1 6 7
        $files = @(Get-ChildItem $idc -Recurse -Filter *.png)
        $maps = @($files | New-CamHeatmap -Model squeezenet1_1 -NoOverlay)
        $weak = $maps | Sort-Object MapMax | Select-Object -First 1
        $strong = ($maps | Measure-Object MapMax -Maximum).Maximum
        $weak.MapMax / $strong | Should -BeLessThan 0.8 -Because 'the test needs a patch clearly weaker than the strongest'
        $patient = @($files) + $maps | New-PatientPatchGrid -Kind Cam -OutputPath (Join-Path $root 'cam-patient')
        $alone = @($files) + $maps | New-PatientPatchGrid -Kind Cam -CamScale Patch -OutputPath (Join-Path $root 'cam-patch')
        $null = (Split-Path $weak.SourcePath -Leaf) -match '_x(\d+)_y(\d+)_'
        $cell = ([int]$Matches[1] - 1), ([int]$Matches[2] - 1), 50, 50
        $p = (Invoke-TestData mean ($patient.Files | Where-Object { $_ -like '*_cam.png' }) @cell) -split ',' | ForEach-Object { [double]$_ }
        $q = (Invoke-TestData mean ($alone.Files | Where-Object { $_ -like '*_cam.png' }) @cell) -split ',' | ForEach-Object { [double]$_ }
        # Jet: colder is more blue and less red.
        $p[2] | Should -BeLessThan $q[2]
        $p[0] | Should -BeGreaterThan $q[0]
    }
}

Describe 'A one-logit head' {
    It 'gives P = sigmoid(logit), not a softmax over one logit (always 1), to predictions, their CSV and patient grids' {
        $weights = Join-Path $root 'one-logit.pth'
        & /usr/bin/python3 -c @'
import sys, torch, torchvision
torch.manual_seed(0)
m = torchvision.models.resnet18(num_classes=1)
torch.nn.init.normal_(m.fc.weight, std=0.05)
torch.save(m.state_dict(), sys.argv[1])
'@ $weights
        $photos = (Get-ChildItem $Images -Filter *.png).FullName
        $predictions = @(Get-ClassPrediction $photos -Model resnet18 -NumClasses 1 -WeightsPath $weights)
        foreach ($p in $predictions) {
            $sigmoid = 1 / (1 + [math]::Exp(-[double]$p.Logits[0]))
            $p.Probability | Should -BeGreaterThan ($sigmoid - 1e-9)
            $p.Probability | Should -BeLessThan ($sigmoid + 1e-9)
            $p.ClassProbabilities['class_0'] | Should -Be $p.Probability
        }
        @($predictions.Probability | Where-Object { $_ -ge 0.999999 }).Count | Should -BeLessThan $predictions.Count
        $idc = Join-Path $root 'idc-one-logit'
        $null = Invoke-TestData idc $idc 1 6 9
        $grid = Get-ChildItem $idc -Recurse -Filter *.png | Get-ClassPrediction -Model resnet18 -NumClasses 1 -WeightsPath $weights |
            New-PatientPatchGrid -Kind Probability -OutputPath (Join-Path $root 'one-logit-grid')
        $grid.ProbabilityMax | Should -BeLessThan 1
        $grid.ProbabilityMax | Should -BeGreaterThan $grid.ProbabilityMin
    }
}
