# Issue 35: torchvision's Faster R-CNN through the cmdlets: detections as torchvision gives them, the photo taken whole,
# COCO's names, torchvision's own defaults, and maps of the boxes (references: tests/reference/make_rcnn_references.py).
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $zoo = if ($env:HEATMAPTOOLS_ZOO_WEIGHTS) { $env:HEATMAPTOOLS_ZOO_WEIGHTS } else { Join-Path $PSScriptRoot '../../output/zoo-weights' }
    $data = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../HeatmapTools.Engine.Tests/TestData/rcnn'))
    $manifest = Get-Content (Join-Path $data 'manifest.json') -Raw | ConvertFrom-Json
    $model = 'fasterrcnn_mobilenet_v3_large_320_fpn'
    $weights = Join-Path $zoo "$($model)_seed1.pth"
    $dir = New-TestFolder
    $coffee = Join-Path $dir 'coffee.png'
}
AfterAll { Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'A torchvision Faster R-CNN through the cmdlets' {
    It 'finds torchvision''s detections at -ScoreThreshold 0, named by COCO''s categories, boxes in the photo''s pixels' {
        $case = $manifest.models.$model.cases | Where-Object photo -eq 'coffee'
        $p = Get-ClassPrediction $coffee -Model $model -WeightsPath $weights -ScoreThreshold 0
        $p.Detections.Count | Should -Be $case.boxes.Count
        for ($k = 0; $k -lt 10; $k++) {
            $got = $p.Detections[$k]
            $got.ClassIndex | Should -Be $case.labels[$k]
            [math]::Abs($got.Score - $case.scores[$k]) | Should -BeLessOrEqual 1e-3
            $corners = $got.Box.X1, $got.Box.Y1, $got.Box.X2, $got.Box.Y2
            for ($j = 0; $j -lt 4; $j++) { [math]::Abs($corners[$j] - $case.boxes[$k][$j]) | Should -BeLessOrEqual 0.5 }
        }
        $p.Detections[0].Label | Should -Be 'fork'    # COCO's category 48, as torchvision's weights name it
    }

    It 'keeps torchvision''s own score threshold (0.05) when none is given, and the one given otherwise' {
        # chelsea's scores on the seeded model lie between 0.05 and 0.1: YOLO's 0.25 would find nothing.
        $cat = $manifest.models.$model.cases | Where-Object photo -eq 'chelsea'
        $default = Get-ClassPrediction (Join-Path $dir 'chelsea.png') -Model $model -WeightsPath $weights
        $default.Detections.Count | Should -Be @($cat.scores | Where-Object { $_ -gt 0.05 }).Count
        $default.Detections.Count | Should -BeGreaterThan 0
        $case = $manifest.models.$model.cases | Where-Object photo -eq 'coffee'
        $strict = Get-ClassPrediction $coffee -Model $model -WeightsPath $weights -ScoreThreshold 0.9 -MaxDetections 5
        $strict.Detections.Count | Should -Be ([math]::Min(5, @($case.scores | Where-Object { $_ -gt 0.9 }).Count))
        $strict.Detections.Score | ForEach-Object { $_ | Should -BeGreaterThan 0.9 }
    }

    It 'writes a map of its boxes over the photo, the boxes drawn, with piped detections' {
        $p = Get-ClassPrediction $coffee -Model $model -WeightsPath $weights -ScoreThreshold 0.9
        $r = $p | New-CamHeatmap -Method EigenCAM -OutputPath (Join-Path $dir '{name}_{method}.png')
        $r.Target | Should -Be 'Box'
        $r.Layer | Should -Be 'backbone'
        $r.Detections.Count | Should -Be $p.Detections.Count
        Test-Path $r.OutputPath | Should -BeTrue
        # The overlay is the photo's size: the map was placed on the photo, not left on the padded batch.
        $grid = $r.GetMap()
        $grid.GetLength(0), $grid.GetLength(1) | Should -Be @(400, 600)
    }

    It 'judges its box maps: faithfulness on the box score, and the sanity cascade re-drawing the heads, then the backbone' {
        $map = New-CamHeatmap $coffee -Model $model -WeightsPath $weights -Method GradCAM -NoOverlay -ScoreThreshold 0.9
        $f = $map | Measure-CamFaithfulness -CurveSteps 8 -NoRoad
        $f.OriginalScore | Should -BeGreaterThan 0
        $f.DropInConfidence | Should -BeGreaterThan 0
        # A re-drawn detector outputs other boxes (or none): its boxes are matched there by IoU, and none matching is no crash.
        $s = Test-CamSanity $coffee -Model $model -WeightsPath $weights -Method GradCAM -ScoreThreshold 0.9 -WarningAction SilentlyContinue
        $s.Steps.Count | Should -Be 2
    }

    It 'refuses a class-score target: a detector''s maps explain boxes' {
        { New-CamHeatmap $coffee -Model $model -WeightsPath $weights -NoOverlay -Target Logit -ErrorAction Stop } | Should -Throw -ErrorId 'TargetNotApplicable*'
    }
}
