BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    # Seeded torchvision weights that build.ps1 -Task Test rebuilds with Debian's PyTorch (see ../shared/tools/make_zoo_weights.py).
    $script:Zoo = if ($env:HEATMAPTOOLS_ZOO_WEIGHTS) { $env:HEATMAPTOOLS_ZOO_WEIGHTS } else { Join-Path $PSScriptRoot '../../output/zoo-weights' }
    $script:Chelsea = Join-Path $Images 'chelsea.png'
}

Describe 'Model families from the cmdlets' {
    It 'loads a torchvision state dict of a new family unchanged and classifies as torchvision does' {
        $manifest = Get-Content (Join-Path $Shared 'reference/zoo/densenet121/manifest.json') -Raw | ConvertFrom-Json
        $p = Get-ClassPrediction -LiteralPath $Chelsea -Model densenet121 -WeightsPath (Join-Path $Zoo 'densenet121_seed1.pth')
        $p.ClassIndex | Should -Be $manifest.cases[0].target
        $p.WeightsFile | Should -BeLike '*densenet121_seed1.pth'
    }

    It 'uses the model''s own input size (inception_v3: 299) for predictions and maps' {
        $manifest = Get-Content (Join-Path $Shared 'reference/zoo/inception_v3/manifest.json') -Raw | ConvertFrom-Json
        $r = New-CamHeatmap -LiteralPath $Chelsea -Model inception_v3 -WeightsPath (Join-Path $Zoo 'inception_v3_seed1.pth') -NoOverlay
        $r.ClassIndex | Should -Be $manifest.cases[0].target
        $r.Map.GetLength(0) | Should -Be 299
        $r.Layer | Should -Be 'Mixed_7c'
    }

    It 'maps a vision transformer at a nested layer and a Keras alias on DenseNet' {
        $vit = New-CamHeatmap -LiteralPath $Chelsea -Model vit_b_16 -Weights Random -Seed 2 -Layer encoder.layers.encoder_layer_10.ln_1 -NoOverlay
        $vit.Layer | Should -Be 'encoder.layers.encoder_layer_10.ln_1'
        $vit.Map.GetLength(1) | Should -Be 224
        $dense = New-CamHeatmap -LiteralPath $Chelsea -Model densenet121 -Weights Random -Seed 2 -Layer relu -Method CAM -NoOverlay
        $dense.Layer | Should -Be 'relu'
    }

    It 'says what a file given to -Model is and where it belongs' {
        $weights = Join-Path $Models 'squeezenet1_1.pth'
        $err = { Get-ClassPrediction -LiteralPath $Chelsea -Model $weights } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'UnknownModel,*'
        $err.Exception.Message | Should -Match '-WeightsPath'
        $err.Exception.Message | Should -Not -Match 'Known models'
        # A TorchScript archive, written by Debian's PyTorch: it is named and the way to ONNX is given.
        $script = Join-Path ([IO.Path]::GetTempPath()) "hmt-ts-$PID.pt"
        & /usr/bin/python3 -c "import torch; torch.jit.script(torch.nn.Linear(2, 2)).save('$script')"
        try {
            $err = { Get-ClassPrediction -LiteralPath $Chelsea -Model $script } | Should -Throw -PassThru
            $err.Exception.Message | Should -Match 'TorchScript'
            $err.Exception.Message | Should -Match 'torch\.onnx\.export'
        }
        finally { Remove-Item $script -ErrorAction SilentlyContinue }
    }

    It 'says plainly that a grey model runs as an ONNX graph, not as a built-in architecture' {
        $grey = Join-Path ([IO.Path]::GetTempPath()) "hmt-grey-$PID.pth"
        & /usr/bin/python3 -c "import torch, torchvision; m = torchvision.models.resnet18(); m.conv1 = torch.nn.Conv2d(1, 64, 7, 2, 3, bias=False); torch.save(m.state_dict(), '$grey')"
        try {
            $err = { Get-ClassPrediction -LiteralPath $Chelsea -Model resnet18 -WeightsPath $grey -InputChannels 1 } | Should -Throw -PassThru
            $err.Exception.Message | Should -Match 'ONNX'
            $err = { Get-ClassPrediction -LiteralPath $Chelsea -Model resnet18 -WeightsPath $grey } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'WeightsMismatch,*'
            $err.Exception.Message | Should -Match 'one channel.*torch\.onnx\.export'
        }
        finally { Remove-Item $grey -ErrorAction SilentlyContinue }
    }

    It 'suggests the closest model and layer names' {
        $err = { Get-ClassPrediction -LiteralPath $Chelsea -Model densnet121 -Weights Random } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'UnknownModel,*'
        $err.Exception.Message | Should -Match "Did you mean 'densenet121'"
        $err = { New-CamHeatmap -LiteralPath $Chelsea -Model vit_b_16 -Weights Random -Seed 1 -Layer encoder.layers.encoder_layer_11.ln1 -NoOverlay } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'UnknownLayer,*'
        $err.Exception.Message | Should -Match 'encoder\.layers\.encoder_layer_11\.ln_1'
    }

    It 'refuses methods an architecture or layer cannot run, with their own ErrorIds' {
        $err = { New-CamHeatmap -LiteralPath $Chelsea -Model swin_t -Weights Random -Seed 1 -Method AblationCAM -NoOverlay } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'MethodNotSupported,*'
        $err = { New-CamHeatmap -LiteralPath $Chelsea -Model densenet121 -Weights Random -Seed 1 -Method AblationCAM -Layer features.denseblock4.denselayer16.conv2 -NoOverlay } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'LayerNotAStage,*'
        $err = { New-CamHeatmap -LiteralPath $Chelsea -Model vit_b_16 -Weights Random -Seed 1 -Layer class_token -NoOverlay } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'LayerNotSpatial,*'
    }

    It 'names the first keys that differ when the weights belong to another family' {
        $err = { Get-ClassPrediction -LiteralPath $Chelsea -Model resnet50 -WeightsPath (Join-Path $Zoo 'densenet121_seed1.pth') } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'WeightsMismatch,*'
        $err.Exception.Message | Should -Match 'missing keys .*conv1\.weight'
        $err.Exception.Message | Should -Match 'unexpected keys .*features\.conv0\.weight'
    }

    It 'lists nested layers: the default one always, all with -Recurse, any with -Name' {
        $layers = Get-CamLayer -Model vit_b_16
        $default = $layers | Where-Object IsDefault
        $default.Name | Should -Be 'encoder.layers.encoder_layer_11.ln_1'
        $default.OutputShape | Should -Be '197x768'
        $default.IsStage | Should -BeFalse
        (Get-CamLayer -Model vit_b_16 -Recurse).Count | Should -BeGreaterThan (2 * $layers.Count)
        (Get-CamLayer -Model swin_t -Name features.7.1.norm1).OutputShape | Should -Be '7x7x768'
        (Get-CamLayer -Model densenet121 -Name relu).Aliases | Should -BeNullOrEmpty
        (Get-CamLayer -Model mobilenet_v2 -Name out_relu).Name | Should -Be 'features.18'
    }

    It 'completes nested layer names and the new models' {
        $line = 'New-CamHeatmap -Model vit_b_16 -Layer encoder.layers.encoder_layer_11.l'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'encoder.layers.encoder_layer_11.ln_1'
        $line = 'Get-ClassPrediction -Model efficientnet_v2'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'efficientnet_v2_s'
    }
}

Describe 'Pipelines as users write them' {
    BeforeAll { $folder = New-TestFolder }
    AfterAll { Remove-Item $folder -Recurse -Force }

    It 'binds Import-Csv rows with a Path or a FullName column' {
        $csv = Join-Path $folder 'images.csv'
        Get-ChildItem $folder -Filter *.png | Select-Object @{ n = 'Path'; e = { $_.FullName } }, Name | Export-Csv $csv
        $maps = Import-Csv $csv | New-CamHeatmap -Model squeezenet1_1 -NoOverlay
        $maps.Count | Should -Be 3
        $predictions = Get-ChildItem $folder -Filter *.png | Select-Object FullName | Get-ClassPrediction -Model squeezenet1_1
        $predictions.Count | Should -Be 3
    }

    It 'resolves a relative HEATMAPTOOLS_MODEL_PATH against the PowerShell location' {
        $before = $env:HEATMAPTOOLS_MODEL_PATH
        try {
            Push-Location (Split-Path $Models)
            $env:HEATMAPTOOLS_MODEL_PATH = Split-Path $Models -Leaf
            # The process's own directory is elsewhere: only the PowerShell location makes the relative folder findable.
            [Environment]::CurrentDirectory = [IO.Path]::GetTempPath()
            $p = Get-ClassPrediction -LiteralPath (Join-Path $folder 'chelsea.png') -Model squeezenet1_1
            $p.WeightsFile | Should -Be (Join-Path $Models 'squeezenet1_1.safetensors')
            $p.Label | Should -Not -BeLike 'class_*' -Because 'the ImageNet labels are found the same way'
        }
        finally {
            Pop-Location
            $env:HEATMAPTOOLS_MODEL_PATH = $before
        }
    }
}

Describe 'Labels through the pipeline' {
    It 'names classes in New-CamHeatmap as Get-ClassPrediction did with -Labels' {
        $chelsea = Join-Path $Images 'chelsea.png'
        $maps = Get-ClassPrediction -LiteralPath $chelsea -Model resnet18 -Weights Random -Seed 4 -NumClasses 2 -Labels benign, malignant |
            New-CamHeatmap -NoOverlay
        $maps.Label | Should -BeIn @('benign', 'malignant')
        $maps.Model | Should -Be 'resnet18'
    }
}
