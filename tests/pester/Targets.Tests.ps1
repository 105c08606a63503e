BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:TargetData = Join-Path $PSScriptRoot '../HeatmapTools.Engine.Tests/TestData/targets'
}

Describe 'What a map explains (-Target)' {
    BeforeAll { $folder = New-TestFolder }
    AfterAll { Remove-Item $folder -Recurse -Force }

    It 'explains a class''s softmax as pytorch-grad-cam''s ClassifierOutputSoftmaxTarget, named and recorded apart from its logit map' {
        $both = Join-Path $folder 'gradcam_both.png'
        $logit = New-CamHeatmap -LiteralPath $both -Model squeezenet1_1 -ClassIndex 281
        $softmax = New-CamHeatmap -LiteralPath $both -Model squeezenet1_1 -ClassIndex 281 -Target Softmax
        $softmax.Target | Should -Be 'Softmax'
        $logit.Target | Should -Be 'Logit'
        Split-Path $softmax.OutputPath -Leaf | Should -Be 'gradcam_both_cam_softmax.png'
        Split-Path $logit.OutputPath -Leaf | Should -Be 'gradcam_both_cam.png'
        $reference = Read-Npy (Join-Path $TargetData 'squeezenet1_1_softmax281_both_GradCAM.npy')
        Get-MaxDifference $softmax.Map $reference | Should -BeLessOrEqual 1e-4
        Get-MaxDifference $logit.Map $reference | Should -BeGreaterThan 1e-3
    }

    It 'passes the target on with the result, and reads a symbolic link''s Target as the file it is, not as -Target' {
        $both = Join-Path $folder 'gradcam_both.png'
        $softmax = New-CamHeatmap -LiteralPath $both -Model squeezenet1_1 -ClassIndex 281 -Target Softmax -NoOverlay
        # The held map is taken only when its key (target included) is the very map asked for.
        $judged = $softmax | Measure-CamFaithfulness -NoRoad -CurveSteps 0 -Verbose 4>&1
        ($judged | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Contain 'GradCAM: 1 of 1 map(s) taken from the piped results, 0 computed.'
        $link = Join-Path $folder 'link.png'
        New-Item -ItemType SymbolicLink -Path $link -Target $both | Out-Null
        $viaLink = Get-Item $link | New-CamHeatmap -Model squeezenet1_1 -NoOverlay
        $viaLink.Target | Should -Be 'Logit'
    }

    It 'sums classes into one map with -Target Sum, labelled by them all' {
        $sum = New-CamHeatmap -LiteralPath (Join-Path $folder 'gradcam_both.png') -Model squeezenet1_1 -ClassIndex 281, 243 -Target Sum -NoOverlay
        @($sum).Count | Should -Be 1
        $sum.Label | Should -Match '\+'
        Get-MaxDifference $sum.Map (Read-Npy (Join-Path $TargetData 'squeezenet1_1_sum281_243_both_GradCAM.npy')) | Should -BeLessOrEqual 1e-4
        $layer = New-CamHeatmap -LiteralPath (Join-Path $folder 'gradcam_both.png') -Model squeezenet1_1 -ClassIndex 281, 243 -Target Sum -Method LayerCAM -NoOverlay
        Get-MaxDifference $layer.Map (Read-Npy (Join-Path $TargetData 'squeezenet1_1_sum281_243_both_LayerCAM.npy')) | Should -BeLessOrEqual 1e-4
    }

    It 'explains a one-logit head''s negative call with -Target Negative, the mirror of its positive map' {
        $photo = Join-Path $folder 'coffee.png'
        $common = @{ LiteralPath = $photo; Model = 'resnet18'; Weights = 'Random'; Seed = 4; NumClasses = 1; Method = 'LayerCAM'; NoOverlay = $true }
        $positive = New-CamHeatmap @common
        $negative = New-CamHeatmap @common -Target Negative
        $positive.Target, $negative.Target | Should -Be 'Logit', 'Negative'
        $negative.Label | Should -Be "not $($positive.Label)"
        $negative.Score | Should -Be (-$positive.Score)
        Get-MaxDifference $negative.Map ([HeatmapTools.CamHeatmap]::Flatten($positive.Map)) | Should -BeGreaterThan 0.1
    }

    It 'shows what makes an image look like -ReferenceImage, and passes the comparison on to Test-CamSanity' {
        $similar = New-CamHeatmap -LiteralPath (Join-Path $folder 'chelsea.png') -Model squeezenet1_1 -ReferenceImage (Join-Path $folder 'coffee.png') -NoOverlay
        $similar.Target | Should -Be 'Similarity'
        $similar.ClassIndex | Should -Be -1
        $similar.Label | Should -Be 'similar to coffee.png'
        $similar.ReferenceImage | Should -Be (Join-Path $folder 'coffee.png')
        Get-MaxDifference $similar.Map (Read-Npy (Join-Path $TargetData 'squeezenet1_1_similarity_coffee_chelsea_GradCAM.npy')) | Should -BeLessOrEqual 1e-4
        # Piped on, the sanity check asks every randomised model the same question (the similarity to coffee.png).
        $sanity = $similar | Test-CamSanity -MaxSteps 2
        $sanity.Label | Should -Be 'similar to coffee.png'
        $sanity.Steps.Count | Should -Be 2
        # The faithfulness measures score one class, so they refuse a similarity map instead of judging it by another score.
        { $similar | Measure-CamFaithfulness -ErrorAction Stop } | Should -Throw -ErrorId 'TargetNotApplicable,HeatmapTools.Commands.MeasureCamFaithfulnessCommand'
    }

    It 'refuses what a model or method cannot answer, naming the kinds it knows' {
        $photo = Join-Path $folder 'chelsea.png'
        { New-CamHeatmap -LiteralPath $photo -Model squeezenet1_1 -Target Negative -NoOverlay -ErrorAction Stop } |
            Should -Throw -ErrorId 'TargetNotApplicable,HeatmapTools.Commands.NewCamHeatmapCommand' -ExpectedMessage '*one-logit*'
        { New-CamHeatmap -LiteralPath $photo -Model squeezenet1_1 -Method CAM -Target Softmax -NoOverlay -ErrorAction Stop } |
            Should -Throw -ErrorId 'TargetNotApplicable,HeatmapTools.Commands.NewCamHeatmapCommand'
        { New-CamHeatmap -LiteralPath $photo -Model squeezenet1_1 -Target Similarity -NoOverlay -ErrorAction Stop } |
            Should -Throw -ErrorId 'TargetNotApplicable,HeatmapTools.Commands.NewCamHeatmapCommand' -ExpectedMessage '*-ReferenceImage*'
        { New-CamHeatmap -LiteralPath $photo -Model squeezenet1_1 -Target Softmx -NoOverlay -ErrorAction Stop } |
            Should -Throw -ErrorId 'UnknownTarget,HeatmapTools.Commands.NewCamHeatmapCommand' -ExpectedMessage "*Did you mean 'Softmax'*"
        (TabExpansion2 'New-CamHeatmap -Target S' 24).CompletionMatches.CompletionText | Should -Be 'Segment', 'Similarity', 'Softmax', 'Sum'
        # Nothing was written by the refused runs.
        @(Get-ChildItem $folder -Filter 'chelsea_cam*').Count | Should -Be 0
    }
}

Describe 'Choosing targets costs no pass of its own' {
    BeforeAll {
        $folder = New-TestFolder
        $photos = @(Get-ChildItem $folder -Filter *.png)
        # Passes of a batch through a network's input, counted by the engine: how many a run made.
        function Measure-Passes([scriptblock] $run) {
            $before = (Get-HeatmapToolsInfo).ForwardPasses
            $null = & $run
            (Get-HeatmapToolsInfo).ForwardPasses - $before
        }
    }
    AfterAll { Remove-Item $folder -Recurse -Force }

    It 'makes a batch''s <Target> maps of their top class in the one pass that makes the maps' -ForEach @(
        @{ Target = 'Logit' }, @{ Target = 'Softmax' }, @{ Target = 'Sum' }
    ) {
        $maps = $null
        Measure-Passes { $script:maps = $photos | New-CamHeatmap -Model squeezenet1_1 -Target $Target -NoOverlay } | Should -Be 1
        $script:maps.Count | Should -Be $photos.Count
        $script:maps.Target | Sort-Object -Unique | Should -Be $Target
        # The class each map explains is the one its image's logits rank first.
        $top = $photos | Get-ClassPrediction -Model squeezenet1_1
        $script:maps.ClassIndex | Should -Be $top.ClassIndex
    }

    It 'compares a batch with a reference in one pass, the reference run once per session' {
        $reference = $photos[0].FullName
        $null = $photos | New-CamHeatmap -Model squeezenet1_1 -ReferenceImage $reference -NoOverlay
        Measure-Passes { $photos | New-CamHeatmap -Model squeezenet1_1 -ReferenceImage $reference -NoOverlay } | Should -Be 1
    }

    It 'ranks several top classes (-Top) in one pass a batch before the maps, not one an image: <What>' -ForEach @(
        @{ What = '-Top 2'; Arguments = @{ Model = 'squeezenet1_1'; Top = 2 }; Maps = 6 }
        @{ What = 'a segmenter''s -Top 2'; Arguments = @{ Model = 'lraspp_mobilenet_v3_large'; Weights = 'Random'; Seed = 1; NumClasses = 3; InputSize = '64,64'; Top = 2 }; Maps = 0 }
    ) {
        $out = $null
        Measure-Passes { $script:out = $photos | New-CamHeatmap @Arguments -NoOverlay } | Should -Be 2
        if ($Maps) { @($script:out).Count | Should -Be $Maps } else { @($script:out).Count | Should -BeGreaterOrEqual $photos.Count }
    }

    It 'makes a segmenter''s maps of the category it predicts most, and of a category over the pixels it predicts it at, in the one pass that makes the maps' {
        $segmenter = @{ Model = 'lraspp_mobilenet_v3_large'; Weights = 'Random'; Seed = 1; NumClasses = 3; InputSize = '64,64' }
        $top = $null
        Measure-Passes { $script:top = $photos | New-CamHeatmap @segmenter -NoOverlay } | Should -Be 1
        @($script:top).Count | Should -Be $photos.Count
        @($script:top | Where-Object { $_.ClassIndex -lt 0 -or $_.ClassIndex -ge 3 }).Count | Should -Be 0
        # A category asked for is summed over the pixels the same pass predicts it at: an image where it is predicted
        # nowhere is that image's error (TargetSelectsNothing), the others are mapped.
        $category = $script:top[0].ClassIndex
        $asked = $null
        Measure-Passes { $script:asked = $photos | New-CamHeatmap @segmenter -ClassIndex $category -NoOverlay -ErrorAction SilentlyContinue -ErrorVariable script:missed } | Should -Be 1
        @($script:asked).Count + @($script:missed).Count | Should -Be $photos.Count
        @($script:asked).Count | Should -BeGreaterThan 0
        $script:asked.ClassIndex | Sort-Object -Unique | Should -Be $category
        $script:missed | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'TargetSelectsNothing,*' }
        # The image where the top run found the category has it at the very pixels: the same map.
        $script:asked[0].SourcePath | Should -Be $script:top[0].SourcePath
        $script:asked[0].Score | Should -Be $script:top[0].Score
    }
}
