BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:folder = New-TestFolder
    # The released SqueezeNet and a candidate whose classifier was re-initialised (seeded): the features are the same,
    # the class projection is not.
    $script:released = Join-Path $Models 'squeezenet1_1.pth'
    $script:retrained = Join-Path $folder 'retrained_head.pth'
    & /usr/bin/python3 -c @"
import sys, torch, torchvision
m = torchvision.models.squeezenet1_1()
m.load_state_dict(torch.load(sys.argv[1]))
torch.manual_seed(4)
torch.nn.init.normal_(m.classifier[1].weight, std=0.01)
torch.save(m.state_dict(), sys.argv[2])
"@ $released $retrained
    if ($LASTEXITCODE -ne 0) { throw 'PyTorch could not write the candidate weights.' }
    $script:photos = (Get-ChildItem $folder -Filter *.png).FullName
}
AfterAll { Remove-Item $folder -Recurse -Force }

Describe 'Compare-CamHeatmap' {
    It 'finds the same weights identical: Spearman and SSIM 1, no prediction changed' {
        $same = Compare-CamHeatmap -LiteralPath $photos -Model squeezenet1_1 -ReferenceWeights $released -DifferenceWeights (Join-Path $Models 'squeezenet1_1.safetensors')
        @($same).Count | Should -Be $photos.Count
        foreach ($r in $same) {
            $r.Spearman | Should -BeGreaterThan 0.99999
            $r.Ssim | Should -BeGreaterThan 0.99999
            $r.PredictionChanged | Should -BeFalse
            $r.DifferenceProbability | Should -Be $r.ReferenceProbability
        }
    }

    It 'runs a batch through each model once, and finds what each model alone predicts and maps' {
        $before = (Get-HeatmapToolsInfo).ForwardPasses
        $each = Compare-CamHeatmap -LiteralPath $photos -Model squeezenet1_1 -ReferenceWeights $released -DifferenceWeights $retrained
        # One pass a model for the batch (it was four an image: two predictions and two maps).
        ((Get-HeatmapToolsInfo).ForwardPasses - $before) | Should -Be 2
        $reference = $photos | Get-ClassPrediction -Model squeezenet1_1 -WeightsPath $released -Top 1000
        $candidate = $photos | Get-ClassPrediction -Model squeezenet1_1 -WeightsPath $retrained -Top 1000
        for ($i = 0; $i -lt $photos.Count; $i++) {
            $each[$i].Path | Should -Be $photos[$i]
            $each[$i].ClassIndex | Should -Be $reference[$i].ClassIndex
            $each[$i].ReferenceProbability | Should -BeGreaterThan ($reference[$i].Probability - 1e-5)
            $each[$i].ReferenceProbability | Should -BeLessThan ($reference[$i].Probability + 1e-5)
            # The candidate's probability of the reference's class, and its own top class.
            $own = $candidate[$i].Predictions | Where-Object ClassIndex -eq $each[$i].ClassIndex
            [Math]::Abs($each[$i].DifferenceProbability - $own.Probability) | Should -BeLessThan 1e-5
            $each[$i].DifferenceClass | Should -Be $candidate[$i].ClassIndex
            # Compared alone, the image's maps agree as they did in the batch.
            $again = Compare-CamHeatmap -LiteralPath $photos[$i] -Model squeezenet1_1 -ReferenceWeights $released -DifferenceWeights $retrained
            [Math]::Abs($again.Spearman - $each[$i].Spearman) | Should -BeLessThan 1e-4
        }
    }

    It 'reads -Layer as New-CamHeatmap does: a comma-joined value as its layers, an unknown layer named before any work' {
        $listed = Compare-CamHeatmap -LiteralPath $photos[0] -Model squeezenet1_1 -ReferenceWeights $released -DifferenceWeights $retrained -Layer features.11, features.12
        $joined = Compare-CamHeatmap -LiteralPath $photos[0] -Model squeezenet1_1 -ReferenceWeights $released -DifferenceWeights $retrained -Layer 'features.11,features.12'
        $joined.Spearman | Should -Be $listed.Spearman
        $joined.Ssim | Should -Be $listed.Ssim
        $before = (Get-HeatmapToolsInfo).ForwardPasses
        { Compare-CamHeatmap -LiteralPath $photos -Model squeezenet1_1 -ReferenceWeights $released -DifferenceWeights $retrained -Layer features.99 -ErrorAction Stop } |
            Should -Throw -ErrorId 'UnknownLayer*'
        (Get-HeatmapToolsInfo).ForwardPasses | Should -Be $before
    }

    It 'finds a re-initialised head far off, and its summary fails the release gate' {
        $each = Compare-CamHeatmap -LiteralPath $photos -Model squeezenet1_1 -ReferenceWeights $released -DifferenceWeights $retrained -PlotPath (Join-Path $folder 'compare')
        foreach ($r in $each) {
            # The figure: a caption strip over the two overlays, each the photo's own size.
            $size = (Invoke-TestData size $r.PlotPath) -split 'x'
            $photo = (Invoke-TestData size $r.Path) -split 'x'
            [int]$size[0] | Should -Be (2 * [int]$photo[0])
            [int]$size[1] | Should -Be (24 + [int]$photo[1])
        }
        $summary = Compare-CamHeatmap -LiteralPath $photos -Model squeezenet1_1 -ReferenceWeights $released -DifferenceWeights $retrained -Summary
        $summary.Images | Should -Be $photos.Count
        $summary.PredictionChanges | Should -BeGreaterThan 0
        $summary.MeanSpearman | Should -BeLessThan 0.9
        $summary.WorstImage | Should -BeIn $photos
        $gate = New-PesterContainer -Path (Join-Path $PSScriptRoot '../../examples/ModelReleaseGate.Tests.ps1') -Data @{
            Images = $photos; Model = 'squeezenet1_1'; ReferenceWeights = $released; DifferenceWeights = $retrained }
        $run = Invoke-Pester -Container $gate -PassThru -Output None
        $run.FailedCount | Should -BeGreaterThan 0
        # The metric gates: a candidate that explains differently fails them; one tolerance wide enough passes.
        $metricGate = Invoke-Pester -Container (New-PesterContainer -Path (Join-Path $PSScriptRoot '../../examples/ModelReleaseGate.Tests.ps1') -Data @{
            Images = $photos; Model = 'squeezenet1_1'; ReferenceWeights = $released; DifferenceWeights = $retrained
            MetricTolerance = @{ Sparseness = 0.001; Complexity = 100 } }) -PassThru -Output None
        @($metricGate.Failed.ExpandedName) | Should -Contain 'explains as the released model does by Sparseness (means within 0.001)'
        @($metricGate.Passed.ExpandedName) | Should -Contain 'explains as the released model does by Complexity (means within 100)'
        $pass = Invoke-Pester -Container (New-PesterContainer -Path (Join-Path $PSScriptRoot '../../examples/ModelReleaseGate.Tests.ps1') -Data @{
            Images = $photos; Model = 'squeezenet1_1'; ReferenceWeights = $released; DifferenceWeights = (Join-Path $Models 'squeezenet1_1.safetensors') }) -PassThru -Output None
        $pass.FailedCount | Should -Be 0
        $pass.PassedCount | Should -Be 5 -Because 'three gates and two metric gates (Complexity, Sparseness)'
    }

    It 'gates on any two of Quantus''s metrics: each model''s values as Measure-Explanation gives them, the retrained head out of tolerance' {
        $tolerance = @{ Sparseness = 0.05; Complexity = 0.05 }
        $same = Compare-CamHeatmap -LiteralPath $photos -Model squeezenet1_1 -ReferenceWeights $released -DifferenceWeights (Join-Path $Models 'squeezenet1_1.safetensors') -MetricTolerance $tolerance -Summary
        $same.MetricsPassed | Should -BeTrue
        @($same.Metrics).Count | Should -Be 2
        foreach ($m in $same.Metrics) { $m.Change | Should -Be 0 -Because "$($m.Metric) of the same weights" }
        $each = Compare-CamHeatmap -LiteralPath $photos -Model squeezenet1_1 -ReferenceWeights $released -DifferenceWeights $retrained -Metric Sparseness, PixelFlipping
        foreach ($r in $each) {
            $before = Measure-Explanation -LiteralPath $r.Path -Model squeezenet1_1 -WeightsPath $released -ClassIndex $r.ClassIndex -Metric Sparseness, PixelFlipping
            $after = Measure-Explanation -LiteralPath $r.Path -Model squeezenet1_1 -WeightsPath $retrained -ClassIndex $r.ClassIndex -Metric Sparseness, PixelFlipping
            # Compare-CamHeatmap maps the batch together, Measure-Explanation this image alone: float rounding only (7e-9 seen in
            # Sparseness; 3e-6 in PixelFlipping, whose order of near-equal pixels the rounding can swap).
            $r.ReferenceMetrics.Sparseness | Should -BeLessThan ($before.Sparseness + 1e-6)
            $r.ReferenceMetrics.Sparseness | Should -BeGreaterThan ($before.Sparseness - 1e-6)
            $r.DifferenceMetrics.PixelFlipping | Should -BeLessThan ($after.PixelFlipping + 1e-4)
            $r.DifferenceMetrics.PixelFlipping | Should -BeGreaterThan ($after.PixelFlipping - 1e-4)
        }
        $gate = Compare-CamHeatmap -LiteralPath $photos -Model squeezenet1_1 -ReferenceWeights $released -DifferenceWeights $retrained -MetricTolerance $tolerance -Summary
        $gate.MetricsPassed | Should -BeFalse
        ($gate.Metrics | Where-Object Passed -eq $false).Metric | Should -Contain 'Sparseness'
        { Compare-CamHeatmap -LiteralPath $photos -Model squeezenet1_1 -ReferenceWeights $released -DifferenceWeights $retrained -MetricTolerance @{ PointingGame = 0.1 } -ErrorAction Stop } |
            Should -Throw -ErrorId 'ExplanationSettingInvalid*'
    }

    It 'compares two sets of New-CamHeatmap results as it compares the weights that made them' {
        $old = New-CamHeatmap -LiteralPath $photos -Model squeezenet1_1 -WeightsPath $released -NoOverlay -OutputPath (Join-Path $folder 'old/{name}.png')
        # The candidate's maps of the class the released model ranked first, as the weights comparison explains them.
        $new = foreach ($o in $old) {
            New-CamHeatmap -LiteralPath $o.SourcePath -ClassIndex $o.ClassIndex -Model squeezenet1_1 -WeightsPath $retrained -NoOverlay -OutputPath (Join-Path $folder 'new/{name}.png')
        }
        $viaMaps = Compare-CamHeatmap -Reference $old -Difference $new
        $viaWeights = Compare-CamHeatmap -LiteralPath $photos -Model squeezenet1_1 -ReferenceWeights $released -DifferenceWeights $retrained
        @($viaMaps).Count | Should -Be $photos.Count
        foreach ($m in $viaMaps) {
            $w = $viaWeights | Where-Object Path -eq $m.Path
            [math]::Abs($m.Spearman - $w.Spearman) | Should -BeLessThan 1e-6 -Because "both compare the maps of $($m.Path) for the released model's top class"
            $m.ReferenceProbability | Should -BeNullOrEmpty
        }
        (Compare-CamHeatmap -Reference $old -Difference $old -Summary).MinSpearman | Should -BeGreaterThan 0.99999
        $r = Compare-CamHeatmap -Reference $old -Difference $new[0] -ErrorVariable failed -ErrorAction SilentlyContinue
        @($r).Count | Should -Be 1
        $failed.Count | Should -Be ($photos.Count - 1)
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'MapsNotComparable*'
        # The other way round: maps only among -Difference are named too, not dropped without a word.
        $r = Compare-CamHeatmap -Reference $old[0] -Difference $new -ErrorVariable failed -ErrorAction SilentlyContinue
        @($r).Count | Should -Be 1
        $failed.Count | Should -Be ($photos.Count - 1)
        $failed | ForEach-Object { $_.Exception.Message | Should -Match 'among -Reference' }
    }

    It 'refuses weights of another head and names an unreadable image' {
        $other = Join-Path $folder 'resnet18.pth'
        & /usr/bin/python3 -c "import sys, torch, torchvision; torch.save(torchvision.models.resnet18().state_dict(), sys.argv[1])" $other
        { Compare-CamHeatmap -LiteralPath $photos[0] -Model squeezenet1_1 -ReferenceWeights $released -DifferenceWeights $other -ErrorAction Stop } |
            Should -Throw -ErrorId 'WeightsMismatch*'
        $broken = Join-Path $folder 'broken.png'; Set-Content $broken 'not an image'
        $r = Compare-CamHeatmap -LiteralPath $broken, $photos[0] -Model squeezenet1_1 -ReferenceWeights $released -DifferenceWeights $released -ErrorVariable failed -ErrorAction SilentlyContinue
        @($r).Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'ImageUnreadable*'
    }
}
