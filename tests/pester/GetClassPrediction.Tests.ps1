BeforeAll { . (Join-Path $PSScriptRoot 'TestSetup.ps1') }

Describe 'Get-ClassPrediction' {
    BeforeAll { $folder = New-TestFolder }
    AfterAll { Remove-Item $folder -Recurse -Force }

    It 'classifies the real photos with SqueezeNet 1.1 from HEATMAPTOOLS_MODEL_PATH' {
        $results = Get-ChildItem $folder -Filter *.png | Sort-Object Name | Get-ClassPrediction -Model squeezenet1_1
        $results.Count | Should -Be 3
        $results[0].Label | Should -Be 'Egyptian_cat'
        $results[0].ClassIndex | Should -Be 285
        $results[1].Label | Should -Be 'espresso'
        $results[2].ClassIndex | Should -Be 242
        $results[2].WordNetId | Should -Be 'n02108089'
        $results[0].Predictions.Count | Should -Be 3
        $results[0].Predictions[0].Probability | Should -BeGreaterThan $results[0].Predictions[1].Probability
        # Which file was loaded, though none was named: found on HEATMAPTOOLS_MODEL_PATH; the maps say the same.
        $found = Get-ChildItem ($env:HEATMAPTOOLS_MODEL_PATH -split [IO.Path]::PathSeparator) -Filter 'squeezenet1_1.*' |
            Where-Object Extension -in '.safetensors', '.pth' | Sort-Object { $_.Extension -ne '.safetensors' } | Select-Object -First 1
        $results.WeightsFile | Select-Object -Unique | Should -Be $found.FullName
        $results | ForEach-Object { $_.WeightsPath | Should -BeNullOrEmpty -Because 'none was asked for, and New-CamHeatmap binds this one' }
        ($results[0] | New-CamHeatmap -NoOverlay).WeightsFile | Should -Be $found.FullName
    }

    It 'returns logits that match the reference within 1e-3' {
        $result = Get-ClassPrediction -LiteralPath (Join-Path $folder 'coffee.png') -Model squeezenet1_1
        $reference = Read-Npy (Join-Path $Shared 'reference/squeezenet1_1/coffee.logits.npy')
        $max = 0.0
        for ($i = 0; $i -lt 1000; $i++) { $max = [Math]::Max($max, [Math]::Abs($result.Logits[$i] - $reference[$i])) }
        $max | Should -BeLessOrEqual 1e-3
    }

    It 'expands wildcards in -Path and keeps input order across batches' {
        $one = Get-ClassPrediction -Path (Join-Path $folder 'c*.png') -Model squeezenet1_1 -BatchSize 1
        $many = Get-ClassPrediction -Path (Join-Path $folder 'c*.png') -Model squeezenet1_1 -BatchSize 8
        $one.Path | Should -Be $many.Path
        ($one | ForEach-Object ClassIndex) | Should -Be ($many | ForEach-Object ClassIndex)
        $one.Count | Should -Be 2
    }

    It 'takes file names with wildcard characters through -LiteralPath' {
        $odd = Join-Path $folder 'cat [1].png'
        Copy-Item -LiteralPath (Join-Path $folder 'chelsea.png') -Destination $odd
        (Get-ClassPrediction -LiteralPath $odd -Model squeezenet1_1).ClassIndex | Should -Be 285
        (Get-Item -LiteralPath $odd | Get-ClassPrediction -Model squeezenet1_1).ClassIndex | Should -Be 285
        Remove-Item -LiteralPath $odd -Force
    }

    It 'reads a list of files as Get-Content gives it: blank lines skipped, padded lines trimmed' {
        $list = Join-Path $folder 'list.txt'
        Set-Content $list -Value @("  $(Join-Path $folder 'chelsea.png')  ", '', '   ', (Join-Path $folder 'coffee.png'), '')
        $results = Get-Content $list | Get-ClassPrediction -Model squeezenet1_1 -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed | Should -BeNullOrEmpty
        $results.Label | Should -Be 'Egyptian_cat', 'espresso'
    }

    It 'takes -InputSize as PowerShell users type it: 320,256 unquoted is the same as the quoted form' {
        $photo = Join-Path $folder 'chelsea.png'
        $typed = Get-ClassPrediction $photo -Model squeezenet1_1 -InputSize 320,256 -ErrorAction Stop
        $quoted = Get-ClassPrediction $photo -Model squeezenet1_1 -InputSize '320,256' -ErrorAction Stop
        $square = Get-ClassPrediction $photo -Model squeezenet1_1 -InputSize 224 -ErrorAction Stop
        $typed.Probability | Should -Be $quoted.Probability
        $typed.Probability | Should -Not -Be $square.Probability
    }

    It 'honours -Top' {
        (Get-ClassPrediction -LiteralPath (Join-Path $folder 'chelsea.png') -Model squeezenet1_1 -Top 5).Predictions.Count | Should -Be 5
    }

    It 'reports a corrupt, an empty and a text file as non-terminating errors and classifies the rest' {
        $bad = Join-Path $folder 'bad'
        New-Item -ItemType Directory $bad | Out-Null
        [IO.File]::WriteAllBytes((Join-Path $bad 'a_truncated.png'), [IO.File]::ReadAllBytes((Join-Path $folder 'coffee.png'))[0..200])
        [IO.File]::WriteAllBytes((Join-Path $bad 'b_empty.jpg'), [byte[]]@())
        Copy-Item (Join-Path $folder 'coffee.png') (Join-Path $bad 'c_good.png')
        'not an image' | Set-Content (Join-Path $bad 'd_text.png')
        $results = Get-ChildItem $bad | Sort-Object Name | Get-ClassPrediction -Model squeezenet1_1 -ErrorVariable errs -ErrorAction SilentlyContinue
        @($results).Count | Should -Be 1
        $results.ClassIndex | Should -Be 967
        $errs.Count | Should -Be 3
        $errs | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'ImageUnreadable,*' }
        $errs[0].TargetObject | Should -BeLike '*a_truncated.png'
        $errs[1].Exception.Message | Should -Match 'b_empty.jpg.*empty'
    }

    It 'stops at the first bad image with -ErrorAction Stop' {
        $bad = Join-Path $folder 'stop'
        New-Item -ItemType Directory $bad | Out-Null
        'x' | Set-Content (Join-Path $bad 'bad.png')
        { Get-ChildItem $bad | Get-ClassPrediction -Model squeezenet1_1 -ErrorAction Stop } | Should -Throw -ErrorId 'ImageUnreadable*'
    }

    It 'names every place it looked when no weights exist' {
        $saved = $env:HEATMAPTOOLS_MODEL_PATH, $env:HEATMAPTOOLS_CACHE
        try {
            $env:HEATMAPTOOLS_MODEL_PATH = Join-Path $folder 'nowhere'
            $env:HEATMAPTOOLS_CACHE = Join-Path $folder 'cache'
            $err = { Get-ClassPrediction -LiteralPath (Join-Path $folder 'coffee.png') -Model resnet18 -Offline } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'WeightsNotFound,*'
            $err.Exception.Message | Should -Match 'nowhere[/\\]resnet18\.safetensors'
            $err.Exception.Message | Should -Match 'resnet18-f37072fd\.pth'
            $err.Exception.Message | Should -Match '-WeightsPath'
        }
        finally { $env:HEATMAPTOOLS_MODEL_PATH, $env:HEATMAPTOOLS_CACHE = $saved }
    }

    It 'loads an explicit .pth state dict with -WeightsPath' {
        $r = Get-ClassPrediction -LiteralPath (Join-Path $folder 'chelsea.png') -Model squeezenet1_1 -WeightsPath (Join-Path $Models 'squeezenet1_1.pth')
        $r.ClassIndex | Should -Be 285
        $r.WeightsPath | Should -BeLike '*squeezenet1_1.pth'
    }

    It 'supports a custom head with user labels' {
        $r = Get-ClassPrediction -LiteralPath (Join-Path $folder 'chelsea.png') -Model resnet18 -NumClasses 2 -Weights Random -Seed 4 -Labels 'benign', 'malignant' -Top 2
        ($r.Predictions.Label | Sort-Object) | Should -Be @('benign', 'malignant')
        $r.NumClasses | Should -Be 2
    }

    It 'gives an unseeded random model one seed for the whole pipeline, carried on the objects' {
        $r = Get-ChildItem $folder -Filter *.png | Get-ClassPrediction -Model squeezenet1_1 -Weights Random -BatchSize 1
        $r.Count | Should -Be 3
        ($r.Seed | Sort-Object -Unique).Count | Should -Be 1
        $r[0].Seed | Should -Not -BeNullOrEmpty
        $again = Get-ClassPrediction -LiteralPath $r[0].Path -Model squeezenet1_1 -Weights Random -Seed $r[0].Seed
        $again.Logits | Should -Be $r[0].Logits
    }

    It 'rejects labels that do not match the head' {
        { Get-ClassPrediction -LiteralPath (Join-Path $folder 'chelsea.png') -Model squeezenet1_1 -Labels 'a', 'b' } |
            Should -Throw -ErrorId 'LabelsInvalid*'
    }
}
