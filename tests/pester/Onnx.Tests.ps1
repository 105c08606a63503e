# Issue 21: any model as an ONNX graph, with its own input size, channels, normalisation and head, end to end.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $onnx = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../HeatmapTools.Engine.Tests/TestData/onnx'))
    $manifest = Get-Content (Join-Path $onnx 'manifest.json') -Raw | ConvertFrom-Json
    $dir = New-TestFolder
    $photo = Join-Path $dir 'chelsea.png'
}
AfterAll { Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'An ONNX model from the pipeline' {
    It 'classifies the photo prepared as PyTorch was fed (grey, 320 x 256, own mean and std): logits equal PyTorch''s, P = sigmoid(logit)' {
        # The reference input: cv2 grey, resized to 320 x 256, (x / 255 - 0.5) / 0.25.
        $expected = (Read-Npy (Join-Path $onnx 'xray_net.logits.npy'))[0]
        $p = Get-ClassPrediction $photo -Model (Join-Path $onnx 'xray_net.opset13.onnx') -Mean 0.5 -Std 0.25
        $p.Logits.Count | Should -Be 1
        [math]::Abs($p.Logits[0] - $expected) | Should -BeLessOrEqual (1e-4 * [math]::Max(1, [math]::Abs($expected)))
        $p.Probability | Should -BeGreaterThan (1 / (1 + [math]::Exp(-$p.Logits[0])) - 1e-9)
        $p.Probability | Should -BeLessThan (1 / (1 + [math]::Exp(-$p.Logits[0])) + 1e-9)
        $p.Model | Should -Be (Join-Path $onnx 'xray_net.opset13.onnx')
    }

    It 'feeds a one-channel graph ImageNet''s averaged grey statistics unless told otherwise, which changes the logit' {
        $told = Get-ClassPrediction $photo -Model (Join-Path $onnx 'xray_net.opset13.onnx') -Mean 0.5 -Std 0.25
        $default = Get-ClassPrediction $photo -Model (Join-Path $onnx 'xray_net.opset13.onnx')
        $default.Logits[0] | Should -Not -Be $told.Logits[0]
    }

    It 'takes any -InputSize for a graph of dynamic height and width, and refuses Native for a fixed one before any image' {
        $dynamic = Join-Path ([IO.Path]::GetTempPath()) "hmt-dynamic-$PID.onnx"
        & /usr/bin/python3 -c @"
import torch
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(8, 4)).eval()
torch.onnx.export(net, torch.randn(1, 3, 64, 64), '$dynamic', input_names=['input'], output_names=['logits'], opset_version=13,
                  dynamic_axes={'input': {0: 'b', 2: 'h', 3: 'w'}, 'logits': {0: 'b'}})
"@
        try {
            $small = Get-ClassPrediction $photo -Model $dynamic -InputSize 112 -ErrorAction Stop
            $wide = Get-ClassPrediction $photo -Model $dynamic -InputSize 160,96 -ErrorAction Stop
            $default = Get-ClassPrediction $photo -Model $dynamic -ErrorAction Stop
            $small.Logits[0] | Should -Not -Be $default.Logits[0]
            $wide.Logits[0] | Should -Not -Be $small.Logits[0]
        }
        finally { Remove-Item $dynamic -ErrorAction SilentlyContinue }
        { Get-ClassPrediction $photo -Model (Join-Path $onnx 'xray_net.opset13.onnx') -InputSize Native -ErrorAction Stop } | Should -Throw -ErrorId 'PreprocessInvalid*'
    }

    It 'makes classic CAM on heads as exporters write global average pooling and a linear layer: <Head>' -ForEach @(
        @{ Head = 'GlobalAveragePool, Flatten, Gemm' }
        @{ Head = 'ReduceMean, Gemm' }
        @{ Head = 'ReduceMean, Shape helpers, Reshape, MatMul, Add' }
        @{ Head = 'ReduceMean, MatMul' }
    ) {
        $graphs = Join-Path $dir 'gap-graphs'
        if (-not (Test-Path $graphs)) {
            New-Item -ItemType Directory $graphs | Out-Null
            & /usr/bin/python3 -c @"
import torch
torch.manual_seed(0)
body = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(8, 16, 3, stride=2, padding=1), torch.nn.ReLU())
fc = torch.nn.Linear(16, 5)
class Net(torch.nn.Module):
    def __init__(self, head):
        super().__init__(); self.body = body; self.fc = fc; self.head = head
    def forward(self, x):
        a = self.body(x)
        if self.head == 0: return self.fc(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(a, 1), 1))
        if self.head == 1: return self.fc(a.mean((2, 3)))
        if self.head == 2: return a.mean((2, 3), keepdim=True).view(a.size(0), -1) @ self.fc.weight.t() + self.fc.bias
        if self.head == 3: return a.mean((2, 3)) @ self.fc.weight.t()
        return self.fc(torch.relu(torch.nn.functional.linear(a.mean((2, 3)), torch.eye(16))))
for k in range(5):
    torch.onnx.export(Net(k).eval(), torch.randn(1, 3, 64, 64), '$graphs/head%d.onnx' % k, opset_version=13)
"@
        }
        $index = [array]::IndexOf(@('GlobalAveragePool, Flatten, Gemm', 'ReduceMean, Gemm', 'ReduceMean, Shape helpers, Reshape, MatMul, Add', 'ReduceMean, MatMul'), $Head)
        $model = Join-Path $graphs "head$index.onnx"
        $out = Join-Path $dir "gap$index"
        $cam = New-CamHeatmap $photo -Model $model -Method CAM -ClassIndex 2 -OutputPath $out -MapFormat Npy -NoOverlay -ErrorAction Stop
        $grad = New-CamHeatmap $photo -Model $model -Method GradCAM -ClassIndex 2 -OutputPath (Join-Path $dir "grad$index") -MapFormat Npy -NoOverlay -ErrorAction Stop
        $cam.Layer | Should -Be $grad.Layer
        # On such a head d logit_c / d A_k(i,j) = w_ck / (h w) everywhere, so Grad-CAM's map is CAM's divided by h w:
        # after normalisation the two are one map (Selvaraju et al. 2017, section 3.1).
        $a = Read-Npy $cam.MapPath; $b = Read-Npy $grad.MapPath
        $max = 0.0; for ($k = 0; $k -lt $a.Count; $k++) { $max = [math]::Max($max, [math]::Abs($a[$k] - $b[$k])) }
        $max | Should -BeLessThan 1e-4
        ($a | Measure-Object -Maximum).Maximum | Should -BeGreaterThan 0.5
        # A head that is not pooling and one linear layer is still refused, naming what is in the way.
        $err = { New-CamHeatmap $photo -Model (Join-Path $graphs 'head4.onnx') -Method CAM -NoOverlay -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'MethodNotApplicable,*'
        $err.Exception.Message | Should -BeLike '*Relu*'
    }

    It 'lists the layers a user picks from an exported ViT, and every operator with -Recurse' {
        $vit = Join-Path $PSScriptRoot '../../output/zoo-onnx/vit_b_16.onnx'
        Test-Path $vit | Should -BeTrue -Because 'build.ps1 -Task Test exports the zoo to ONNX (tests/reference/export_zoo_onnx.py)'
        $layers = Get-CamLayer -Model $vit
        $all = Get-CamLayer -Model $vit -Recurse
        $layers.Count | Should -BeLessThan 150
        $all.Count | Should -BeGreaterThan (3 * $layers.Count)
        $layers.Type | Should -Not -Contain 'Shape'
        $layers.Type | Should -Not -Contain 'Gather'
        $layers.Name | Should -Not -Contain 'encoder.layers.encoder_layer_0.ln_1.Pow'
        $layers.Name | Should -Contain 'encoder.layers.encoder_layer_0.ln_1'
        $layers.Name | Should -Contain 'encoder.layers.encoder_layer_5.mlp'
        ($layers | Where-Object IsDefault).Name | Should -Be 'encoder.layers.encoder_layer_11.ln_1'
        $all.Name | Should -Contain 'encoder.layers.encoder_layer_0.ln_1.Pow'
    }

    It 'refuses an input the graph was not made for: <What>' -ForEach @(
        @{ What = 'another size'; Arguments = @{ InputSize = '224' }; Id = 'PreprocessInvalid' }
        @{ What = 'three channels for a grey net'; Arguments = @{ InputChannels = 3 }; Id = 'PreprocessInvalid' }
        @{ What = 'a mean per channel it does not have'; Arguments = @{ Mean = 0.1, 0.2, 0.3 }; Id = 'PreprocessInvalid' }
    ) {
        $err = { Get-ClassPrediction $photo -Model (Join-Path $onnx 'xray_net.opset13.onnx') @Arguments } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike "$Id,*"
    }

    It 'reads a Keras-style graph''s softmax output as probabilities, not as logits to soften again' {
        $p = Get-ClassPrediction $photo -Model (Join-Path $onnx 'keras_like.opset13.onnx')
        $expected = Read-Npy (Join-Path $onnx 'keras_like.logits.npy')
        $p.Probability | Should -BeGreaterThan ($expected[$p.ClassIndex] - 1e-4)
        $p.Probability | Should -BeLessThan ($expected[$p.ClassIndex] + 1e-4)
    }

    It 'passes the model and its preprocessing from Get-ClassPrediction to New-CamHeatmap, whose map equals the one asked for directly' {
        $model = Join-Path $onnx 'xray_net.opset17.onnx'
        $out1 = Join-Path $dir 'piped'; $out2 = Join-Path $dir 'direct'
        $piped = Get-ClassPrediction $photo -Model $model -Mean 0.5 -Std 0.25 | New-CamHeatmap -OutputPath $out1 -MapFormat Npy
        $direct = New-CamHeatmap $photo -Model $model -Mean 0.5 -Std 0.25 -OutputPath $out2 -MapFormat Npy
        # The last map before pooling: the features Sequential's output (its last module, features.10, names the same tensor).
        $piped.Layer | Should -Be 'features'
        $a = Read-Npy $piped.MapPath; $b = Read-Npy $direct.MapPath
        $a.Count | Should -Be (320 * 256)
        (Compare-Object $a $b -SyncWindow 0).Count | Should -Be 0
        Test-Path $piped.OutputPath | Should -BeTrue
    }

    It 'explains a module path, a node name and a tensor name of the same activation alike' {
        $model = Join-Path $onnx 'se_resnet.opset13.onnx'
        $maps = 'layer2.1', '/layer2/layer2.1/relu_1/Relu', '/layer2/layer2.1/relu_1/Relu_output_0' | ForEach-Object {
            $r = New-CamHeatmap $photo -Model $model -Layer $_ -OutputPath (Join-Path $dir ("n" + [guid]::NewGuid().ToString('N').Substring(0, 6))) -MapFormat Npy -NoOverlay
            , (Read-Npy $r.MapPath)
        }
        (Compare-Object $maps[0] $maps[1] -SyncWindow 0).Count | Should -Be 0
        (Compare-Object $maps[0] $maps[2] -SyncWindow 0).Count | Should -Be 0
    }

    It 'lists module paths with shapes, the default first among equals, and completes them' {
        $layers = Get-CamLayer -Model (Join-Path $onnx 'tiny_vit.opset17.onnx') -Recurse
        ($layers | Where-Object IsDefault).Name | Should -Be 'blocks.2.norm1'
        ($layers | Where-Object Name -eq 'blocks.2.norm1').OutputShape | Should -Be '50x64'
        $line = "New-CamHeatmap x.png -Model '$(Join-Path $onnx 'tiny_vit.opset17.onnx')' -Layer blocks.1.no"
        $completion = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $completion.CompletionMatches.CompletionText | Should -Contain 'blocks.1.norm1'
    }

    It 'says which layer names exist when one does not' {
        $err = { New-CamHeatmap $photo -Model (Join-Path $onnx 'se_resnet.opset13.onnx') -Layer layer3.9 -OutputPath (Join-Path $dir 'none') } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'UnknownLayer,*'
        $err.Exception.Message | Should -BeLike "*Did you mean*layer3*"
    }
}

Describe 'A model folder''s sidecar file' {
    BeforeAll {
        $folder = Join-Path $dir 'models'
        New-Item -ItemType Directory $folder | Out-Null
        Copy-Item (Join-Path $onnx 'xray_net.opset13.onnx') (Join-Path $folder 'xray.onnx')
        '{ "inputSize": [320, 256], "channels": 1, "mean": [0.5], "std": [0.25], "labels": ["finding"], "defaultLayer": "features.6" }' |
            Set-Content (Join-Path $folder 'xray.json')
    }

    It 'gives the model its preprocessing, labels and default layer, found by name through HEATMAPTOOLS_MODEL_PATH' {
        $saved = $env:HEATMAPTOOLS_MODEL_PATH
        try {
            $env:HEATMAPTOOLS_MODEL_PATH = "$folder$([IO.Path]::PathSeparator)$saved"
            $byName = Get-ClassPrediction $photo -Model xray -Verbose 4>&1
            $verbose = $byName | Where-Object { $_ -is [Management.Automation.VerboseRecord] }
            $p = $byName | Where-Object { $_ -isnot [Management.Automation.VerboseRecord] }
            ($verbose.Message -join "`n") | Should -BeLike "*xray.json*"
            $p.Label | Should -Be 'finding'
            $explicit = Get-ClassPrediction $photo -Model (Join-Path $onnx 'xray_net.opset13.onnx') -Mean 0.5 -Std 0.25
            # Two copies of the graph, each loaded on its own: equal up to float rounding (libtorch may pick other kernels).
            [math]::Abs($p.Logits[0] - $explicit.Logits[0]) | Should -BeLessOrEqual (1e-6 * [math]::Max(1, [math]::Abs($explicit.Logits[0])))
            (New-CamHeatmap $photo -Model xray -OutputPath (Join-Path $dir 'side') -NoOverlay -MapFormat Npy).Layer | Should -Be 'features.6'
            $line = 'Get-ClassPrediction x.png -Model xr'
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'xray'
        }
        finally { $env:HEATMAPTOOLS_MODEL_PATH = $saved }
    }

    It 'names the settings file, not a parameter, when a setting of the file is what cannot be used' {
        '{ "inputSize": 112 }' | Set-Content (Join-Path $folder 'xray.json')
        $err = { Get-ClassPrediction $photo -Model (Join-Path $folder 'xray.onnx') } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'PreprocessInvalid,*'
        $err.Exception.Message | Should -BeLike "*'inputSize' 112 in the model's settings file*xray.json*"
        $err.Exception.Message | Should -Not -BeLike '*-InputSize*'
        '{ "channels": 3 }' | Set-Content (Join-Path $folder 'xray.json')
        $err = { Get-ClassPrediction $photo -Model (Join-Path $folder 'xray.onnx') } | Should -Throw -PassThru
        $err.Exception.Message | Should -BeLike "*'channels' 3 in the model's settings file*xray.json*"
        # Given on the command line, the parameter is named.
        Remove-Item (Join-Path $folder 'xray.json')
        $err = { Get-ClassPrediction $photo -Model (Join-Path $folder 'xray.onnx') -InputSize 112 } | Should -Throw -PassThru
        $err.Exception.Message | Should -BeLike '*-InputSize 112*'
    }

    It 'names the settings file when its default layer is not a layer of the model' {
        '{ "defaultLayer": "features.66" }' | Set-Content (Join-Path $folder 'xray.json')
        $err = { New-CamHeatmap $photo -Model (Join-Path $folder 'xray.onnx') -NoOverlay } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ModelSidecarInvalid,*'
        $err.Exception.Message | Should -BeLike "*xray.json*'defaultLayer'*features.66*"
    }

    It 'is refused, naming the file and the key, when it has a key it cannot have' {
        '{ "inputsize": 50, "colour": "red" }' | Set-Content (Join-Path $folder 'xray.json')
        $err = { Get-ClassPrediction $photo -Model (Join-Path $folder 'xray.onnx') } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ModelSidecarInvalid,*'
        $err.Exception.Message | Should -BeLike "*xray.json*colour*"
    }
}

Describe 'An ONNX patch classifier over patients' {
    BeforeAll {
        $root = Join-Path ([IO.Path]::GetTempPath()) ("hmt-onnx-grid-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $data = Join-Path $root 'IDC_regular_ps50_idx5'
        $null = Invoke-TestData idc $data 2 12 3
        $model = Join-Path $onnx 'mobile_hs.opset17.onnx'
    }
    AfterAll { Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue }

    It 'classifies patches with the graph, paints P(class 1) and explains them, the patient images agreeing with the predictions' {
        $patches = Get-ChildItem $data -Recurse -Filter *.png
        $predictions = $patches | Get-ClassPrediction -Model $model
        $predictions.Count | Should -Be $patches.Count
        $grids = $predictions | New-PatientPatchGrid -OutputPath (Join-Path $root 'grid') -PositiveClass 1 -Kind Probability
        $grids.Count | Should -Be 2
        # A patch's probability of class 1, from its own softmax, is the one the grid read.
        $p = $predictions[0]
        $e = $p.Logits | ForEach-Object { [math]::Exp($_ - ($p.Logits | Measure-Object -Maximum).Maximum) }
        $expected = $e[1] / ($e | Measure-Object -Sum).Sum
        $p.ClassProbabilities['class_1'] | Should -BeGreaterThan ($expected - 1e-9)
        $p.ClassProbabilities['class_1'] | Should -BeLessThan ($expected + 1e-9)
        $maps = $predictions | Select-Object -First 4 | New-CamHeatmap -NoOverlay
        $maps.Count | Should -Be 4
        $maps[0].Layer | Should -Be (Get-CamLayer -Model $model | Where-Object IsDefault).Name
    }
}

Describe 'A sidecar''s positive class' {
    It 'lets New-PatientPatchGrid read P(positive) of a many-class head without -PositiveClass' {
        $root = Join-Path ([IO.Path]::GetTempPath()) ("hmt-onnx-pos-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        try {
            $data = Join-Path $root 'IDC_regular_ps50_idx5'
            $null = Invoke-TestData idc $data 1 6 3
            Copy-Item (Join-Path $onnx 'mobile_hs.opset17.onnx') (Join-Path $root 'patch.onnx')
            $predictions = Get-ChildItem $data -Recurse -Filter *.png | Get-ClassPrediction -Model (Join-Path $root 'patch.onnx')
            $err = { $predictions | New-PatientPatchGrid -OutputPath (Join-Path $root 'a') -Kind Probability -ErrorAction Stop } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'PositiveClassRequired*'
            '{ "positiveClass": 2 }' | Set-Content (Join-Path $root 'patch.json')
            (Get-ChildItem $data -Recurse -Filter *.png | Get-ClassPrediction -Model (Join-Path $root 'patch.onnx') |
                New-PatientPatchGrid -OutputPath (Join-Path $root 'b') -Kind Probability).Count | Should -Be 1
        }
        finally { Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'Maps of a cropped or letterboxed input' {
    It 'places a -Resize <Resize> map where the network saw the image, so the overlay lines up' -ForEach @(
        @{ Resize = 'CenterCrop' }
        @{ Resize = 'Letterbox' }
    ) {
        $r = New-CamHeatmap $photo -Model squeezenet1_1 -Resize $Resize -OutputPath (Join-Path $dir "crop$Resize") -MapFormat Npy
        $w, $h = (Invoke-TestData size $photo) -split 'x' | ForEach-Object { [int]$_ }
        $map = Read-Npy $r.MapPath
        if ($Resize -eq 'CenterCrop') {
            # The shorter side scaled to 256; the 224 crop in its centre holds the map, the sides are cold.
            $scale = 256 / [math]::Min($w, $h)
            $sw = [math]::Max(224, [math]::Round($w * $scale)); $sh = [math]::Max(224, [math]::Round($h * $scale))
            $map.Count | Should -Be ($sw * $sh)
            $map[0] | Should -Be 0
        }
        else {
            # The image fills a band of the 224 input; the map is that band, in the image's proportions.
            $fit = [math]::Min(224 / $w, 224 / $h)
            $map.Count | Should -Be ([math]::Round($w * $fit) * [math]::Round($h * $fit))
        }
        Test-Path $r.OutputPath | Should -BeTrue
    }
}

Describe 'Trust measures on an ONNX model' {
    It 'takes maps piped from New-CamHeatmap to Measure-CamFaithfulness, which finds the graph by the path they carry' {
        Push-Location $dir
        try {
            $r = New-CamHeatmap $photo -Model (Join-Path $onnx 'se_resnet.opset17.onnx') -NoOverlay | Measure-CamFaithfulness -Percentile 50 -CurveSteps 0
        }
        finally { Pop-Location }
        $r.Model | Should -Be (Join-Path $onnx 'se_resnet.opset17.onnx')
        $r.RoadMostRelevantFirstAverage | Should -Not -BeNullOrEmpty
    }
}

Describe 'Two models of one head size in one pipeline' {
    It 'names each result''s class from its own model''s sidecar' {
        $root = Join-Path ([IO.Path]::GetTempPath()) ("hmt-onnx-two-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        New-Item -ItemType Directory $root | Out-Null
        try {
            foreach ($name in 'first', 'second') {
                Copy-Item (Join-Path $onnx 'xray_net.opset13.onnx') (Join-Path $root "$name.onnx")
                "{ `"labels`": [`"$name finding`"], `"mean`": [0.5], `"std`": [0.25] }" | Set-Content (Join-Path $root "$name.json")
            }
            $maps = 'first', 'second' | ForEach-Object { Get-ClassPrediction $photo -Model (Join-Path $root "$_.onnx") } | New-CamHeatmap -NoOverlay
            $maps.Label | Should -Be @('first finding', 'second finding')
        }
        finally { Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue }
    }
}
