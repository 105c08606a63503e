BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:SegmentationData = Join-Path $PSScriptRoot '../HeatmapTools.Engine.Tests/TestData/segmentation'
    # Seeded torchvision segmenters, written by tests/reference/make_segmentation_references.py weights (build.ps1 -Task Test).
    $zoo = if ($env:HEATMAPTOOLS_ZOO_WEIGHTS) { $env:HEATMAPTOOLS_ZOO_WEIGHTS } else { Join-Path $PSScriptRoot '../../output/zoo-weights' }
    $script:Deeplab = Join-Path $zoo 'deeplabv3_resnet50_seed1.pth'
    $script:Fcn = Join-Path $zoo 'fcn_resnet50_seed1.pth'

    # Pascal VOC's palette, written out here from its definition (category bits spread over R, G, B, high bits first).
    function Get-VocColor([int] $Category) {
        $r = 0; $g = 0; $b = 0; $c = $Category
        foreach ($shift in 7..0) {
            $r = $r -bor (($c -band 1) -shl $shift)
            $g = $g -bor ((($c -shr 1) -band 1) -shl $shift)
            $b = $b -bor ((($c -shr 2) -band 1) -shl $shift)
            $c = $c -shr 3
        }
        "$b,$g,$r"
    }
}

Describe 'Segmentation models' {
    BeforeAll { $folder = New-TestFolder }
    AfterAll { Remove-Item $folder -Recurse -Force }

    It 'explains a category over a rectangle as pytorch-grad-cam''s SemanticSegmentationTarget, and records the region' {
        $manifest = Get-Content (Join-Path $SegmentationData 'manifest.json') -Raw | ConvertFrom-Json
        $case = $manifest.cases | Where-Object { $_.model -eq 'fcn_resnet50' -and $_.region -eq 'rect' -and $_.method -eq 'GradCAM' }
        $map = New-CamHeatmap -LiteralPath (Join-Path $folder 'chelsea.png') -Model fcn_resnet50 -WeightsPath $Fcn -InputSize "$($case.width),$($case.height)" `
            -ClassIndex $case.category -Region $case.rect -NoOverlay
        $map.Target | Should -Be 'Segment'
        $map.Region | Should -Be $case.rect
        $map.Label | Should -BeLike "* in $($case.rect -join ',')"
        $map.ClassIndex | Should -Be $case.category
        $map.Layer | Should -Be 'backbone.layer4.2'
        Get-MaxDifference $map.Map (Read-Npy (Join-Path $SegmentationData "$($case.case).npy")) | Should -BeLessOrEqual 1e-4
    }

    It 'ranks categories by their share of the pixels, draws them with a legend, and pipes the top one to New-CamHeatmap' {
        $p = Get-ClassPrediction -LiteralPath (Join-Path $folder 'chelsea.png') -Model deeplabv3_resnet50 -WeightsPath $Deeplab -InputSize 96 -SegmentsPath (Join-Path $folder 'segments')
        $shares = $p.PixelShares -split '; ' | ForEach-Object { [double]($_ -split '=')[1] }
        ($shares | Measure-Object -Sum).Sum | Should -BeGreaterThan 0.998
        $p.Probability | Should -Be ($p.Predictions[0].Probability)
        $p.Label | Should -Be (($p.PixelShares -split '; ')[0] -split '=')[0]
        $p.NumClasses | Should -Be 21
        # The photo is 451 pixels wide; the legend beside it; its first swatch is the top category's VOC colour.
        (Invoke-TestData size $p.SegmentsFile) | Should -Match '^671x'
        Invoke-TestData pixel $p.SegmentsFile 464 13 | Should -Be (Get-VocColor $p.ClassIndex)
        $map = $p | New-CamHeatmap -NoOverlay
        $map.Target | Should -Be 'Segment'
        $map.ClassIndex | Should -Be $p.ClassIndex
        $map.Label | Should -Be "$($p.Label) in its pixels"
        { $p | Get-ClassPrediction -SegmentsPath (Join-Path $folder 'segments') -ErrorAction Stop } | Should -Throw -ErrorId 'OutputExists*'
        # Two photos of one name from two folders would write one file: the second is refused, -Force or not.
        $twin = New-Item -ItemType Directory (Join-Path $folder 'twin')
        Copy-Item (Join-Path $folder 'coffee.png') (Join-Path $twin 'chelsea.png')
        $both = Get-ClassPrediction -LiteralPath (Join-Path $folder 'chelsea.png'), (Join-Path $twin 'chelsea.png') -Model deeplabv3_resnet50 -WeightsPath $Deeplab `
            -InputSize 64 -SegmentsPath (Join-Path $folder 'twins') -Force -ErrorVariable repeated -ErrorAction SilentlyContinue
        @($both).Count | Should -Be 2
        @($both.SegmentsFile | Where-Object { $_ }).Count | Should -Be 1
        $repeated.Count | Should -Be 1
        $repeated[0].FullyQualifiedErrorId | Should -BeLike 'OutputNameRepeated*'
    }

    It 'refuses what a segmenter cannot answer, and segmentation options on a classifier' {
        $photo = Join-Path $folder 'chelsea.png'
        $common = @{ Model = 'deeplabv3_resnet50'; WeightsPath = $Deeplab; InputSize = 64; NoOverlay = $true; ErrorAction = 'Stop' }
        { New-CamHeatmap -LiteralPath $photo @common -Target Softmax } | Should -Throw -ErrorId 'TargetNotApplicable*'
        { New-CamHeatmap -LiteralPath $photo @common -RegionMask (Join-Path $folder 'coffee.png') -ClassIndex 8 } | Should -Throw -ErrorId 'TargetNotApplicable*'
        { New-CamHeatmap -LiteralPath $photo @common -Region 0, 0, 10, 10 -ReferenceImage $photo } | Should -Throw -ErrorId 'TargetNotApplicable*'
        { Measure-CamFaithfulness -LiteralPath $photo -Model deeplabv3_resnet50 -WeightsPath $Deeplab -InputSize 64 -NoRoad -CurveSteps 2 -ErrorAction Stop } |
            Should -Throw -ErrorId 'TargetNotApplicable*'
        { New-CamHeatmap -LiteralPath $photo -Model squeezenet1_1 -Region 0, 0, 10, 10 -NoOverlay -ErrorAction Stop } | Should -Throw -ErrorId 'TargetNotApplicable*'
        { Get-ClassPrediction -LiteralPath $photo -Model squeezenet1_1 -SegmentsPath (Join-Path $folder 'nope') -ErrorAction Stop } | Should -Throw -ErrorId 'TargetNotApplicable*'
        Test-Path (Join-Path $folder 'nope') | Should -BeFalse
    }

    It 'explains a category over a mask image of the photo''s size' {
        $manifest = Get-Content (Join-Path $SegmentationData 'manifest.json') -Raw | ConvertFrom-Json
        $case = $manifest.cases | Where-Object { $_.model -eq 'deeplabv3_resnet50' -and $_.region -eq 'mask' -and $_.method -eq 'LayerCAM' }
        $map = New-CamHeatmap -LiteralPath (Join-Path $folder 'chelsea.png') -Model deeplabv3_resnet50 -WeightsPath $Deeplab -InputSize "$($case.width),$($case.height)" `
            -ClassIndex $case.category -RegionMask (Join-Path $SegmentationData 'region_mask.png') -Method LayerCAM -NoOverlay
        $map.RegionMask | Should -BeLike '*region_mask.png'
        $map.Label | Should -BeLike '* in region_mask.png'
        Get-MaxDifference $map.Map (Read-Npy (Join-Path $SegmentationData "$($case.case).npy")) | Should -BeLessOrEqual 1e-4
    }

    It 'makes a target over no pixel that image''s error, not a blank map, and the other images go on' {
        $photos = (Join-Path $folder 'chelsea.png'), (Join-Path $folder 'coffee.png')
        $out = Join-Path $folder 'nothing'
        $common = @{ Model = 'fcn_resnet50'; WeightsPath = $Fcn; InputSize = 64; ClassIndex = 3; OutputPath = "$out/" }
        # A rectangle outside both photos.
        $maps = New-CamHeatmap -LiteralPath $photos @common -Region 5000, 5000, 10, 10 -ErrorVariable failed -ErrorAction SilentlyContinue
        $maps | Should -BeNullOrEmpty
        $failed.Count | Should -Be 2
        $failed | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'TargetSelectsNothing*' }
        $failed[0].Exception.Message | Should -Match 'chelsea\.png.*5000,5000,10,10'
        Test-Path $out | Should -BeFalse -Because 'no overlay of nothing is written'
        # A rectangle smaller than one network pixel, between their centres.
        { New-CamHeatmap -LiteralPath $photos[0] @common -Region 0, 0, 1, 1 -ErrorAction Stop } | Should -Throw -ErrorId 'TargetSelectsNothing*'

        # An all-zero mask of the photo's size; then a mask of chelsea's size for both photos: coffee's is its own error.
        $blank = Join-Path $folder 'blank_mask.png'; $full = Join-Path $folder 'full_mask.png'
        & vips black $blank 451 300; & vips linear $blank $full 1 255 --uchar
        { New-CamHeatmap -LiteralPath $photos[0] @common -RegionMask $blank -ErrorAction Stop } | Should -Throw -ErrorId 'TargetSelectsNothing*'
        $maps = New-CamHeatmap -LiteralPath $photos @common -RegionMask $full -NoOverlay -ErrorVariable failed -ErrorAction SilentlyContinue
        @($maps).Count | Should -Be 1
        $maps.SourcePath | Should -Be $photos[0]
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'TargetNotApplicable*'
        $failed[0].Exception.Message | Should -Match 'coffee\.png'
    }

    It 'refuses an explicit -Target Logit on a segmentation model rather than explaining a segment' {
        { New-CamHeatmap -LiteralPath (Join-Path $folder 'chelsea.png') -Model fcn_resnet50 -WeightsPath $Fcn -InputSize 64 -Target Logit -NoOverlay -ErrorAction Stop } |
            Should -Throw -ErrorId 'TargetNotApplicable*'
    }
}
