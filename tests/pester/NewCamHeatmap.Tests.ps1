BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    function Get-ImageSize([string] $Path) {
        # PNG: width and height are big-endian at bytes 16..23 of the IHDR chunk.
        $b = [IO.File]::ReadAllBytes($Path)
        [pscustomobject]@{ Width = ($b[16] -shl 24) + ($b[17] -shl 16) + ($b[18] -shl 8) + $b[19]; Height = ($b[20] -shl 24) + ($b[21] -shl 16) + ($b[22] -shl 8) + $b[23] }
    }
}

Describe 'New-CamHeatmap' {
    BeforeAll { $folder = New-TestFolder }
    AfterAll { Remove-Item $folder -Recurse -Force }

    It 'runs the Keras-style pipeline as written: VGG16, block5_conv3, random weights where no checkpoint exists' {
        $out = Join-Path $folder 'vgg'
        $r = Get-ChildItem $folder -Filter c*.png | New-CamHeatmap -Layer block5_conv3 -Weights Random -Seed 1 -OutputPath "$out/"
        $r.Count | Should -Be 2
        $r[0].Model | Should -Be 'vgg16'
        $r[0].Layer | Should -Be 'features.29'
        Test-Path $r[0].OutputPath | Should -BeTrue
    }

    It 'takes Get-ClassPrediction objects from the pipeline and keeps their class' {
        $out = Join-Path $folder 'chain'
        $predictions = Get-ChildItem $folder -Filter *.png | Get-ClassPrediction -Model squeezenet1_1
        $maps = $predictions | New-CamHeatmap -OutputPath "$out/"
        $maps.Count | Should -Be 3
        $maps.ClassIndex | Should -Be $predictions.ClassIndex
        $maps[0].Model | Should -Be 'squeezenet1_1'
        foreach ($m in $maps) {
            $source = Get-ImageSize $m.SourcePath
            $overlay = Get-ImageSize $m.OutputPath
            $overlay.Width | Should -Be $source.Width
            $overlay.Height | Should -Be $source.Height
        }
    }

    It 'gives a map that matches pytorch-grad-cam for the photo (GradCAM and LayerCAM)' {
        foreach ($method in 'GradCAM', 'LayerCAM') {
            $r = New-CamHeatmap -LiteralPath (Join-Path $folder 'chelsea.png') -Model squeezenet1_1 -Method $method -NoOverlay -MapFormat Npy -OutputPath (Join-Path $folder "ref_$method.png")
            $reference = Read-Npy (Join-Path $Shared "reference/squeezenet1_1/chelsea.$method.npy")
            $r.Map.GetLength(0) | Should -Be 224
            $r.Map.GetLength(1) | Should -Be 224
            $max = 0.0
            for ($y = 0; $y -lt 224; $y++) { for ($x = 0; $x -lt 224; $x++) { $max = [Math]::Max($max, [Math]::Abs($r.Map[$y, $x] - $reference[$y * 224 + $x])) } }
            $max | Should -BeLessOrEqual 1e-4 -Because $method
            # The saved .npy is the same map.
            $saved = Read-Npy $r.MapPath
            $saved[224 * 100 + 50] | Should -Be $r.Map[100, 50]
        }
    }

    It 'explains a class chosen by name, and the top k classes' {
        $byName = New-CamHeatmap -LiteralPath (Join-Path $folder 'gradcam_both.png') -Model squeezenet1_1 -ClassName tabby -OutputPath (Join-Path $folder 'tabby_{class}.png')
        $byName.ClassIndex | Should -Be 281
        $byName.OutputPath | Should -BeLike '*tabby_281.png'
        $top = New-CamHeatmap -LiteralPath (Join-Path $folder 'gradcam_both.png') -Model squeezenet1_1 -Top 2 -OutputPath (Join-Path $folder 'top/')
        $top.Count | Should -Be 2
        $top.ClassIndex | Should -Be @(242, 243)
        $top[0].OutputPath | Should -Not -Be $top[1].OutputPath
        # A fixed name for several classes gets the class (and method) appended rather than colliding.
        $named = New-CamHeatmap -LiteralPath (Join-Path $folder 'gradcam_both.png') -Model squeezenet1_1 -Top 2 -OutputPath (Join-Path $folder 'both.png')
        ($named.OutputPath | Split-Path -Leaf) | Should -Be @('both_GradCAM_242.png', 'both_GradCAM_243.png')
    }

    It 'takes an -OutputPath without extension as a folder, and never lets one run write a name twice' {
        $images = 'chelsea.png', 'coffee.png' | ForEach-Object { Join-Path $folder $_ }
        $into = New-CamHeatmap -LiteralPath $images -Model squeezenet1_1 -OutputPath (Join-Path $folder 'no-slash')
        ($into.OutputPath | Split-Path -Leaf) | Should -Be @('chelsea_cam.png', 'coffee_cam.png')
        ($into.OutputPath | Split-Path -Parent | Select-Object -Unique) | Should -Be (Join-Path $folder 'no-slash')

        # A fixed file name for two images: the first is written, the second refused even with -Force.
        $fixed = Join-Path $folder 'fixed.png'
        $r = New-CamHeatmap -LiteralPath $images -Model squeezenet1_1 -OutputPath $fixed -Force -BatchSize 1 -ErrorVariable e -ErrorAction SilentlyContinue
        $r.SourcePath | Should -Be $images[0]
        $e.FullyQualifiedErrorId | Should -BeLike 'OutputNameRepeated,*'
        $e.Exception.Message | Should -BeLike "*chelsea.png*coffee.png*"
        # Still chelsea's overlay (451 wide; coffee is 600): its PNG header says so.
        [Buffers.Binary.BinaryPrimitives]::ReadInt32BigEndian([byte[]][IO.File]::ReadAllBytes($fixed)[16..19]) | Should -Be 451

        # A template naming the class but not the method gets the method added for two methods.
        $two = New-CamHeatmap -LiteralPath $images[0] -Model squeezenet1_1 -Method GradCAM, XGradCAM -OutputPath (Join-Path $folder 'tpl/{name}_{class}.png')
        ($two.OutputPath | Split-Path -Leaf) | Should -Be @('chelsea_285_GradCAM.png', 'chelsea_285_XGradCAM.png')
    }

    It 'writes nothing with -WhatIf' {
        $out = Join-Path $folder 'whatif'
        New-CamHeatmap -LiteralPath (Join-Path $folder 'coffee.png') -Model squeezenet1_1 -OutputPath "$out/" -WhatIf | Should -BeNullOrEmpty
        Test-Path $out | Should -BeFalse
    }

    It 'never overwrites without -Force and never writes over the source' {
        $target = Join-Path $folder 'once.png'
        New-CamHeatmap -LiteralPath (Join-Path $folder 'coffee.png') -Model squeezenet1_1 -OutputPath $target | Out-Null
        $before = (Get-Item $target).LastWriteTimeUtc
        New-CamHeatmap -LiteralPath (Join-Path $folder 'coffee.png') -Model squeezenet1_1 -OutputPath $target -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $e[0].FullyQualifiedErrorId | Should -BeLike 'OutputExists,*'
        (Get-Item $target).LastWriteTimeUtc | Should -Be $before
        New-CamHeatmap -LiteralPath (Join-Path $folder 'coffee.png') -Model squeezenet1_1 -OutputPath $target -Force | Should -Not -BeNullOrEmpty
        $source = Join-Path $folder 'coffee.png'
        $hash = (Get-FileHash $source).Hash
        New-CamHeatmap -LiteralPath $source -Model squeezenet1_1 -OutputPath $source -Force -ErrorAction SilentlyContinue -ErrorVariable e2 | Should -BeNullOrEmpty
        $e2.Count | Should -Be 1
        (Get-FileHash $source).Hash | Should -Be $hash
        Get-ChildItem $folder -Filter '*.tmp' -Force | Should -BeNullOrEmpty
    }

    It 'blends with -Alpha: 0 gives the original pixels, 0.4 only adds heat' {
        $m0 = New-CamHeatmap -LiteralPath (Join-Path $folder 'gradcam_both.png') -Model squeezenet1_1 -Alpha 0 -OutputPath (Join-Path $folder 'a0.bmp')
        $m4 = New-CamHeatmap -LiteralPath (Join-Path $folder 'gradcam_both.png') -Model squeezenet1_1 -Alpha 0.4 -OutputPath (Join-Path $folder 'a4.bmp')
        $b0 = [IO.File]::ReadAllBytes($m0.OutputPath); $b4 = [IO.File]::ReadAllBytes($m4.OutputPath)
        $b0.Length | Should -Be $b4.Length
        $offset = [BitConverter]::ToInt32($b0, 10)
        $greater = 0; $smaller = 0
        for ($i = $offset; $i -lt $b0.Length; $i++) { if ($b4[$i] -gt $b0[$i]) { $greater++ } elseif ($b4[$i] -lt $b0[$i]) { $smaller++ } }
        $smaller | Should -Be 0
        $greater | Should -BeGreaterThan 10000
    }

    It 'writes raw maps as Png16 and Csv, and skips the overlay with -NoOverlay' {
        $png = New-CamHeatmap -LiteralPath (Join-Path $folder 'coffee.png') -Model squeezenet1_1 -NoOverlay -MapFormat Png16 -OutputPath (Join-Path $folder 'raw16.png')
        $png.OutputPath | Should -BeNullOrEmpty
        Test-Path (Join-Path $folder 'raw16.png') | Should -BeFalse
        (Get-ImageSize $png.MapPath).Width | Should -Be 224
        $csv = New-CamHeatmap -LiteralPath (Join-Path $folder 'coffee.png') -Model squeezenet1_1 -NoOverlay -MapFormat Csv -OutputPath (Join-Path $folder 'rawcsv.png')
        $rows = Get-Content $csv.MapPath
        $rows.Count | Should -Be 224
        ($rows[0] -split ',').Count | Should -Be 224
        [float]($rows[112] -split ',')[112] | Should -Be $csv.Map[112, 112]
    }

    It 'finds raw map formats by name (any case, tab completion) and refuses an unknown one before any work' {
        $lower = New-CamHeatmap -LiteralPath (Join-Path $folder 'coffee.png') -Model squeezenet1_1 -NoOverlay -MapFormat npy -OutputPath (Join-Path $folder 'lower.png')
        $lower.MapPath | Should -BeLike '*lower_map.npy'
        (TabExpansion2 'New-CamHeatmap -MapFormat P' 27).CompletionMatches.CompletionText | Should -Be 'Png16'
        { New-CamHeatmap -LiteralPath (Join-Path $folder 'coffee.png') -Model squeezenet1_1 -MapFormat Npz -OutputPath (Join-Path $folder 'npz.png') -ErrorAction Stop } |
            Should -Throw -ErrorId 'UnknownMapFormat,HeatmapTools.Commands.NewCamHeatmapCommand' -ExpectedMessage "*Did you mean 'Npy'*"
        Test-Path (Join-Path $folder 'npz.png') | Should -BeFalse
    }

    It 'with -NoOverlay alone writes nothing and returns the maps, even under -WhatIf (it changes nothing)' {
        $empty = Join-Path $folder 'maps-only'
        New-Item -ItemType Directory $empty | Out-Null
        Copy-Item (Join-Path $folder 'coffee.png') $empty
        $r = New-CamHeatmap -LiteralPath (Join-Path $empty 'coffee.png') -Model squeezenet1_1 -NoOverlay -WhatIf
        $r.OutputPath | Should -BeNullOrEmpty
        $r.MapPath | Should -BeNullOrEmpty
        $r.Map.GetLength(0) | Should -Be 224
        $r.Map[0, 0] | Should -BeOfType [float]
        @(Get-ChildItem $empty).Name | Should -Be @('coffee.png')
    }

    It 'uses the colormap asked for' {
        $jet = New-CamHeatmap -LiteralPath (Join-Path $folder 'coffee.png') -Model squeezenet1_1 -OutputPath (Join-Path $folder 'jet.png')
        $viridis = New-CamHeatmap -LiteralPath (Join-Path $folder 'coffee.png') -Model squeezenet1_1 -Colormap Viridis -OutputPath (Join-Path $folder 'viridis.png')
        (Get-FileHash $jet.OutputPath).Hash | Should -Not -Be (Get-FileHash $viridis.OutputPath).Hash
        { New-CamHeatmap -LiteralPath (Join-Path $folder 'coffee.png') -Model squeezenet1_1 -Colormap NoSuchMap } | Should -Throw -ErrorId 'UnknownColormap*'
    }

    It 'changes the map when the weights are randomised (sanity check)' {
        $trained = New-CamHeatmap -LiteralPath (Join-Path $folder 'chelsea.png') -Model squeezenet1_1 -NoOverlay -MapFormat Npy -OutputPath (Join-Path $folder 'trained.png')
        $random = New-CamHeatmap -LiteralPath (Join-Path $folder 'chelsea.png') -Model squeezenet1_1 -Weights Random -Seed 5 -ClassIndex 285 -NoOverlay -MapFormat Npy -OutputPath (Join-Path $folder 'random.png')
        $sum = 0.0
        for ($y = 0; $y -lt 224; $y += 4) { for ($x = 0; $x -lt 224; $x += 4) { $sum += [Math]::Abs($trained.Map[$y, $x] - $random.Map[$y, $x]) } }
        ($sum / (56 * 56)) | Should -BeGreaterThan 0.05
    }

    It 'explains what is wrong with a layer or method' {
        $err = { New-CamHeatmap -LiteralPath (Join-Path $folder 'coffee.png') -Model squeezenet1_1 -Layer nope -WhatIf:$false -OutputPath (Join-Path $folder 'x.png') } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'UnknownLayer,*'
        $err.Exception.Message | Should -Match 'features\.12'
        $err = { New-CamHeatmap -LiteralPath (Join-Path $folder 'coffee.png') -Weights Random -Seed 1 -Method CAM -OutputPath (Join-Path $folder 'y.png') } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'MethodNotApplicable,*'
    }

    It 'stops between batches when the pipeline is stopped (Ctrl+C) and leaves only whole files' {
        # PowerShell.Stop() is what Ctrl+C does to a running pipeline: it calls StopProcessing on every command.
        $source = Join-Path $folder 'many'
        $out = Join-Path $folder 'stopped'
        New-Item -ItemType Directory -Path $source | Out-Null
        foreach ($i in 1..150) { Copy-Item (Join-Path $folder 'chelsea.png') (Join-Path $source "img$i.png") }
        $ps = [powershell]::Create()
        try {
            # The test hook holds the command after its third result until it is stopped: the stop lands with work undone,
            # whatever the machine's speed.
            $null = $ps.AddScript({
                param($Module, $Source, $Out)
                $env:HEATMAPTOOLS_OFFLINE = '1'
                $env:HEATMAPTOOLS_TEST_PAUSE_AFTER = '3'
                Import-Module $Module
                Get-ChildItem $Source -Filter *.png | New-CamHeatmap -Model squeezenet1_1 -BatchSize 2 -OutputPath "$Out/"
            }).AddArgument($ModulePath).AddArgument($source).AddArgument($out)
            $async = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(300)
            while (@(Get-ChildItem $out -Filter *.png -ErrorAction SilentlyContinue).Count -lt 4) {
                if ([DateTime]::UtcNow -gt $deadline -or $async.IsCompleted) { break }
                Start-Sleep -Milliseconds 20
            }
            $ps.Stop()
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally { $ps.Dispose(); $env:HEATMAPTOOLS_TEST_PAUSE_AFTER = $null }
        # Two batches of two were written when the third result was reported; the stop left the other 146 undone.
        $written = @(Get-ChildItem $out -Filter *.png)
        $written.Count | Should -Be 4
        # No temporary files left behind, and every PNG ends with its IEND chunk (nothing half-written).
        @(Get-ChildItem $out -Force | Where-Object Name -like '.*.tmp').Count | Should -Be 0
        foreach ($file in $written) {
            $bytes = [IO.File]::ReadAllBytes($file.FullName)
            [Text.Encoding]::ASCII.GetString($bytes, $bytes.Length - 8, 4) | Should -Be 'IEND'
        }
    }

    It 'shows Score-CAM''s progress within a batch' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                param($Module, $Image, $Out, $Models)
                $env:HEATMAPTOOLS_OFFLINE = '1'
                $env:HEATMAPTOOLS_MODEL_PATH = $Models
                Import-Module $Module
                New-CamHeatmap $Image -Model squeezenet1_1 -Method ScoreCAM -OutputPath "$Out/"
            }).AddArgument($ModulePath).AddArgument((Join-Path $folder 'gradcam_both.png')).AddArgument((Join-Path $folder 'score')).AddArgument($Models)
            $result = $ps.Invoke()
            $ps.HadErrors | Should -BeFalse
            $result.Count | Should -Be 1
            $records = @($ps.Streams.Progress | Where-Object StatusDescription -match 'Score-CAM on the next 1: (\d+)')
            $shares = @($records | ForEach-Object { [int]($_.StatusDescription -replace '.*: (\d+).*', '$1') })
            # The bar itself moves too, not only the text.
            $records[-1].PercentComplete | Should -Be 100
        }
        finally { $ps.Dispose() }
        $shares.Count | Should -BeGreaterThan 10 -Because 'about 450 distinct masks go through in chunks of 16'
        $shares[-1] | Should -Be 100
        for ($i = 1; $i -lt $shares.Count; $i++) { $shares[$i] | Should -BeGreaterOrEqual $shares[$i - 1] }
    }

    It 'reports a corrupt image and still maps the others' {
        $dir = Join-Path $folder 'mixed'
        New-Item -ItemType Directory $dir | Out-Null
        'x' | Set-Content (Join-Path $dir 'a.png')
        Copy-Item (Join-Path $folder 'coffee.png') (Join-Path $dir 'b.png')
        $r = Get-ChildItem $dir | New-CamHeatmap -Model squeezenet1_1 -ErrorVariable e -ErrorAction SilentlyContinue
        @($r).Count | Should -Be 1
        $e[0].FullyQualifiedErrorId | Should -BeLike 'ImageUnreadable,*'
    }
}

Describe 'Get-CamLayer and completion' {
    It 'lists layers with shapes and marks the default' {
        $layers = Get-CamLayer -Model resnet18
        $default = $layers | Where-Object IsDefault
        $default.Name | Should -Be 'layer4.1'
        $default.OutputShape | Should -Be '512x7x7'
        $default.Aliases | Should -Contain 'layer4'
        (Get-CamLayer -Model vgg16 -Name block5_conv3).Name | Should -Be 'features.29'
    }

    It 'completes layer names for the chosen model' {
        $line = 'New-CamHeatmap -Model squeezenet1_1 -Layer features.1'
        $names = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $names | Should -Contain 'features.12'
        $names | Should -Not -Contain 'block5_conv3'
        $line = 'New-CamHeatmap -Layer block5_c'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'block5_conv3'
        $line = 'Get-ClassPrediction -Model resn'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'resnet50'
    }

    It 'completes class names from the ImageNet index, and from a -Labels file' {
        $line = 'New-CamHeatmap -Model squeezenet1_1 -ClassName tab'
        $names = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $names[0] | Should -Be 'tabby'
        $line = 'New-CamHeatmap -ClassName _cat'
        $names = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $names | Should -Contain 'Egyptian_cat'
        $names | Should -Contain 'tiger_cat'
        $line = 'New-CamHeatmap -ClassName n0212315'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'n02123159'
        $labels = Join-Path $TestDrive 'labels.txt'
        "red fox`nsnow leopard`nleopard" | Set-Content $labels
        $line = "New-CamHeatmap -NumClasses 3 -Labels '$labels' -ClassName leo"
        $names = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $names | Should -Be @('leopard', "'snow leopard'")
        # Labels typed inline complete too.
        $line = "New-CamHeatmap -NumClasses 2 -Labels benign, 'invasive ductal' -ClassName inv"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be "'invasive ductal'"
        # A -Labels path relative to the current folder, as typed at a prompt.
        Push-Location $TestDrive
        try {
            $line = "New-CamHeatmap -NumClasses 3 -Labels ./labels.txt -ClassName snow"
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be "'snow leopard'"
        }
        finally { Pop-Location }
    }
}
