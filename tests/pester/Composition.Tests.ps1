BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

Describe 'A patch classifier feeds the patient heatmaps' {
    BeforeAll {
        $root = Join-Path ([IO.Path]::GetTempPath()) ("hmt-compose-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $data = Join-Path $root 'IDC_regular_ps50_idx5'
        $layout = (Invoke-TestData idc $data 3 10 3) | ConvertFrom-Json
    }
    AfterAll { Remove-Item $root -Recurse -Force }

    It 'draws every patient from Get-ClassPrediction results of a two-class head, with P(class 1) as the probability' {
        $predictions = Get-ChildItem $data -Recurse -Filter *.png | Get-ClassPrediction -Model resnet18 -NumClasses 2 -Weights Random -Seed 3 -Resize Stretch
        $grids = $predictions | New-PatientPatchGrid -Confusion -OutputPath (Join-Path $root 'grids')
        $files = @(Get-ChildItem $data -Recurse -Filter *.png)
        ($grids | Measure-Object PatchCount -Sum).Sum | Should -Be $files.Count
        foreach ($grid in $grids) {
            $mine = $predictions | Where-Object { (Split-Path $_.Path -Leaf) -like "$($grid.PatientId)_*" }
            # The classifier's own P(class 1): softmax of its two logits, computed here from the objects.
            $p1 = $mine | ForEach-Object { 1 / (1 + [Math]::Exp($_.Logits[0] - $_.Logits[1])) }
            $grid.ProbabilityMin | Should -BeGreaterOrEqual (($p1 | Measure-Object -Minimum).Minimum - 1e-6)
            $grid.ProbabilityMin | Should -BeLessOrEqual (($p1 | Measure-Object -Minimum).Minimum + 1e-6)
            $grid.ProbabilityMax | Should -BeGreaterOrEqual (($p1 | Measure-Object -Maximum).Maximum - 1e-6)
            $grid.ProbabilityMax | Should -BeLessOrEqual (($p1 | Measure-Object -Maximum).Maximum + 1e-6)
            ($grid.TruePositive + $grid.FalsePositive + $grid.FalseNegative + $grid.TrueNegative) | Should -Be $grid.PatchCount
            @($grid.Files | Where-Object { $_ -like '*_probability.png' }).Count | Should -Be 1
            @($grid.Files | Where-Object { $_ -like '*_confusion.png' }).Count | Should -Be 1
        }
    }

    It 'asks which class is positive for a head of more than two classes, and takes it by index or label' {
        $one = Get-ChildItem $data -Recurse -Filter *.png | Select-Object -First 4 | Get-ClassPrediction -Model resnet18 -NumClasses 3 -Weights Random -Seed 3 -Labels benign, idc, other
        { $one | New-PatientPatchGrid -OutputPath (Join-Path $root 'three') -ErrorAction Stop } | Should -Throw -ErrorId 'PositiveClassRequired*'
        $byLabel = $one | New-PatientPatchGrid -OutputPath (Join-Path $root 'label') -PositiveClass idc -Kind Probability
        $byIndex = $one | New-PatientPatchGrid -OutputPath (Join-Path $root 'index') -PositiveClass 1 -Kind Probability
        $byLabel[0].ProbabilityMax | Should -Be $byIndex[0].ProbabilityMax
        $expected = $one | Where-Object { (Split-Path $_.Path -Leaf) -like "$($byIndex[0].PatientId)_*" } | ForEach-Object {
            $l = $_.Logits; [Math]::Exp($l[1]) / ([Math]::Exp($l[0]) + [Math]::Exp($l[1]) + [Math]::Exp($l[2])) } | Measure-Object -Maximum
        [Math]::Abs($byIndex[0].ProbabilityMax - $expected.Maximum) | Should -BeLessThan 1e-6
    }
    It 'reads its predictions back from Export-Csv and Import-Csv to the very same images' {
        $predictions = Get-ChildItem $data -Recurse -Filter *.png | Get-ClassPrediction -Model resnet18 -NumClasses 2 -Weights Random -Seed 5 -Resize Stretch -Labels benign, idc
        # Stretched to each patient's own range, so any digit lost on the way would show in the colours.
        $piped = $predictions | New-PatientPatchGrid -Confusion -Scale Patient -OutputPath (Join-Path $root 'piped')
        $csv = Join-Path $root 'predictions.csv'
        $predictions | Export-Csv -Path $csv
        # The top-1 Probability column is there too: the per-class column is the one read.
        (Import-Csv $csv | Select-Object -First 1).PSObject.Properties.Name | Should -Contain 'Probability'
        $fromCsv = New-PatientPatchGrid -CsvPath $csv -Confusion -Scale Patient -OutputPath (Join-Path $root 'fromcsv')
        $fromRows = Import-Csv $csv | New-PatientPatchGrid -Confusion -Scale Patient -OutputPath (Join-Path $root 'fromrows')
        $fromCsv.Count | Should -Be $piped.Count
        $byLabel = New-PatientPatchGrid -CsvPath $csv -PositiveClass idc -Kind Probability -Scale Patient -OutputPath (Join-Path $root 'bylabel')
        foreach ($grid in $piped) {
            $again = $fromCsv | Where-Object PatientId -eq $grid.PatientId
            $again.ProbabilityMin | Should -Be $grid.ProbabilityMin
            $again.ProbabilityMax | Should -Be $grid.ProbabilityMax
            @($grid.Files).Count | Should -BeGreaterOrEqual 3
            foreach ($file in $grid.Files) {
                $name = Split-Path $file -Leaf
                $want = (Get-FileHash $file).Hash
                (Get-FileHash (Join-Path $root "fromcsv/$name")).Hash | Should -Be $want -Because "$name from -CsvPath"
                (Get-FileHash (Join-Path $root "fromrows/$name")).Hash | Should -Be $want -Because "$name from Import-Csv rows"
            }
            $probability = $grid.Files | Where-Object { $_ -like '*_probability.png' }
            (Get-FileHash (Join-Path $root "bylabel/$(Split-Path $probability -Leaf)")).Hash | Should -Be (Get-FileHash $probability).Hash
        }
        { New-PatientPatchGrid -CsvPath $csv -PositiveClass tumour -OutputPath (Join-Path $root 'nope') -ErrorAction Stop } | Should -Throw -ErrorId 'PositiveClassRequired*'
    }

    It 'gives every class''s probability as a list to read, sort and index by label, written to a CSV cell as exact JSON' {
        $p = Get-ChildItem $data -Recurse -Filter *.png | Select-Object -First 3 | Get-ClassPrediction -Model resnet18 -NumClasses 2 -Weights Random -Seed 5 -Labels benign, idc
        $one = $p[0]
        $one.ClassProbabilities.Count | Should -Be 2
        $one.ClassProbabilities.Label | Should -Be @('benign', 'idc')
        # P(idc) from the logits, computed here.
        $expected = 1 / (1 + [math]::Exp($one.Logits[0] - $one.Logits[1]))
        [math]::Abs($one.ClassProbabilities['idc'] - $expected) | Should -BeLessThan 1e-9
        [math]::Abs($one.ClassProbabilities[1].Probability - $expected) | Should -BeLessThan 1e-9
        $one.ClassProbabilities['tumour'] | Should -BeNullOrEmpty
        ($one.ClassProbabilities | Sort-Object Probability -Descending | Select-Object -First 1).Label | Should -Be $one.Label
        ($one.ClassProbabilities | Measure-Object Probability -Sum).Sum | Should -BeGreaterThan (1 - 1e-9)
        # Shown as labels and values, not as JSON text.
        $shown = $one | Format-List ClassProbabilities | Out-String
        $shown | Should -Match 'benign=0\.\d+'
        $shown | Should -Not -Match '\{"benign"'
        # A CSV cell is the JSON object with every digit: the same doubles back.
        $row = $one | ConvertTo-Csv | ConvertFrom-Csv
        $back = $row.ClassProbabilities | ConvertFrom-Json
        $back.idc | Should -Be $one.ClassProbabilities['idc']
        $back.benign | Should -Be $one.ClassProbabilities['benign']
        $one.ClassProbabilities.ToJson() | Should -Be $row.ClassProbabilities
    }

    It 'names a prediction row whose probabilities are unreadable and draws the rest' {
        $rows = @(Import-Csv (Join-Path $root 'predictions.csv'))
        $rows[0].ClassProbabilities = '{"benign": 0.3, "idc": "lots"}'
        $grids = $rows | New-PatientPatchGrid -Kind Probability -OutputPath (Join-Path $root 'onebad') -ErrorVariable bad -ErrorAction SilentlyContinue
        @($bad).Count | Should -Be 1
        $bad[0].FullyQualifiedErrorId | Should -BeLike 'CsvRowInvalid*'
        ($grids | Measure-Object PatchCount -Sum).Sum | Should -Be ($rows.Count - 1)
    }
}

Describe 'Reruns over a folder of photos and the module''s own output' {
    BeforeAll { $folder = New-TestFolder }
    AfterAll { Remove-Item $folder -Recurse -Force }

    It 'leaves out marked images whatever their names, says so with -Verbose, and takes them with -IncludeOwnOutput' {
        $first = New-CamHeatmap -LiteralPath (Join-Path $folder 'coffee.png') -Model squeezenet1_1
        # The overlay renamed like a photo, and a figure and a patient image: all carry the module's note.
        Copy-Item $first.OutputPath (Join-Path $folder 'holiday.png')
        $second = Get-ChildItem $folder -Filter *.png | New-CamHeatmap -Model squeezenet1_1 -OutputPath (Join-Path $folder 'again/') -Verbose 4>&1
        $said = @($second | Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message)
        $done = @($second | Where-Object { $_ -isnot [Management.Automation.VerboseRecord] })
        ($done.SourcePath | Split-Path -Leaf | Sort-Object) | Should -Be @('chelsea.png', 'coffee.png', 'gradcam_both.png')
        ($said -join "`n") | Should -Match "Skipped '.*holiday\.png': HeatmapTools wrote it \(New-CamHeatmap; source=coffee\.png; method=GradCAM"
        ($said -join "`n") | Should -Match "Skipped '.*coffee_cam\.png'"
        $taken = New-CamHeatmap -LiteralPath (Join-Path $folder 'holiday.png') -Model squeezenet1_1 -OutputPath (Join-Path $folder 'own/') -IncludeOwnOutput
        $taken.SourcePath | Should -BeLike '*holiday.png'
    }
}

Describe 'What people see' {
    It 'exports readable values: no map, logits or hashtable in Export-Csv, problems and ranking as text' {
        $cam = New-CamHeatmap -Path (Join-Path $Images 'coffee.png') -Model squeezenet1_1 -NoOverlay -Verbose 4>&1
        $said = @($cam | Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message) -join "`n"
        $said | Should -Match 'squeezenet1_1: weights .*squeezenet1_1\.safetensors'
        $said | Should -Match 'Batch of 1 image\(s\): GradCAM at features\.12, [0-9.]+ s'
        $result = $cam | Where-Object { $_ -isnot [Management.Automation.VerboseRecord] }
        $csv = $result | ConvertTo-Csv | Out-String
        $csv | Should -Not -Match 'System\.Single'
        $csv.Length | Should -BeLessThan 2000
        $result.Map[112, 112] | Should -BeGreaterThan 0
        $prediction = Get-ClassPrediction -Path (Join-Path $Images 'coffee.png') -Model squeezenet1_1
        $row = $prediction | ConvertTo-Csv | ConvertFrom-Csv
        $row.Ranking | Should -Match "^\('n07920052', 'espresso', 0\.89"
        ($prediction | ConvertTo-Csv | Out-String) | Should -Not -Match 'System\.|HeatmapTools\.RankedClass'
        $prediction.Logits.Count | Should -Be 1000
        # ConvertTo-Json (and ConvertTo-Json of a list of them, one level down) leaves the bulky members out; scripts still read them.
        $json = $result | ConvertTo-Json
        $json.Length | Should -BeLessThan 3000
        $json | ConvertFrom-Json | ForEach-Object { $_.PSObject.Properties.Name } | Should -Not -Contain 'Map'
        (@{ Results = @($result) } | ConvertTo-Json -Depth 3).Length | Should -BeLessThan 3000
        $pjson = $prediction | ConvertTo-Json
        $pjson | Should -Not -Match '"Logits"'
        ($pjson | ConvertFrom-Json).Label | Should -Be 'espresso'
        # An ImageNet head is too big to write every class's probability into a CSV cell; the ranking names its top ones.
        $prediction.ClassProbabilities | Should -BeNullOrEmpty
    }
}

Describe 'A patient-wide CAM mosaic' {
    BeforeAll {
        $root = Join-Path ([IO.Path]::GetTempPath()) ("hmt-mosaic-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $data = Join-Path $root 'idc'
        $layout = (Invoke-TestData idc $data 1 6 3) | ConvertFrom-Json
    }
    AfterAll { Remove-Item $root -Recurse -Force }

    It 'paints each patch''s map at its place and leaves patches without one as tissue' {
        $files = @(Get-ChildItem $data -Recurse -Filter *.png)
        # Maps for the patches of the first column only (x = 1).
        $maps = @($files | Where-Object Name -match '_x1_y\d+_' | New-CamHeatmap -Model squeezenet1_1 -NoOverlay)
        $maps.Count | Should -BeGreaterThan 0
        $grid = @($files) + $maps | New-PatientPatchGrid -Kind Tissue, Cam -OutputPath (Join-Path $root 'out')
        $grid.PatchCount | Should -Be $files.Count
        $grid.ProblemCount | Should -Be 0
        $tissue = $grid.Files | Where-Object { $_ -like '*_tissue.png' }
        $cam = $grid.Files | Where-Object { $_ -like '*_cam.png' }
        $cam | Should -Not -BeNullOrEmpty
        # The centre of the patch at x=1, y=1 is coloured by its map; the one at x=51 (no map) is tissue as it was.
        Invoke-TestData pixel $cam 25 25 | Should -Not -Be (Invoke-TestData pixel $tissue 25 25)
        Invoke-TestData pixel $cam 75 25 | Should -Be (Invoke-TestData pixel $tissue 75 25)
    }

    It 'paints maps made in another process, which arrive without them, by making them again from the patches' {
        $files = @(Get-ChildItem $data -Recurse -Filter *.png)
        $remote = Start-Job -ScriptBlock { param($ModulePath, $Models, $Folder)
            $env:HEATMAPTOOLS_MODEL_PATH = $Models; $env:HEATMAPTOOLS_OFFLINE = '1'
            Import-Module $ModulePath
            Get-ChildItem $Folder -Recurse -Filter *.png | Where-Object Name -match '_x1_y\d+_' | New-CamHeatmap -Model squeezenet1_1 -NoOverlay
        } -ArgumentList (Resolve-Path $ModulePath).Path, $Models, $data | Receive-Job -Wait -AutoRemoveJob
        # As they arrive (the map flattened into a list), and stripped of the map (made again from the patch).
        @($remote[0].Map).Count | Should -Be (224 * 224)
        $stripped = $remote | Select-Object * -ExcludeProperty Map
        $grid = @($files) + @($remote) | New-PatientPatchGrid -Kind Tissue, Cam -OutputPath (Join-Path $root 'remote')
        $again = @($files) + @($stripped) | New-PatientPatchGrid -Kind Cam -OutputPath (Join-Path $root 'remade')
        $again.ProblemCount | Should -Be 0
        $remade = $again.Files | Where-Object { $_ -like '*_cam.png' }
        Invoke-TestData pixel $remade 25 25 | Should -Not -Be (Invoke-TestData pixel ($grid.Files | Where-Object { $_ -like '*_tissue.png' }) 25 25)
        $grid.PatchCount | Should -Be $files.Count
        $grid.ProblemCount | Should -Be 0
        $local = Join-Path $root 'out' | Get-ChildItem -Filter *_cam.png
        $cam = $grid.Files | Where-Object { $_ -like '*_cam.png' }
        Invoke-TestData pixel $cam 25 25 | Should -Be (Invoke-TestData pixel $local.FullName 25 25)
        Invoke-TestData pixel $cam 25 75 | Should -Be (Invoke-TestData pixel $local.FullName 25 75)
        Invoke-TestData pixel $cam 75 25 | Should -Be (Invoke-TestData pixel ($grid.Files | Where-Object { $_ -like '*_tissue.png' }) 75 25)
    }
}

Describe 'A CAM mosaic of maps made in another process' {
    BeforeAll {
        $root = Join-Path ([IO.Path]::GetTempPath()) ("hmt-remade-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $data = Join-Path $root 'idc'
        $null = Invoke-TestData idc $data 1 4 3
        # A patch classifier shipped with its settings file: its own size and statistics.
        $shipped = New-Item -ItemType Directory (Join-Path $root 'models')
        Copy-Item ([IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../HeatmapTools.Engine.Tests/TestData/onnx/mobile_hs.opset17.onnx'))) (Join-Path $shipped 'patchnet.onnx')
        '{ "mean": [0.7, 0.5, 0.7], "std": [0.15, 0.2, 0.15], "resize": "Stretch" }' | Set-Content (Join-Path $shipped 'patchnet.json')
    }
    AfterAll { Remove-Item $root -Recurse -Force }

    It 'remakes the very map the result was made with: <What>' -ForEach @(
        @{ What = 'a non-square input'; Arguments = '-Model resnet18 -NumClasses 2 -Weights Random -Seed 1 -InputSize 64,48' }
        @{ What = 'each patch at its native size'; Arguments = '-Model resnet18 -NumClasses 2 -Weights Random -Seed 1 -InputSize Native' }
        @{ What = 'Caffe normalisation'; Arguments = '-Model resnet18 -NumClasses 2 -Weights Random -Seed 1 -Normalization Caffe' }
        @{ What = 'a model''s settings file'; Arguments = "-Model '{models}/patchnet.onnx'" }
        # An attribution's own settings: each made again at its defaults drew another map (Occlusion's squares, 50 steps from black ...).
        @{ What = 'Occlusion''s window and stride'; Arguments = '-Model resnet18 -NumClasses 2 -Weights Random -Seed 1 -InputSize 32,32 -Method Occlusion -Window 8 -Stride 4' }
        @{ What = 'Integrated Gradients from noise'; Arguments = '-Model resnet18 -NumClasses 2 -Weights Random -Seed 1 -InputSize 64,64 -Method IntegratedGradients -Steps 4 -Baseline Uniform -TunnelSeed 3' }
        @{ What = 'Integrated Gradients from an image'; Arguments = "-Model resnet18 -NumClasses 2 -Weights Random -Seed 1 -InputSize 64,64 -Method IntegratedGradients -Steps 4 -BaselineImage '{baseline}'" }
        @{ What = 'SmoothGrad'; Arguments = '-Model resnet18 -NumClasses 2 -Weights Random -Seed 1 -InputSize 64,64 -Method Saliency -NoiseTunnel SmoothGrad -TunnelSamples 3 -TunnelNoise 0.3 -Sign Positive' }
        # A segmenter's category over a rectangle, not over the pixels it predicts.
        @{ What = 'a segment region'; Arguments = '-Model lraspp_mobilenet_v3_large -NumClasses 3 -Weights Random -Seed 1 -InputSize 64,64 -ClassIndex 1 -Region 0,0,20,20' }
    ) {
        $Arguments = $Arguments -replace '\{models\}', (Join-Path $root 'models')
        $Arguments = $Arguments -replace '\{baseline\}', (Get-ChildItem $data -Recurse -Filter *.png | Where-Object Name -notmatch '_x1_y\d+_' | Select-Object -First 1).FullName
        $files = @(Get-ChildItem $data -Recurse -Filter *.png)
        $mine = @($files | Where-Object Name -match '_x1_y\d+_')
        # Made in another process and passed on as JSON text: the results arrive without their maps.
        $json = Invoke-FreshPwsh "Import-Module '$((Resolve-Path $ModulePath).Path)'; `$env:HEATMAPTOOLS_MODEL_PATH = '$Models'; '$($mine.FullName -join "','")' | New-CamHeatmap $Arguments -NoOverlay | ConvertTo-Json -Depth 3"
        $arrived = @(($json -join "`n") | ConvertFrom-Json)
        $arrived.Count | Should -Be $mine.Count
        $arrived[0].PSObject.Properties.Name | Should -Not -Contain 'Map'
        $remade = @($files) + $arrived | New-PatientPatchGrid -Kind Cam -OutputPath (Join-Path $root "remade-$What") -ErrorVariable failed
        $failed | Should -BeNullOrEmpty
        # The same maps made here, carried by the live results.
        $live = Invoke-Expression "`$mine | New-CamHeatmap $Arguments -NoOverlay"
        $carried = @($files) + @($live) | New-PatientPatchGrid -Kind Cam -OutputPath (Join-Path $root "carried-$What")
        $remade.ProblemCount | Should -Be 0
        $a = $remade.Files | Where-Object { $_ -like '*_cam.png' }
        $b = $carried.Files | Where-Object { $_ -like '*_cam.png' }
        # Made one image at a time against a batch of four: libtorch may round differently, so up to 4 grey levels (2 seen); a map
        # prepared otherwise (another size, mean or std) differed by 16 to 102.
        $worst = & /usr/bin/python3 -c 'import cv2, sys; a = cv2.imread(sys.argv[1]).astype(int); b = cv2.imread(sys.argv[2]).astype(int); print(abs(a - b).max() if a.shape == b.shape else 999)' $a $b
        [int]$worst | Should -BeLessOrEqual 4
    }
}

Describe 'Maps that cannot be made again from their result' {
    BeforeAll {
        $root = Join-Path ([IO.Path]::GetTempPath()) ("hmt-unmade-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $null = Invoke-TestData idc (Join-Path $root 'idc') 1 4 3
        $script:patch = (Get-ChildItem (Join-Path $root 'idc') -Recurse -Filter *.png | Select-Object -First 1).FullName
    }
    AfterAll { Remove-Item $root -Recurse -Force }

    It 'refuses a result read back from Export-Csv, which lost the settings the map was made with' {
        $csv = Join-Path $root 'maps.csv'
        New-CamHeatmap -LiteralPath $patch -Model resnet18 -NumClasses 2 -Weights Random -Seed 1 -InputSize 64,48 -NoOverlay | Export-Csv $csv
        $grid = Import-Csv $csv | New-PatientPatchGrid -Kind Cam -OutputPath (Join-Path $root 'fromcsv') -ErrorVariable failed -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        # Made again at the model's 224 pixels it would be another map, drawn without a word.
        @($failed).Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'CsvRowInvalid,*'
        "$($failed[0])" | Should -BeLike "*$patch*Export-Csv*"
        $grid | Where-Object { $_.Files -like '*_cam.png' } | Should -BeNullOrEmpty
    }

    # As ConvertFrom-Json gives a result that crossed a process: properties only, no map.
    It 'refuses <What> that arrived without its values, naming the patch' -ForEach @(
        @{ What = 'a Sum map'; Extra = @{ Target = 'Sum' } }
        @{ What = 'a detector''s map'; Extra = @{ Target = 'Box'; Detections = @(@{ ClassIndex = 1; Label = 'person'; Box = @{ X1 = 1; Y1 = 2; X2 = 30; Y2 = 40 } }) } }
    ) {
        $result = [ordered]@{ SourcePath = $patch; Model = 'resnet18'; NumClasses = 2; Weights = 'Random'; Seed = 1; Method = 'GradCAM'; Layer = 'layer4'; ClassIndex = 0; MapWidth = 224; MapHeight = 224 }
        foreach ($k in $Extra.Keys) { $result[$k] = $Extra[$k] }
        $arrived = ([pscustomobject]$result | ConvertTo-Json -Depth 4) | ConvertFrom-Json
        $grid = $arrived | New-PatientPatchGrid -Kind Cam -OutputPath (Join-Path $root ($What -replace '\W', '')) -ErrorVariable failed -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        @($failed).Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'TargetNotApplicable,*'
        "$($failed[0])" | Should -BeLike "*$patch*"
        $grid | Where-Object { $_.Files -like '*_cam.png' } | Should -BeNullOrEmpty
    }
}

Describe 'Results that carry their tensors' {
    BeforeAll {
        $photos = Get-ChildItem $Images -Filter *.png
        function Get-MaxDifference($a, $b) {
            $a.GetLength(0) | Should -Be $b.GetLength(0)
            $worst = 0.0
            for ($y = 0; $y -lt $a.GetLength(0); $y++) { for ($x = 0; $x -lt $a.GetLength(1); $x++) { $worst = [Math]::Max($worst, [Math]::Abs($a[$y, $x] - $b[$y, $x])) } }
            $worst
        }
        $scratch = New-TestFolder
    }
    AfterAll { Remove-Item $scratch -Recurse -Force }

    It 'decodes each image once through Get-ClassPrediction | New-CamHeatmap, overlays included, with the maps of the unpiped run' {
        $alone = $photos | New-CamHeatmap -Model squeezenet1_1 -OutputPath (Join-Path $scratch 'alone/')
        $before = (Get-HeatmapToolsInfo).ImagesDecoded
        $piped = $photos | Get-ClassPrediction -Model squeezenet1_1 | New-CamHeatmap -OutputPath (Join-Path $scratch 'piped/')
        ((Get-HeatmapToolsInfo).ImagesDecoded - $before) | Should -Be $photos.Count
        $piped.Count | Should -Be $alone.Count
        for ($i = 0; $i -lt $alone.Count; $i++) {
            $piped[$i].ClassIndex | Should -Be $alone[$i].ClassIndex
            Get-MaxDifference $piped[$i].Map $alone[$i].Map | Should -Be 0
            (Get-FileHash $piped[$i].OutputPath).Hash | Should -Be (Get-FileHash $alone[$i].OutputPath).Hash
        }
    }

    It 'reads a rewritten file again rather than trusting what a prediction held' {
        $copy = Join-Path $scratch 'changing.png'
        Copy-Item (Join-Path $Images 'coffee.png') $copy
        $prediction = Get-ClassPrediction -LiteralPath $copy -Model squeezenet1_1
        Copy-Item (Join-Path $Images 'chelsea.png') $copy -Force
        (Get-Item $copy).LastWriteTimeUtc = [datetime]::UtcNow.AddMinutes(1)
        $before = (Get-HeatmapToolsInfo).ImagesDecoded
        $map = $prediction | New-CamHeatmap -NoOverlay
        ((Get-HeatmapToolsInfo).ImagesDecoded - $before) | Should -Be 1
        $fresh = New-CamHeatmap -LiteralPath $copy -Model squeezenet1_1 -ClassIndex $prediction.ClassIndex -NoOverlay
        Get-MaxDifference $map.Map $fresh.Map | Should -Be 0
    }

    It 'keeps a collection within the budget: the oldest let go and computed again, the same, from the file' {
        # A process of its own: the budget is read once per process.
        $script = {
            param($ModulePath, $Models, $Images)
            $env:HEATMAPTOOLS_MODEL_PATH = $Models; $env:HEATMAPTOOLS_OFFLINE = '1'; $env:HEATMAPTOOLS_HELD_MB = '1'
            Import-Module $ModulePath
            $changing = Join-Path ([IO.Path]::GetTempPath()) ("hmt-changing-" + [guid]::NewGuid().ToString('N') + '.png')
            # Written, not copied: the shared photos are read-only, and a copy would be too.
            [IO.File]::WriteAllBytes($changing, [IO.File]::ReadAllBytes((Join-Path $Images 'coffee.png')))
            $first = New-CamHeatmap -LiteralPath $changing -Model squeezenet1_1 -NoOverlay
            $all = foreach ($round in 1..3) { Get-ChildItem $Images -Filter *.png | New-CamHeatmap -Model squeezenet1_1 -NoOverlay }
            $info = Get-HeatmapToolsInfo
            # Let go, and its image replaced since: the map cannot be made again as it was.
            [IO.File]::WriteAllBytes($changing, [IO.File]::ReadAllBytes((Join-Path $Images 'chelsea.png')))
            $changed = try { $null = $first.GetMap(); 'no error' } catch { $_.Exception.InnerException.ErrorId }
            Remove-Item $changing -Force
            [pscustomobject]@{
                Held = @($all | ForEach-Object MapHeld); HeldMB = $info.HeldMB; Released = $info.HeldReleased; Changed = $changed
                First = $all[0].Map[100, 100]; FirstAgain = $all[0].Map[100, 100]; Last = $all[-1].Map[100, 100]
                Source = $all[0].SourcePath; Class = $all[0].ClassIndex; LastSource = $all[-1].SourcePath; LastClass = $all[-1].ClassIndex
            }
        }
        $out = Start-Job -ScriptBlock $script -ArgumentList (Resolve-Path $ModulePath).Path, $Models, $Images | Receive-Job -Wait -AutoRemoveJob
        $out.HeldMB | Should -BeLessOrEqual 1
        $out.Released | Should -BeGreaterThan 0
        $out.Held[0] | Should -BeFalse
        $out.Changed | Should -Be 'MapSourceChanged'
        $out.Held[-1] | Should -BeTrue
        # Computed here, where nothing was released: the same numbers.
        (New-CamHeatmap -LiteralPath $out.Source -Model squeezenet1_1 -ClassIndex $out.Class -NoOverlay).Map[100, 100] | Should -Be $out.First
        $out.FirstAgain | Should -Be $out.First
        # The held one was computed in a batch of three, this one alone: equal up to the batch's summation order.
        $last = (New-CamHeatmap -LiteralPath $out.LastSource -Model squeezenet1_1 -ClassIndex $out.LastClass -NoOverlay).Map[100, 100]
        [Math]::Abs($last - $out.Last) | Should -BeLessThan 1e-5
    }

    It 'takes predictions made in another process: no tensors, the file is read again, the same maps and grids' {
        $job = Start-Job -ScriptBlock { param($ModulePath, $Models, $Images)
            $env:HEATMAPTOOLS_MODEL_PATH = $Models; $env:HEATMAPTOOLS_OFFLINE = '1'
            Import-Module $ModulePath
            Get-ChildItem $Images -Filter *.png | Get-ClassPrediction -Model squeezenet1_1 } -ArgumentList (Resolve-Path $ModulePath).Path, $Models, $Images
        $remote = @($job | Receive-Job -Wait -AutoRemoveJob)
        $remote.Count | Should -Be $photos.Count
        $maps = $remote | New-CamHeatmap -NoOverlay
        $local = $photos | New-CamHeatmap -Model squeezenet1_1 -NoOverlay
        for ($i = 0; $i -lt $local.Count; $i++) { Get-MaxDifference $maps[$i].Map $local[$i].Map | Should -Be 0 }
    }

    It 'hands New-CamHeatmap''s held maps to Measure-CamFaithfulness, only when they are the very maps asked for' {
        $maps = $photos | Select-Object -First 2 | New-CamHeatmap -Model squeezenet1_1 -NoOverlay
        $said = @($maps | Measure-CamFaithfulness -CurveSteps 0 -Verbose 4>&1)
        ($said | Where-Object { $_ -is [Management.Automation.VerboseRecord] }).Message | Should -Contain 'GradCAM: 2 of 2 map(s) taken from the piped results, 0 computed.'
        $taken = $said | Where-Object { $_ -isnot [Management.Automation.VerboseRecord] }
        $computed = $photos | Select-Object -First 2 | Measure-CamFaithfulness -Model squeezenet1_1 -CurveSteps 0
        for ($i = 0; $i -lt 2; $i++) { $taken[$i].RoadCombined | Should -Be $computed[$i].RoadCombined }
        # Another method asked for: the piped map is not it, so it is computed.
        $other = @($maps | Measure-CamFaithfulness -Method EigenCAM -CurveSteps 0 -Verbose 4>&1)
        ($other | Where-Object { $_ -is [Management.Automation.VerboseRecord] }).Message | Should -Contain 'EigenCAM: 0 of 2 map(s) taken from the piped results, 2 computed.'
    }

    It 'recognises a held pixel attribution as the map asked for: one key for every command (MapPlan.KeyOf)' {
        $maps = $photos | Select-Object -First 2 | New-CamHeatmap -Model squeezenet1_1 -Method Saliency -NoOverlay
        $said = @($maps | Measure-CamFaithfulness -CurveSteps 0 -Verbose 4>&1)
        ($said | Where-Object { $_ -is [Management.Automation.VerboseRecord] }).Message | Should -Contain 'Saliency: 2 of 2 map(s) taken from the piped results, 0 computed.'
    }
}
