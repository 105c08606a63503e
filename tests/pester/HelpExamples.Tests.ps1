BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    # Every example of the built help, exactly as Get-Help -Examples prints it.
    $examples = foreach ($command in Get-Command -Module HeatmapTools -CommandType Cmdlet | Sort-Object Name) {
        $index = 0
        foreach ($example in @((Get-Help $command.Name).examples.example)) {
            @{ Command = $command.Name; Index = ++$index; Code = ($example.code -join "`n").Trim() }
        }
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    # The files the examples name, as a user has them: their photos (the shared ones stand in), a Kaggle IDC folder
    # (synthetic, with the examples' patient ids), its predictions CSV, and their own fine-tuned weights (seeded
    # torchvision state dicts saved by PyTorch, as a training script would).
    $root = Join-Path ([IO.Path]::GetTempPath()) ("hmt-examples-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $fixtures = Join-Path $root 'fixtures'
    New-Item -ItemType Directory $fixtures, (Join-Path $root 'shared') | Out-Null
    New-Item -ItemType SymbolicLink -Path (Join-Path $root 'shared/models') -Target $Models | Out-Null
    Copy-Item (Join-Path $Images 'chelsea.png') (Join-Path $fixtures 'cat.png')
    Copy-Item (Join-Path $Images 'gradcam_both.png') (Join-Path $fixtures 'both.png')
    Copy-Item (Join-Path $Images 'coffee.png') (Join-Path $fixtures 'xray.png')
    foreach ($sub in 'a', 'b') { $null = New-Item -ItemType Directory (Join-Path $fixtures "photos/$sub"); Copy-Item (Join-Path $Images 'chelsea.png') (Join-Path $fixtures "photos/$sub/cat.png") }
    Invoke-TestData jpeg (Join-Path $Images 'chelsea.png') (Join-Path $fixtures 'cat.jpg') | Out-Null
    $idc = Join-Path $fixtures 'IDC_regular_ps50_idx5'
    Invoke-TestData idc $idc 3 12 1 10253 | Out-Null
    Invoke-TestData csv $idc (Join-Path $fixtures 'predictions.csv') 3 12 1 ids 10253 | Out-Null
    Copy-Item (Get-ChildItem $idc -Recurse -Filter *.png | Select-Object -First 1).FullName (Join-Path $fixtures 'patch.png')
    # H&E tiles of two sites and a reference tile of a third (the stain parity tests' sites).
    $stain = Join-Path $PSScriptRoot '../HeatmapTools.Engine.Tests/TestData/stain'
    Copy-Item (Join-Path $stain 'site_A.png') (Join-Path $fixtures 'reference.png')
    $null = New-Item -ItemType Directory (Join-Path $fixtures 'he-tiles')
    foreach ($site in 'B', 'C') { Copy-Item (Join-Path $stain "site_$site.png") (Join-Path $fixtures "he-tiles/site_$site.png") }
    Invoke-TestData slide (Join-Path $fixtures 'slide.tiff') 6000 4000 | Out-Null  # and slide.geojson, its tumour
    # A YOLO-style detector exported to ONNX with its settings file (the detection tests' seeded one).
    $detection = Join-Path $PSScriptRoot '../HeatmapTools.Engine.Tests/TestData/detection'
    foreach ($extension in 'onnx', 'json') { Copy-Item (Join-Path $detection "tiny_yolov8.$extension") (Join-Path $fixtures "yolo.$extension") }
    $python = @'
import sys, torch, torchvision
torch.manual_seed(0)
torch.save(torchvision.models.resnet18(num_classes=2).state_dict(), sys.argv[1] + '/idc.pth')
torch.save(torchvision.models.resnet18(num_classes=2).state_dict(), sys.argv[1] + '/idc_resnet18.pth')
torch.save(torchvision.models.densenet121(num_classes=14).state_dict(), sys.argv[1] + '/chexnet.pth')
'@
    & /usr/bin/python3 -c $python $fixtures
    if ($LASTEXITCODE -ne 0) { throw 'PyTorch could not write the example weights.' }

    # Examples whose weights no offline machine has: torchvision's pretrained checkpoints are downloaded on first use.
    # Each must fail for exactly that reason, named.
    $needsDownload = @{
        'Get-ClassPrediction 2' = 'vgg16, the default model, is downloaded on first use'
        'Get-ClassPrediction 4' = 'vgg16, the default model, is downloaded on first use'
        'New-CamHeatmap 1'      = 'vgg16, the default model, is downloaded on first use'
        'New-CamHeatmap 3'      = 'resnet50''s ImageNet weights are downloaded on first use'
        'New-CamHeatmap 7'      = 'vit_b_16''s ImageNet weights are downloaded on first use'
    }
}

AfterAll { Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Help examples' {
    It '<Command> example <Index> runs as written in a folder of the files it names' -ForEach $examples {
        # A folder of its own per example, the fixtures linked in, so no example sees another's output.
        $work = Join-Path $root "$Command-$Index"
        New-Item -ItemType Directory $work | Out-Null
        Get-ChildItem $fixtures | ForEach-Object { New-Item -ItemType SymbolicLink -Path (Join-Path $work $_.Name) -Target $_.FullName | Out-Null }
        $modelPath = $env:HEATMAPTOOLS_MODEL_PATH
        Push-Location $work
        try {
            $run = { $ErrorActionPreference = 'Stop'; . ([scriptblock]::Create($Code)) }
            if ($needsDownload["$Command $Index"] -is [string]) {
                $run | Should -Throw -ErrorId 'WeightsNotFound*' -Because $needsDownload["$Command $Index"]
            }
            else {
                # Every error stops it (-ErrorAction Stop), and it must have done something: objects out, or files written.
                $output = @(& $run)
                $written = @(Get-ChildItem $work -Recurse -File | Where-Object { -not $_.LinkType -and $_.FullName -notlike "$fixtures*" })
                ($output.Count + $written.Count) | Should -BeGreaterThan 0 -Because 'an example that runs shows or writes something'
            }
        }
        finally {
            Pop-Location
            $env:HEATMAPTOOLS_MODEL_PATH = $modelPath
        }
    }
}
