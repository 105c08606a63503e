BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:folder = New-TestFolder
    $script:reference = Join-Path $PSScriptRoot '../HeatmapTools.Engine.Tests/TestData/attribution'
    $script:cases = (Get-Content (Join-Path $reference 'cases.json') -Raw | ConvertFrom-Json).cases
    # The largest difference, as a share of the reference's largest magnitude, and the 99th percentile of the differences.
    function Compare-Attribution([float[]] $Ours, [float[]] $Expected) {
        $Ours.Count | Should -Be $Expected.Count
        $scale = ($Expected | ForEach-Object { [math]::Abs($_) } | Measure-Object -Maximum).Maximum
        $errors = [double[]]::new($Expected.Count)
        for ($i = 0; $i -lt $Expected.Count; $i++) { $errors[$i] = [math]::Abs($Ours[$i] - $Expected[$i]) / $scale }
        [Array]::Sort($errors)
        [pscustomobject]@{ Worst = $errors[-1]; P99 = $errors[[int](0.99 * ($errors.Count - 1))] }
    }
}
AfterAll { Remove-Item $folder -Recurse -Force }

Describe 'New-AttributionMap' {
    It 'writes Captum''s attribution of a photo and its picture, and a result piped on makes the same attribution again' {
        $chelsea = Join-Path $folder 'chelsea.png'
        $target = $cases.chelsea.target
        $out = Join-Path $folder 'ig'
        $r = New-AttributionMap $chelsea -Model squeezenet1_1 -ClassIndex $target -Steps 32 -OutputPath $out -MapFormat Npy
        $r.Method | Should -Be 'IntegratedGradients'
        $r.Layer | Should -Be 'input'
        $r.ClassIndex | Should -Be $target
        Test-Path $r.OutputPath | Should -BeTrue
        $file = Join-Path $out 'chelsea_cam_attribution.npy'
        Test-Path $file | Should -BeTrue
        # From the photo through the module's own preprocessing, against Captum's attribution of the reference's input.
        $fit = Compare-Attribution (Read-Npy $file) (Read-Npy (Join-Path $reference 'chelsea.IntegratedGradients.npy'))
        $fit.P99 | Should -BeLessThan 1e-3
        $fit.Worst | Should -BeLessThan 1e-2
        # The settings ride on the result (32 steps, not the default 50): piped on, the attribution is made alike.
        $again = Join-Path $folder 'ig-again'
        $r | New-AttributionMap -OutputPath $again -MapFormat Npy | Out-Null
        $same = Compare-Attribution (Read-Npy (Join-Path $again 'chelsea_cam_attribution.npy')) (Read-Npy $file)
        $same.Worst | Should -BeLessThan 1e-6
        $fifty = Join-Path $folder 'ig-50'
        New-AttributionMap $chelsea -Model squeezenet1_1 -ClassIndex $target -OutputPath $fifty -MapFormat Npy | Out-Null
        (Compare-Attribution (Read-Npy (Join-Path $fifty 'chelsea_cam_attribution.npy')) (Read-Npy $file)).Worst | Should -BeGreaterThan 1e-6 -Because '50 steps are not 32'
    }

    It 'compares the photo with an image given as the baseline, prepared for the network as the photo is (-BaselineImage)' {
        $chelsea = Join-Path $folder 'chelsea.png'; $coffee = Join-Path $folder 'coffee.png'
        $target = $cases.chelsea.target
        $out = Join-Path $folder 'ig-image'
        $r = New-AttributionMap $chelsea -Model squeezenet1_1 -ClassIndex $target -Steps 64 -BaselineImage $coffee -OutputPath $out -MapFormat Npy
        $r.Baseline | Should -Be 'Image'
        $r.BaselineImage | Should -Be $coffee
        $ours = Read-Npy (Join-Path $out 'chelsea_cam_attribution.npy')
        # Completeness: the attributions add up to the logit's change from coffee to chelsea, each logit as Get-ClassPrediction gives it.
        $logit = { param($photo) (Get-ClassPrediction $photo -Model squeezenet1_1 -Top 1000).Predictions | Where-Object ClassIndex -eq $target | ForEach-Object Logit }
        $change = (& $logit $chelsea) - (& $logit $coffee)
        $sum = ($ours | Measure-Object -Sum).Sum
        [math]::Abs($sum - $change) | Should -BeLessThan (0.02 * [math]::Abs($change)) -Because "the attributions sum to $sum and the logit changed by $change"
        # Piped on, the same baseline is used again.
        $again = Join-Path $folder 'ig-image-again'
        $r | New-AttributionMap -OutputPath $again -MapFormat Npy | Out-Null
        (Compare-Attribution (Read-Npy (Join-Path $again 'chelsea_cam_attribution.npy')) $ours).Worst | Should -BeLessThan 1e-6
        # The photo against itself: nothing changes along the path, so nothing is attributed.
        $self = Join-Path $folder 'ig-self'
        New-AttributionMap $chelsea -Model squeezenet1_1 -ClassIndex $target -Steps 8 -BaselineImage $chelsea -OutputPath $self -MapFormat Npy | Out-Null
        $none = Read-Npy (Join-Path $self 'chelsea_cam_attribution.npy')
        ($none | ForEach-Object { [math]::Abs($_) } | Measure-Object -Maximum).Maximum | Should -Be 0
        { New-AttributionMap $chelsea -Model squeezenet1_1 -Baseline Blur -BaselineImage $coffee -OutputPath $self -ErrorAction Stop } | Should -Throw -ErrorId 'BaselineInvalid*'
        { New-AttributionMap $chelsea -Model squeezenet1_1 -Baseline Image -OutputPath $self -ErrorAction Stop } | Should -Throw -ErrorId 'BaselineInvalid*'
        { New-AttributionMap $chelsea -Model squeezenet1_1 -BaselineImage (Join-Path $folder 'missing.png') -OutputPath $self -ErrorAction Stop } | Should -Throw -ErrorId 'BaselineInvalid*'
    }

    It 'makes Occlusion and Saliency as Captum does, and New-CamHeatmap takes them by -Method' {
        $coffee = Join-Path $folder 'coffee.png'
        $target = $cases.coffee.target
        $out = Join-Path $folder 'occlusion'
        $r = New-CamHeatmap $coffee -Model squeezenet1_1 -Method Occlusion, Saliency -ClassIndex $target -Window 32 -Stride 16 -OutputPath $out -MapFormat Npy
        @($r).Count | Should -Be 2
        foreach ($name in 'Occlusion', 'Saliency') {
            $file = Join-Path $out "coffee_cam_$($name.ToLower())_$($target)_attribution.npy"
            if (-not (Test-Path $file)) { $file = (Get-ChildItem $out -Filter "*$name*_attribution.npy").FullName }
            $fit = Compare-Attribution (Read-Npy $file) (Read-Npy (Join-Path $reference "coffee.$name.npy"))
            $fit.P99 | Should -BeLessThan 1e-3 -Because $name
        }
    }

    It 'takes GuidedBackprop as Captum does, and a noise tunnel over any method whose seed and settings ride on the result' {
        $chelsea = Join-Path $folder 'chelsea.png'
        $target = $cases.chelsea.target
        $guided = New-AttributionMap $chelsea -Model squeezenet1_1 -Method GuidedBackprop -ClassIndex $target -OutputPath (Join-Path $folder 'gb') -MapFormat Npy
        $fit = Compare-Attribution (Read-Npy (Join-Path $folder 'gb/chelsea_cam_attribution.npy')) (Read-Npy (Join-Path $reference 'chelsea.GuidedBackprop.npy'))
        $fit.P99 | Should -BeLessThan 1e-3
        $guided.NoiseTunnel | Should -Be 'None'
        $smooth = Join-Path $folder 'smooth'
        $r = New-AttributionMap $chelsea -Model squeezenet1_1 -Method InputXGradient -ClassIndex $target -NoiseTunnel VarGrad -TunnelSamples 4 -TunnelNoise 0.1 -TunnelSeed 7 -OutputPath $smooth -MapFormat Npy
        $r.NoiseTunnel | Should -Be 'VarGrad'
        $r.TunnelSamples | Should -Be 4
        $first = Read-Npy (Join-Path $smooth 'chelsea_cam_attribution.npy')
        ($first | Measure-Object -Minimum).Minimum | Should -BeGreaterOrEqual 0 -Because 'a variance is never negative'
        # Piped on, the same tunnel, copies, noise and seed make the same attribution; another seed another.
        $again = Join-Path $folder 'smooth-again'
        $r | New-AttributionMap -OutputPath $again -MapFormat Npy | Out-Null
        (Compare-Attribution (Read-Npy (Join-Path $again 'chelsea_cam_attribution.npy')) $first).Worst | Should -BeLessThan 1e-6
        $other = Join-Path $folder 'smooth-other'
        $r | New-AttributionMap -TunnelSeed 8 -OutputPath $other -MapFormat Npy | Out-Null
        (Compare-Attribution (Read-Npy (Join-Path $other 'chelsea_cam_attribution.npy')) $first).Worst | Should -BeGreaterThan 1e-3
        { New-AttributionMap $chelsea -Model squeezenet1_1 -NoiseTunnel SmoothGrad -TunnelNoise -1 -OutputPath (Join-Path $folder 'y') -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError*'
    }

    It 'refuses a class activation map, and a layer, which attributions do not read' {
        $chelsea = Join-Path $folder 'chelsea.png'
        { New-AttributionMap $chelsea -Model squeezenet1_1 -Method GradCAM -OutputPath (Join-Path $folder 'x') -ErrorAction Stop } |
            Should -Throw -ErrorId 'MethodNotApplicable*'
        { New-AttributionMap $chelsea -Model squeezenet1_1 -Layer features.12 -OutputPath (Join-Path $folder 'x') -ErrorAction Stop } |
            Should -Throw -ErrorId 'MethodNotApplicable*'
        { New-AttributionMap $chelsea -Model squeezenet1_1 -Steps 0 -OutputPath (Join-Path $folder 'x') -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        Test-Path (Join-Path $folder 'x') | Should -BeFalse
        # A class activation map piped on carries no attribution settings (nulls), and is judged as before.
        $cam = New-CamHeatmap $chelsea -Model squeezenet1_1 -OutputPath (Join-Path $folder 'cam')
        ($cam | Measure-CamFaithfulness -CurveSteps 0 -NoRoad -ErrorAction Stop).Method | Should -Be 'GradCAM'
    }
}
