BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:TrustData = Join-Path $PSScriptRoot '../HeatmapTools.Engine.Tests/TestData/trust'
    $script:Metrics = Get-Content -Raw (Join-Path $TrustData 'metrics.json') | ConvertFrom-Json
}

Describe 'Measure-CamFaithfulness' {
    BeforeAll { $folder = New-TestFolder }
    AfterAll { Remove-Item $folder -Recurse -Force }

    It 'gives pytorch-grad-cam''s confidence and ROAD numbers with its settings (logit, no noise)' {
        $r = Measure-CamFaithfulness -LiteralPath (Join-Path $folder 'chelsea.png') -Model squeezenet1_1 -Score Logit -Noise 0 -CurveSteps 0
        $reference = $Metrics.chelsea.Logit
        $r.ClassIndex | Should -Be $Metrics.chelsea.target
        $r.CamMultImageConfidenceChange | Should -BeLessOrEqual ($reference.CamMultImageConfidenceChange + 1e-4)
        $r.CamMultImageConfidenceChange | Should -BeGreaterOrEqual ($reference.CamMultImageConfidenceChange - 1e-4)
        [Math]::Abs($r.RoadCombined - $reference.ROADCombined) | Should -BeLessOrEqual 1e-3
        @($r.Road).Count | Should -Be 9
        [Math]::Abs($r.Road[0].MostRelevantFirst - $reference.ROADMostRelevantFirst.'10') | Should -BeLessOrEqual 1e-3
        $r.DeletionArea | Should -BeNullOrEmpty
    }

    It 'judges New-CamHeatmap results as they were made, writes a figure per map, and keeps going past a bad image' {
        Set-Content (Join-Path $folder 'broken.png') 'not an image'
        $maps = New-CamHeatmap -LiteralPath (Join-Path $folder 'gradcam_both.png'), (Join-Path $folder 'coffee.png') -Model squeezenet1_1 -Method LayerCAM -ClassIndex 281 -NoOverlay
        $plots = Join-Path $folder 'plots'
        $r = @($maps) + @([pscustomobject]@{ PSPath = (Join-Path $folder 'broken.png'); Model = 'squeezenet1_1'; Method = 'LayerCAM'; ClassIndex = 281 }) |
            Measure-CamFaithfulness -CurveSteps 4 -Percentile 50 -PlotPath $plots -ErrorVariable problems -ErrorAction SilentlyContinue
        @($r).Count | Should -Be 2
        $r.Method | Should -Be @('LayerCAM', 'LayerCAM')
        $r.ClassIndex | Should -Be @(281, 281)
        @($r[0].Deletion).Count | Should -Be 5
        $r[0].Deletion[0].Fraction | Should -Be 0
        $r[0].Deletion[-1].Fraction | Should -Be 1
        $problems.Count | Should -Be 1
        $problems[0].FullyQualifiedErrorId | Should -Match '^ImageUnreadable'
        foreach ($plot in $r.PlotPath) { Test-Path -LiteralPath $plot | Should -BeTrue }
        ($r.PlotPath | Split-Path -Leaf) | Should -Contain 'gradcam_both_LayerCAM_281_faithfulness.png'
        # Numbers for Measure-Object, and a second run refuses to overwrite the figures without -Force.
        ($r | Measure-Object InsertionArea -Average).Average | Should -BeGreaterThan 0
        $null = Measure-CamFaithfulness -LiteralPath (Join-Path $folder 'coffee.png') -Model squeezenet1_1 -Method LayerCAM -ClassIndex 281 -CurveSteps 4 -Percentile 50 -PlotPath $plots -ErrorVariable again -ErrorAction SilentlyContinue
        $again[0].FullyQualifiedErrorId | Should -Match '^OutputExists'
        $again = $null
        $null = Measure-CamFaithfulness -LiteralPath (Join-Path $folder 'coffee.png') -Model squeezenet1_1 -Method LayerCAM -ClassIndex 281 -CurveSteps 4 -Percentile 50 -PlotPath $plots -Force -ErrorVariable again
        $again.Count | Should -Be 0
    }
}

Describe 'Test-CamSanity' {
    BeforeAll { $folder = New-TestFolder }
    AfterAll { Remove-Item $folder -Recurse -Force }

    It 'steps Grad-CAM on the trained SqueezeNet through every layer with weights and draws the cascade; a constant final map is undefined' {
        $r = Test-CamSanity -LiteralPath (Join-Path $folder 'chelsea.png') -Model squeezenet1_1 -PlotPath (Join-Path $folder 'sanity') -WarningVariable w -WarningAction SilentlyContinue
        $r.Steps.Layer | Should -Be @('classifier.1', 'features.12', 'features.11', 'features.10', 'features.9', 'features.7', 'features.6', 'features.4', 'features.3', 'features.0')
        # From features.10 down the randomised Grad-CAM map is all zero: no ranking, so no verdict.
        $r.Verdict | Should -Be 'Undefined'
        "$w" | Should -BeLike '*final randomised map is constant*-MaxSteps 3*'
        Test-Path -LiteralPath $r.PlotPath | Should -BeTrue
        $three = Test-CamSanity -LiteralPath (Join-Path $folder 'chelsea.png') -Model squeezenet1_1 -MaxSteps 3
        $three.Passed | Should -BeTrue
        $three.FinalSpearman | Should -BeLessThan 0.5
        # The session's model was not touched: the prediction afterwards is the reference's.
        (Get-ClassPrediction -LiteralPath (Join-Path $folder 'chelsea.png') -Model squeezenet1_1).ClassIndex | Should -Be 285
    }

    It 'lets the README''s ranking example judge every map where it can and say in one line why, with no warning' {
        $images = 'chelsea.png', 'coffee.png', 'gradcam_both.png' | ForEach-Object { Join-Path $folder $_ }
        $raw = & (Join-Path $PSScriptRoot '../../examples/Rank-CamMethods.ps1') -ImagePath $images -Method GradCAM -CurveSteps 2 `
            -PlotPath (Join-Path $folder 'rank') 3>&1 6>&1
        @($raw | Where-Object { $_ -is [Management.Automation.WarningRecord] }).Count | Should -Be 0
        $said = $raw | Out-String -Stream
        $text = $said -join "`n"
        $text | Should -Not -Match 'WARNING'
        # Grad-CAM's randomised maps are all zero below features.11 on two photos: judged at step 3, said once.
        @($said | Where-Object { $_ -like 'Sanity judged after randomising the top 3 layers (down to features.11)*' }).Count | Should -Be 1
        $text | Should -Not -Match 'undefined\)'
        $text | Should -Match 'GradCAM .* [0-3]/3 '
    }

    It 'stops after -MaxSteps and fails a threshold nothing can pass' {
        $r = Test-CamSanity -LiteralPath (Join-Path $folder 'coffee.png') -Model squeezenet1_1 -MaxSteps 2 -Threshold -1
        @($r.Steps).Count | Should -Be 2
        $r.Passed | Should -BeFalse
    }
}

Describe 'Smoothing and Guided Grad-CAM in New-CamHeatmap' {
    BeforeAll { $folder = New-TestFolder }
    AfterAll { Remove-Item $folder -Recurse -Force }

    It 'gives pytorch-grad-cam''s aug_smooth map' {
        $r = New-CamHeatmap -LiteralPath (Join-Path $folder 'chelsea.png') -Model squeezenet1_1 -AugSmooth -NoOverlay
        $r.AugSmooth | Should -BeTrue
        Get-MaxDifference $r.Map (Read-Npy (Join-Path $TrustData 'chelsea.aug_smooth.npy')) | Should -BeLessOrEqual 1e-4
    }

    It 'gives pytorch-grad-cam''s eigen_smooth map up to the SVD sign' {
        $reference = Read-Npy (Join-Path $TrustData 'coffee.eigen_smooth.npy')
        $r = New-CamHeatmap -LiteralPath (Join-Path $folder 'coffee.png') -Model squeezenet1_1 -EigenSmooth -NoOverlay
        Get-MaxDifference $r.Map $reference | Should -BeLessOrEqual 1e-4
    }

    It 'writes the Guided Grad-CAM picture and, with -MapFormat, the guided gradients' {
        $r = New-CamHeatmap -LiteralPath (Join-Path $folder 'coffee.png') -Model squeezenet1_1 -Method GuidedGradCAM -MapFormat Npy -OutputPath (Join-Path $folder 'guided/')
        Test-Path -LiteralPath $r.OutputPath | Should -BeTrue
        $guided = Join-Path $folder 'guided/coffee_cam_guided.npy'
        $values = Read-Npy $guided
        $values.Count | Should -Be (3 * 224 * 224)
        # Channel-first here, H x W x 3 in pytorch-grad-cam's file.
        $reference = Read-Npy (Join-Path $TrustData 'coffee.guided.npy')
        [Math]::Abs($values[0 * 224 * 224 + 100 * 224 + 120] - $reference[(100 * 224 + 120) * 3 + 0]) | Should -BeLessOrEqual 1e-4
        [Math]::Abs($values[2 * 224 * 224 + 60 * 224 + 30] - $reference[(60 * 224 + 30) * 3 + 2]) | Should -BeLessOrEqual 1e-4
    }
}

Describe 'Stopping the trust cmdlets (Ctrl+C)' {
    BeforeAll { $folder = New-TestFolder }
    AfterAll { Remove-Item $folder -Recurse -Force }

    It '<Name> stops mid-measurement, with the measurement left undone' -ForEach @(
        @{ Name = 'Measure-CamFaithfulness'; Maps = 3; Script = { param($Module, $Image) Import-Module $Module; Measure-CamFaithfulness -LiteralPath $Image -Model squeezenet1_1 -Method GradCAM, LayerCAM, ScoreCAM -CurveSteps 200 } }
        @{ Name = 'Test-CamSanity'; Maps = 1; Script = { param($Module, $Image) Import-Module $Module; Test-CamSanity -LiteralPath $Image -Model squeezenet1_1 -Method ScoreCAM } }
    ) {
        $ps = [powershell]::Create()
        $results = [System.Management.Automation.PSDataCollection[psobject]]::new()
        try {
            # One statement: a batch (AddStatement) runs on a thread-pool item that reads the runspace between statements,
            # and after Stop and Dispose that read crashed the whole test host (InvalidRunspaceStateException).
            $body = '$env:HEATMAPTOOLS_OFFLINE = "1"; $env:HEATMAPTOOLS_MODEL_PATH = "' + $Models + '"; & {' + $Script + '} @args'
            $null = $ps.AddScript($body).AddArgument($ModulePath).AddArgument((Join-Path $folder 'chelsea.png'))
            $async = $ps.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $results)
            # Stopped once the measurement is under way, as its own progress says (not after a fixed sleep: on a busy
            # machine the invocation may not even have started by then). ROAD and ScoreCAM's cascade take far longer.
            $working = [Diagnostics.Stopwatch]::StartNew()
            while (-not ($ps.Streams.Progress | Where-Object { $_.PercentComplete -gt 0 }) -and -not $async.IsCompleted -and $working.Elapsed.TotalSeconds -lt 300) {
                $null = $async.AsyncWaitHandle.WaitOne(50)
            }
            $async.IsCompleted | Should -BeFalse -Because 'the measurement was still running when its progress first moved'
            # Stop returns once the pipeline has stopped: had the engine not heeded it, the measurement would have run to
            # its end first and written all of its results.
            $ps.Stop()
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $results.Count | Should -BeLessThan $Maps
        }
        finally {
            # Never dispose a runspace an invocation may still be running on.
            if ($async -and -not $async.IsCompleted) { $ps.Stop() }
            if ($async) { $null = $async.AsyncWaitHandle.WaitOne(30000) }
            $ps.Dispose()
        }
    }
}
