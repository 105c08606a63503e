# Issue 35: a YOLO-style ONNX detector end to end: its detections, their picture, and maps of its boxes.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $data = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../HeatmapTools.Engine.Tests/TestData/detection'))
    $manifest = Get-Content (Join-Path $data 'manifest.json') -Raw | ConvertFrom-Json
    $dir = New-TestFolder
    # The graphs with their settings files (labels, letterbox, no normalisation), as a team ships a model folder.
    Copy-Item (Join-Path $data 'tiny_yolov*.onnx'), (Join-Path $data 'tiny_yolov*.json') $dir
    $v8 = Join-Path $dir 'tiny_yolov8.onnx'
    $v5 = Join-Path $dir 'tiny_yolov5.onnx'
    $photos = 'chelsea.png', 'coffee.png' | ForEach-Object { Join-Path $dir $_ }
}
AfterAll { Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Get-ClassPrediction on a detector' {
    It 'returns each photo''s detections as the reference script''s decode and torchvision''s batched_nms gave them (<Model>)' -TestCases @(
        @{ Model = 'tiny_yolov8' }, @{ Model = 'tiny_yolov5' }
    ) {
        $predictions = $photos | Get-ClassPrediction -Model (Join-Path $dir "$Model.onnx")
        foreach ($p in $predictions) {
            $case = $manifest.models.$Model.cases.([IO.Path]::GetFileNameWithoutExtension($p.Path))
            $p.Detections.Count | Should -Be $case.detections.Count
            for ($k = 0; $k -lt $case.detections.Count; $k++) {
                $want = $case.detections[$k]; $got = $p.Detections[$k]
                $got.ClassIndex | Should -Be $want.class
                $got.Label | Should -Be $want.label
                [math]::Abs($got.Score - $want.score) | Should -BeLessOrEqual 1e-4
                $corners = $got.Box.X1, $got.Box.Y1, $got.Box.X2, $got.Box.Y2
                for ($j = 0; $j -lt 4; $j++) { [math]::Abs($corners[$j] - $want.box[$j]) | Should -BeLessOrEqual 0.01 }
            }
            # One line for Export-Csv and the report.
            ($p.Boxes -split '; ').Count | Should -Be $case.detections.Count
            ($p.Boxes -split '; ')[0] | Should -Be $p.Detections[0].ToString()
            # The ranked classes are each class's best detection score.
            $p.Label | Should -Be $case.detections[0].label
            [math]::Abs($p.Probability - $case.detections[0].score) | Should -BeLessOrEqual 1e-4
        }
    }

    It 'keeps only boxes above -ScoreThreshold, at most -MaxDetections of them, best first' {
        $all = Get-ClassPrediction $photos[1] -Model $v8
        $fewer = Get-ClassPrediction $photos[1] -Model $v8 -ScoreThreshold 0.5 -MaxDetections 3
        $fewer.Detections.Count | Should -Be ([math]::Min(3, @($all.Detections | Where-Object Score -gt 0.5).Count))
        $fewer.Detections | ForEach-Object { $_.Score | Should -BeGreaterThan 0.5 }
        $fewer.Detections[0].Box.ToString() | Should -Be $all.Detections[0].Box.ToString()
    }

    It '-BoxesPath draws the boxes on the photo, and an existing picture is kept without -Force (OutputExists)' {
        $out = Join-Path $dir 'boxes'
        $p = Get-ClassPrediction $photos[0] -Model $v8 -BoxesPath $out
        $p.BoxesFile | Should -Be (Join-Path $out 'chelsea_boxes.png')
        $drawn = Invoke-TestData size $p.BoxesFile
        $drawn | Should -Be (Invoke-TestData size $photos[0])
        (Get-FileHash $p.BoxesFile).Hash | Should -Not -Be (Get-FileHash $photos[0]).Hash
        $before = (Get-Item $p.BoxesFile).LastWriteTimeUtc
        $again = Get-ClassPrediction $photos[0] -Model $v8 -BoxesPath $out -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'OutputExists*'
        $again.BoxesFile | Should -BeNullOrEmpty
        (Get-Item $p.BoxesFile).LastWriteTimeUtc | Should -Be $before
        (Get-ClassPrediction $photos[0] -Model $v8 -BoxesPath $out -Force).BoxesFile | Should -Be $p.BoxesFile
    }

    It 'refuses detector settings for a classifier, and -BoxesPath for it (TargetNotApplicable)' {
        { Get-ClassPrediction $photos[0] -Model squeezenet1_1 -ScoreThreshold 0.5 -ErrorAction Stop } | Should -Throw -ErrorId 'TargetNotApplicable*'
        { Get-ClassPrediction $photos[0] -Model squeezenet1_1 -BoxesPath (Join-Path $dir 'nope') -ErrorAction Stop } | Should -Throw -ErrorId 'TargetNotApplicable*'
    }
}

Describe 'New-CamHeatmap on a detector' {
    It 'explains piped detections, also read back from JSON, as it explains the same boxes typed: the same map, with its boxes' {
        $p = Get-ClassPrediction $photos[1] -Model $v8
        # Two of the detections, as a user keeps those of interest.
        $kept = $p.Detections | Select-Object -Skip 1 -First 2
        $two = $p | Select-Object Path, Model, @{ n = 'Detections'; e = { $kept } }
        $typed = New-CamHeatmap $photos[1] -Model $v8 -Method GradCAM -NoOverlay -ClassIndex $kept.ClassIndex `
            -Box ($kept | ForEach-Object { $_.Box.X1, $_.Box.Y1, $_.Box.X2, $_.Box.Y2 })
        $own = New-CamHeatmap $photos[1] -Model $v8 -Method GradCAM -NoOverlay
        $piped = $two | New-CamHeatmap -Method GradCAM -NoOverlay
        $json = $two | ConvertTo-Json -Depth 6 | ConvertFrom-Json | New-CamHeatmap -Method GradCAM -NoOverlay
        $flat = [float[]]::new($typed.Map.Length); [Buffer]::BlockCopy($typed.Map, 0, $flat, 0, 4 * $flat.Length)
        foreach ($m in $piped, $json) {
            $m.Target | Should -Be 'Box'
            $m.Detections.Count | Should -Be 2
            ($m.Detections | ForEach-Object { $_.Box.ToString() }) -join ';' | Should -Be (($kept | ForEach-Object { $_.Box.ToString() }) -join ';')
            Get-MaxDifference $m.Map $flat | Should -BeLessOrEqual 1e-4
        }
        # The image's own detections are all of them, and another map.
        $own.Detections.Count | Should -Be $p.Detections.Count
        Get-MaxDifference $own.Map $flat | Should -BeGreaterThan 1e-2
    }

    It 'draws the boxes it explains on the overlay' {
        $plain = New-CamHeatmap $photos[0] -Model $v8 -Method EigenCAM -OutputPath (Join-Path $dir 'a.png') -Box 10, 10, 11, 11 -ClassIndex 0 -ErrorAction SilentlyContinue
        $plain | Should -BeNullOrEmpty
        $drawn = New-CamHeatmap $photos[0] -Model $v8 -Method EigenCAM -OutputPath (Join-Path $dir 'b.png')
        # Black and white caption strips above the boxes: a plain blend of the jet colormap has no pure white.
        $white = & /usr/bin/python3 -c "import cv2, sys; print(int((cv2.imread(sys.argv[1]) == 255).all(axis=2).sum()))" $drawn.OutputPath 2>$null
        [int]$white | Should -BeGreaterThan 100
    }

    It 'explains -Box with -ClassIndex, and only the classes asked for among its own detections' {
        $p = Get-ClassPrediction $photos[1] -Model $v8
        $first = $p.Detections[0]
        $typed = New-CamHeatmap $photos[1] -Model $v8 -Method GradCAM -NoOverlay -Box $first.Box.X1, $first.Box.Y1, $first.Box.X2, $first.Box.Y2 -ClassIndex $first.ClassIndex
        $typed.Detections.Count | Should -Be 1
        $typed.Label | Should -Be "$($first.Label) box"
        $class = New-CamHeatmap $photos[1] -Model $v8 -Method GradCAM -NoOverlay -ClassIndex $first.ClassIndex
        $class.Detections.Count | Should -Be @($p.Detections | Where-Object ClassIndex -eq $first.ClassIndex).Count
        $class.ClassIndex | Should -Be $first.ClassIndex
    }

    It '-RenormalizeInBoxes scales the map inside each box on its own and clears it outside; refused for a classifier' {
        $p = Get-ClassPrediction $photos[1] -Model $v8 -ScoreThreshold 0.6
        $m = $p | New-CamHeatmap -Method GradCAM -NoOverlay -RenormalizeInBoxes
        $plain = $p | New-CamHeatmap -Method GradCAM -NoOverlay
        $m.RenormalizeInBoxes | Should -BeTrue
        $rows = $m.Map.GetLength(0); $columns = $m.Map.GetLength(1)
        $sx = $columns / $p.Width; $sy = $rows / $p.Height
        $inside = 0.0; $outside = 0.0
        for ($y = 0; $y -lt $rows; $y++) { for ($x = 0; $x -lt $columns; $x++) {
            $near = @($p.Detections | Where-Object { $x -ge $_.Box.X1 * $sx - 2 -and $x -le $_.Box.X2 * $sx + 2 -and $y -ge $_.Box.Y1 * $sy - 2 -and $y -le $_.Box.Y2 * $sy + 2 }).Count -gt 0
            if ($near) { $inside = [math]::Max($inside, $m.Map[$y, $x]) } else { $outside = [math]::Max($outside, $m.Map[$y, $x]) }
        } }
        $outside | Should -Be 0
        $inside | Should -BeGreaterThan 0.99
        $flat = [float[]]::new($plain.Map.Length); [Buffer]::BlockCopy($plain.Map, 0, $flat, 0, 4 * $flat.Length)
        Get-MaxDifference $m.Map $flat | Should -BeGreaterThan 0.05
        { New-CamHeatmap $photos[0] -Model squeezenet1_1 -NoOverlay -RenormalizeInBoxes -ErrorAction Stop } | Should -Throw -ErrorId 'TargetNotApplicable*'
    }

    It '-PerBox makes a map, a record and a file per box, each the map of that box given alone; refused for a classifier' {
        $p = Get-ClassPrediction $photos[1] -Model $v8 -ScoreThreshold 0.5
        $p.Detections.Count | Should -BeGreaterThan 1
        $out = Join-Path $dir 'perbox'
        New-Item -ItemType Directory $out | Out-Null
        $maps = @($p | New-CamHeatmap -Method LayerCAM -OutputPath $out -PerBox)
        $maps.Count | Should -Be $p.Detections.Count
        for ($k = 0; $k -lt $maps.Count; $k++) {
            $box = $p.Detections[$k]
            $maps[$k].Detections.Count | Should -Be 1
            $maps[$k].Detections[0].Box.ToString() | Should -Be $box.Box.ToString()
            $maps[$k].OutputPath | Should -BeLike "*_box$($k + 1).png"
            Test-Path $maps[$k].OutputPath | Should -BeTrue
            $alone = New-CamHeatmap $photos[1] -Model $v8 -Method LayerCAM -NoOverlay -Box $box.Box.X1, $box.Box.Y1, $box.Box.X2, $box.Box.Y2 -ClassIndex $box.ClassIndex -ScoreThreshold 0.5
            $flat = [float[]]::new($alone.Map.Length); [Buffer]::BlockCopy($alone.Map, 0, $flat, 0, 4 * $flat.Length)
            Get-MaxDifference $maps[$k].Map $flat | Should -BeLessOrEqual 1e-5
        }
        # Layer-CAM weighs each location by its own gradient, so boxes of one class differ too (Grad-CAM's pooled weights need not).
        $second = [float[]]::new($maps[1].Map.Length); [Buffer]::BlockCopy($maps[1].Map, 0, $second, 0, 4 * $second.Length)
        Get-MaxDifference $maps[0].Map $second | Should -BeGreaterThan 1e-2
        { New-CamHeatmap $photos[0] -Model squeezenet1_1 -NoOverlay -PerBox -ErrorAction Stop } | Should -Throw -ErrorId 'TargetNotApplicable*'
    }

    It 'makes a box the model does not output that image''s BoxNotMatched, and one detecting nothing NothingDetected; the rest go on' {
        $maps = New-CamHeatmap $photos -Model $v8 -Method GradCAM -NoOverlay -Box 5, 5, 6, 6 -ClassIndex 0 -ErrorVariable failed -ErrorAction SilentlyContinue
        $maps | Should -BeNullOrEmpty
        $failed.Count | Should -Be 2
        $failed | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'BoxNotMatched*' }
        $failed[0].Exception.Message | Should -BeLike '*class 0 at 5,5,6,6*'
        $none = New-CamHeatmap $photos -Model $v8 -Method GradCAM -NoOverlay -ScoreThreshold 0.95 -ErrorVariable failed -ErrorAction SilentlyContinue
        @($none).Count | Should -Be 1
        $none.SourcePath | Should -Be $photos[1]
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'NothingDetected*'
        $failed[0].Exception.Message | Should -BeLike '*chelsea.png*'
    }

    It 'refuses boxes that are not boxes, a class target of a detector, and a box target of a classifier' {
        { New-CamHeatmap $photos[0] -Model $v8 -NoOverlay -Box 1, 2, 3 -ClassIndex 0 -ErrorAction Stop } | Should -Throw -ErrorId 'BoxInvalid*'
        { New-CamHeatmap $photos[0] -Model $v8 -NoOverlay -Box 10, 10, 5, 20 -ClassIndex 0 -ErrorAction Stop } | Should -Throw -ErrorId 'BoxInvalid*'
        { New-CamHeatmap $photos[0] -Model $v8 -NoOverlay -Box 10, 10, 50, 50 -ErrorAction Stop } | Should -Throw -ErrorId 'BoxInvalid*'
        { New-CamHeatmap $photos[0] -Model $v8 -NoOverlay -Target Logit -ErrorAction Stop } | Should -Throw -ErrorId 'TargetNotApplicable*'
        { New-CamHeatmap $photos[0] -Model squeezenet1_1 -NoOverlay -Target Box -ErrorAction Stop } | Should -Throw -ErrorId 'TargetNotApplicable*'
        { New-CamHeatmap $photos[0] -Model squeezenet1_1 -NoOverlay -Box 1, 2, 3, 4 -ClassIndex 0 -ErrorAction Stop } | Should -Throw -ErrorId 'TargetNotApplicable*'
    }
}

Describe 'The trust cmdlets on a detector' {
    It 'Measure-CamFaithfulness scores the boxes: the original score is each detection''s IoU with itself (1) plus its score' {
        $p = Get-ClassPrediction $photos -Model $v8
        $f = Measure-CamFaithfulness $photos -Model $v8 -Method GradCAM -NoRoad -CurveSteps 4
        foreach ($r in $f) {
            $detections = ($p | Where-Object Path -eq $r.SourcePath).Detections
            $r.Score | Should -Be 'Logit'
            $r.Label | Should -BeLike "*($($detections.Count) boxes)"
            $expected = $detections.Count + ($detections | Measure-Object Score -Sum).Sum
            [math]::Abs($r.OriginalScore - $expected) | Should -BeLessOrEqual (1e-4 * $expected)
            # Deleting every pixel leaves none of the boxes the model found.
            $r.Deletion[0].Score | Should -Be $r.OriginalScore
            $r.Deletion[-1].Score | Should -BeLessThan $r.OriginalScore
        }
        { Measure-CamFaithfulness $photos[0] -Model $v8 -Score Softmax -ErrorAction Stop } | Should -Throw -ErrorId 'TargetNotApplicable*'
    }

    It 'Test-CamSanity re-draws the detector from its head down (the copy starting as the graph) and names the boxes' {
        $s = Test-CamSanity $photos[1] -Model $v8 -Method EigenCAM -WarningAction SilentlyContinue
        $s.Label | Should -BeLike '*boxes)'
        $s.Steps.Count | Should -BeGreaterThan 2
        # Each stage re-drawn moves the map further from the trained one.
        $s.Steps[0].Spearman | Should -BeLessThan 0.99
        ($s.Steps | ForEach-Object Spearman | Select-Object -Unique).Count | Should -BeGreaterThan 1
    }
}

