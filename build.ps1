#Requires -Version 7.4
<#
.SYNOPSIS
Builds, tests, demonstrates and benchmarks the HeatmapTools module.

.PARAMETER Task
Build: publish the module for this machine's runtime into output/HeatmapTools/<version>.
Test:  Build, then run the xunit engine tests and the Pester cmdlet tests; prints "N passed, N failed".
Demo:  Build, then run examples/Classify-Image.ps1 and the other examples on the shared photos.
Bench: run tests/HeatmapTools.Bench: CAM images/s against forward-only, Grad-CAM under each right libtorch configuration against
       pytorch-grad-cam (PYTHONPATH naming checkouts of it and ttach), memory over 2,000 images, patch grids against decode-only, the native heap tuning against glibc's defaults, the trust measures' cost per image, -Target Softmax against Logit and Compare-CamHeatmap against two New-CamHeatmap runs (passes counted), one process against 2- and 4-task Slurm arrays (as root, with Debian's slurm-wlm and munge), Macenko stain normalisation against TIAToolbox (TIATOOLBOX naming a checkout), Integrated Gradients and Occlusion against Captum (CAPTUM naming a checkout).
Package: Build, then publish the module as a PSResourceGet package (.nupkg, versioned from the manifest) into
         output/packages/, installable with Install-PSResource from that folder registered as a repository.
Clean: remove output/ and every bin/ and obj/ folder.

.PARAMETER Runtime
The .NET runtime identifier to build for (default: this machine's, e.g. linux-x64). A runtime whose native packages
(libtorch, OpenCV) the package source does not serve stops the build and names the missing package.
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Package', 'Clean')]
    [string] $Task = 'Build',

    [string] $Runtime = [System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier,

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$root = $PSScriptRoot
$manifest = Import-PowerShellDataFile (Join-Path $root 'HeatmapTools.psd1')
$version = $manifest.ModuleVersion
$outputRoot = Join-Path $root 'output'
$moduleDir = Join-Path $outputRoot "HeatmapTools/$version"
$rid = $Runtime
# libtorch ships Python bindings and test backends the module never loads; they are a third of its size.
$unneededNatives = @('libtorch_python.so', 'libjitbackend_test.so', 'libtorchbind_test.so', 'libaoti_custom_ops.so',
    'libbackend_with_compiler.so', 'libnnapi_backend.so')

function Invoke-Native {
    param([Parameter(Mandatory)][string] $File, [string[]] $Arguments = @())
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "'$File $($Arguments -join ' ')' failed with exit code $LASTEXITCODE." }
}

function Assert-OpenCvDependencies {
    param([string] $Library)
    if (-not $IsLinux) { return }
    $missing = & ldd $Library | Where-Object { $_ -match '=> not found' } | ForEach-Object { ($_ -split '\s+')[1] }
    if (-not $missing) { return }
    # The official OpenCV runtime is built with its GUI module, so it links GTK3 even though we never open a window.
    $packages = @{ 'libgtk-3.so.0' = 'libgtk-3-0'; 'libgdk-3.so.0' = 'libgtk-3-0'; 'libgdk_pixbuf-2.0.so.0' = 'libgdk-pixbuf-2.0-0' }
    $names = $missing | ForEach-Object { if ($packages[$_]) { $packages[$_] } else { "(the package providing $_)" } } | Sort-Object -Unique
    throw "OpenCV's native library needs $($missing -join ', '), which this system lacks. Install it with: sudo apt-get install -y $($names -join ' ')"
}

# Restores for the runtime first, so a runtime whose native packages are not served here stops with their names.
function Assert-RuntimePackages {
    if ($rid -eq [System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier) { return }
    # (The next build for this machine restores for its own runtime again.)
    $log = & dotnet restore (Join-Path $root 'src/HeatmapTools/HeatmapTools.csproj') -r $rid "-p:RuntimeIdentifier=$rid" -nologo 2>&1 | ForEach-Object { "$_" } | Join-String -Separator "`n"
    if ($LASTEXITCODE -eq 0) { return }
    $missing = [regex]::Matches($log, "NU110[12]: Unable to find package '?([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)") | ForEach-Object { $_.Groups[1].Value } | Sort-Object -Unique
    if ($missing) {
        throw "Cannot build for $rid here: the package source does not serve $($missing -join ', ') (NuGet $(([regex]::Match($log, 'NU110[12]')).Value)). Build on a machine whose package source has them."
    }
    throw "Restoring for $rid failed:`n$log"
}

function Invoke-Build {
    Assert-RuntimePackages
    $publishDir = Join-Path $outputRoot "publish"
    if (Test-Path $publishDir) { Remove-Item $publishDir -Recurse -Force }
    Invoke-Native dotnet @('publish', (Join-Path $root 'src/HeatmapTools/HeatmapTools.csproj'), '-c', $Configuration,
        '-r', $rid, '--self-contained', 'false', '-o', $publishDir, '-nologo', '-v', 'q')

    if (Test-Path $moduleDir) { Remove-Item $moduleDir -Recurse -Force }
    $bin = Join-Path $moduleDir 'bin'
    $deps = Join-Path $bin 'deps'
    $native = Join-Path $deps "runtimes/$rid/native"
    New-Item -ItemType Directory -Path $native -Force | Out-Null

    # The cmdlet assembly sits in bin/ and loads into PowerShell's context; everything it depends on sits in
    # bin/deps/ where only the module's own load context finds it.
    # The contracts the two sides share sit beside it, in PowerShell's context too.
    $shared = 'HeatmapTools.dll', 'HeatmapTools.Contracts.dll'
    $shared | ForEach-Object { Copy-Item (Join-Path $publishDir $_) $bin }
    Get-ChildItem $publishDir -File | Where-Object { $_.Name -notin $shared -and $_.Extension -in '.dll' } |
        Copy-Item -Destination $deps
    # The arithmetic check's child process runs from there too, with the runtime settings the SDK wrote for it.
    $checkConfig = Join-Path $publishDir 'HeatmapTools.ArithmeticCheck.runtimeconfig.json'
    if (-not (Test-Path $checkConfig)) { throw 'The arithmetic check was not published (HeatmapTools.ArithmeticCheck.runtimeconfig.json is missing).' }
    Copy-Item $checkConfig $deps
    Get-ChildItem $publishDir -File | Where-Object { ($_.Name -match '\.so(\.|$)|\.dylib$') -and $_.Name -notin $unneededNatives } |
        Copy-Item -Destination $native
    if (Test-Path (Join-Path $bin 'deps/System.Management.Automation.dll')) { throw 'System.Management.Automation.dll must never ship.' }

    Copy-Item (Join-Path $root 'HeatmapTools.psd1') $moduleDir
    Copy-Item (Join-Path $root 'module/HeatmapTools.Format.ps1xml') $moduleDir
    # The conceptual help topic (Get-Help about_HeatmapTools) sits beside the cmdlet help in en-US.
    New-Item -ItemType Directory -Path (Join-Path $moduleDir 'en-US') -Force | Out-Null
    Copy-Item (Join-Path $root 'module/about_HeatmapTools.help.txt') (Join-Path $moduleDir 'en-US')

    if ($rid -like 'linux-*') {
        # TorchSharp's native shim names a GLIBCXX version newer than some distributions ship (Debian 12), for one
        # symbol that needs no relocation. The need is marked weak whatever this machine has: the module (and a package
        # built from it) must load on those systems too, and a weak need is harmless where the symbol exists.
        $patcher = Join-Path $outputRoot 'elfpatch'
        Invoke-Native dotnet @('build', (Join-Path $root 'src/HeatmapTools.ElfPatch/HeatmapTools.ElfPatch.csproj'), '-c', $Configuration,
            '-o', $patcher, '-nologo', '-v', 'q')
        Invoke-Native dotnet @((Join-Path $patcher 'HeatmapTools.ElfPatch.dll'), (Join-Path $native 'libLibTorchSharp.so'), 'GLIBCXX_3.4.32', '--always')
        if ($IsLinux) { Assert-OpenCvDependencies (Join-Path $native 'libOpenCvSharpExtern.so') }
    }
    Remove-Item $publishDir -Recurse -Force
    # Help is generated from module/help/*.psd1 plus the cmdlets' metadata, in a child process that imports the module.
    Invoke-Native dotnet @('pwsh', '-NoProfile', '-File', (Join-Path $root 'module/Build-Help.ps1'), '-ModuleDirectory', $moduleDir,
        '-HelpSource', (Join-Path $root 'module/help'))
    Write-Host "Built $moduleDir"
}

# The engine tests compare 13 model families with pytorch-grad-cam on seeded torchvision weights that are not stored
# anywhere: the shared data's script rebuilds them bit for bit with Debian's python3-torch and python3-torchvision.
function Initialize-ZooWeights {
    $shared = if ($env:HEATMAPTOOLS_SHARED) { $env:HEATMAPTOOLS_SHARED } else { Join-Path $root '../shared' }
    $zoo = Join-Path $outputRoot 'zoo-weights'
    $wanted = Get-ChildItem (Join-Path $shared 'reference/zoo') -Directory -ErrorAction SilentlyContinue |
        Where-Object { -not (Test-Path (Join-Path $zoo "$($_.Name)_seed1.pth")) }
    if (-not $wanted) { return }
    $python = '/usr/bin/python3'
    $hasTorch = (Test-Path $python) -and $(& $python -c 'import torch, torchvision' 2>$null; $LASTEXITCODE -eq 0)
    if (-not $hasTorch) {
        Write-Warning "The model-zoo parity tests need Debian's python3-torch and python3-torchvision to rebuild their weights (sudo apt-get install -y python3-torch python3-torchvision); they will fail without them."
        return
    }
    $arguments = @((Join-Path $shared 'tools/make_zoo_weights.py'), $zoo) + @($wanted.Name)
    Invoke-Native $python $arguments
}

# The target parity tests' seeded one-logit resnet18 and resnet50, made the same way by their reference script.
function Initialize-TargetWeights {
    $zoo = Join-Path $outputRoot 'zoo-weights'
    $shared = if ($env:HEATMAPTOOLS_SHARED) { $env:HEATMAPTOOLS_SHARED } else { Join-Path $root '../shared' }
    if (-not (Test-Path '/usr/bin/python3')) { return }
    if (-not ((Test-Path (Join-Path $zoo 'resnet18_binary_seed3.pth')) -and (Test-Path (Join-Path $zoo 'resnet50_seed1.pth')))) {
        Invoke-Native '/usr/bin/python3' @((Join-Path $root 'tests/reference/make_target_references.py'), 'weights', $zoo)
    }
    $segmenters = 'fcn_resnet50', 'deeplabv3_resnet50', 'deeplabv3_mobilenet_v3_large', 'lraspp_mobilenet_v3_large'
    if ($segmenters | Where-Object { -not (Test-Path (Join-Path $zoo "$($_)_seed1.pth")) }) {
        Invoke-Native '/usr/bin/python3' @((Join-Path $root 'tests/reference/make_segmentation_references.py'), 'weights', $zoo)
    }
    $detectors = 'fasterrcnn_mobilenet_v3_large_320_fpn', 'fasterrcnn_mobilenet_v3_large_fpn', 'fasterrcnn_resnet50_fpn', 'fasterrcnn_resnet50_fpn_v2',
        'retinanet_resnet50_fpn', 'retinanet_resnet50_fpn_v2', 'fcos_resnet50_fpn', 'ssdlite320_mobilenet_v3_large', 'ssd300_vgg16'
    if ($detectors | Where-Object { -not (Test-Path (Join-Path $zoo "$($_)_seed1.pth")) }) {
        Invoke-Native '/usr/bin/python3' @((Join-Path $root 'tests/reference/make_rcnn_references.py'), 'weights', $shared, $zoo)
    }
    $onnx = Join-Path $outputRoot 'zoo-onnx'
    if ('fcn_resnet50', 'deeplabv3_mobilenet_v3_large' | Where-Object { -not (Test-Path (Join-Path $onnx "$($_)_segmentation.onnx")) }) {
        Invoke-Native '/usr/bin/python3' @((Join-Path $root 'tests/reference/make_segmentation_references.py'), 'onnx', $zoo, $onnx)
    }
}

# The same 13 models exported to ONNX as a user would (torch.onnx.export), for the test that a graph gives their maps.
function Initialize-ZooOnnx {
    $shared = if ($env:HEATMAPTOOLS_SHARED) { $env:HEATMAPTOOLS_SHARED } else { Join-Path $root '../shared' }
    $zoo = Join-Path $outputRoot 'zoo-weights'
    $onnx = Join-Path $outputRoot 'zoo-onnx'
    $wanted = Get-ChildItem (Join-Path $shared 'reference/zoo') -Directory -ErrorAction SilentlyContinue |
        Where-Object { -not (Test-Path (Join-Path $onnx "$($_.Name).onnx")) }
    if (-not $wanted -or -not (Test-Path $zoo)) { return }
    $arguments = @((Join-Path $root 'tests/reference/export_zoo_onnx.py'), $shared, $zoo, $onnx) + @($wanted.Name)
    Invoke-Native '/usr/bin/python3' $arguments
}

function Invoke-Test {
    Initialize-ZooWeights
    Initialize-TargetWeights
    Initialize-ZooOnnx
    $results = Join-Path $outputRoot 'test-results'
    if (Test-Path $results) { Remove-Item $results -Recurse -Force }
    New-Item -ItemType Directory $results | Out-Null

    Invoke-Native dotnet @('restore', (Join-Path $root 'tests/tools/TestTools.csproj'), '-nologo', '-v', 'q')
    # The synthetic-dataset tool the Pester tests call to write IDC-shaped patches and read pixels back.
    Invoke-Native dotnet @('build', (Join-Path $root 'tests/HeatmapTools.TestData/HeatmapTools.TestData.csproj'), '-c', $Configuration,
        '-o', (Join-Path $outputRoot 'testdata'), '-nologo', '-v', 'q')
    & dotnet test (Join-Path $root 'tests/HeatmapTools.Engine.Tests/HeatmapTools.Engine.Tests.csproj') -c $Configuration -nologo `
        --logger "trx;LogFileName=engine.trx" --results-directory $results --blame
    $xunitExit = $LASTEXITCODE
    $trx = Join-Path $results 'engine.trx'
    if (-not (Test-Path $trx)) { throw "The xunit run produced no results (exit code $xunitExit)." }
    [xml] $doc = Get-Content $trx -Raw
    $counters = $doc.TestRun.ResultSummary.Counters
    $xPassed = [int]$counters.passed
    $xFailed = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout
    # A test host that crashes (a native fault) ends the run with what it had: the tests it never ran are failures, not
    # absent. dotnet test exits non-zero then, with no failed test to show for it; --blame names the test that was running.
    $xAborted = 0
    if ($xunitExit -ne 0 -and $xFailed -eq 0) {
        $listed = @(& dotnet test (Join-Path $root 'tests/HeatmapTools.Engine.Tests/HeatmapTools.Engine.Tests.csproj') -c $Configuration --no-build --list-tests 2>$null |
            Where-Object { $_ -match '^\s{4}\S' }).Count
        $xAborted = [Math]::Max(1, $listed - [int]$counters.executed)
        $xFailed += $xAborted
        Write-Host "xunit run aborted (exit code $xunitExit, $($doc.TestRun.ResultSummary.outcome)): $($counters.executed) of $listed tests ran; the $xAborted that did not count as failed."
    }

    # Pester runs in a child pwsh so the module under test loads into a clean process.
    $pesterResult = Join-Path $results 'pester.json'
    Invoke-Native dotnet @('pwsh', '-NoProfile', '-File', (Join-Path $root 'tests/pester/Invoke-PesterTests.ps1'), '-ModulePath',
        (Join-Path $outputRoot 'HeatmapTools'), '-ResultPath', $pesterResult)
    $pester = Get-Content $pesterResult -Raw | ConvertFrom-Json

    # CI keeps only the tail of the log: name each failed engine test there, with its message's first line.
    foreach ($result in @($doc.TestRun.Results.UnitTestResult | Where-Object outcome -in 'Failed', 'Error', 'Timeout')) {
        $message = "$($result.Output.ErrorInfo.Message)".Trim() -split "`n" | Select-Object -First 1
        Write-Host "xunit $($result.outcome): $($result.testName): $message"
    }

    $passed = $xPassed + $pester.Passed
    $failed = $xFailed + $pester.Failed
    Write-Host "xunit: $xPassed passed, $xFailed failed; Pester: $($pester.Passed) passed, $($pester.Failed) failed"
    Write-Host "$passed passed, $failed failed"
    if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
}

switch ($Task) {
    'Clean' {
        Remove-Item $outputRoot -Recurse -Force -ErrorAction SilentlyContinue
        Get-ChildItem $root -Directory -Recurse -Include bin, obj | Remove-Item -Recurse -Force
    }
    'Build' { Invoke-Build }
    'Test' { Invoke-Build; Invoke-Test }
    'Package' {
        Invoke-Build
        # PSResourceGet (in pwsh 7.4+) writes the .nupkg into a folder repository: a temporary registration of
        # output/packages, removed again, so the user's own repositories are untouched.
        $packages = Join-Path $outputRoot 'packages'
        New-Item -ItemType Directory -Force $packages | Out-Null
        Get-ChildItem $packages -Filter "HeatmapTools.$version.nupkg" | Remove-Item -Force
        $repository = "HeatmapTools-build-$PID"
        Register-PSResourceRepository -Name $repository -Uri $packages -Trusted
        try { Publish-PSResource -Path $moduleDir -Repository $repository }
        finally { Unregister-PSResourceRepository -Name $repository }
        $package = Get-ChildItem $packages -Filter "HeatmapTools.$version.nupkg"
        Write-Host ("Packaged {0} ({1:N0} MB) for {2}" -f $package.FullName, ($package.Length / 1MB), $rid)
    }
    'Demo' {
        Invoke-Build
        Invoke-Native dotnet @('build', (Join-Path $root 'tests/HeatmapTools.TestData/HeatmapTools.TestData.csproj'), '-c', $Configuration,
            '-o', (Join-Path $outputRoot 'testdata'), '-nologo', '-v', 'q')
        Invoke-Native dotnet @('pwsh', '-NoProfile', '-File', (Join-Path $root 'examples/Run-Demo.ps1'))
    }
    'Bench' {
        # The benchmark drives the same engine calls the cmdlets make, in one process, so every ratio is measured side by side.
        $shared = if ($env:HEATMAPTOOLS_SHARED) { $env:HEATMAPTOOLS_SHARED } else { Join-Path $root '../shared' }
        $bench = Join-Path $root 'tests/HeatmapTools.Bench/HeatmapTools.Bench.csproj'
        Invoke-Native dotnet @('build', $bench, '-c', 'Release', '-nologo', '-v', 'q')
        # Each part in its own process, so the memory figures are not inflated by the models the CAM part loaded.
        # The ONNX part runs graphs exported by Debian's PyTorch with the same seeded weights as the built-in families.
        $onnxModels = Join-Path $outputRoot 'bench-onnx'
        if (Test-Path '/usr/bin/python3') { Invoke-Native '/usr/bin/python3' @((Join-Path $root 'tests/HeatmapTools.Bench/make_onnx_bench_models.py'), $onnxModels) }
        $zoo = Join-Path $outputRoot 'zoo-weights'
        if ((Test-Path '/usr/bin/python3') -and -not (Test-Path (Join-Path $zoo 'fasterrcnn_mobilenet_v3_large_320_fpn_seed1.pth'))) {
            Invoke-Native '/usr/bin/python3' @((Join-Path $root 'tests/reference/make_rcnn_references.py'), 'weights', $shared, $zoo)
        }
        foreach ($part in @('cam'), @('memory'), @('memory', '--model', 'vit_b_16'), @('pipeline'), @('collect'), @('patches'), @('heap'), @('trust'), @('targets'), @('budget'), @('onnx', '--onnx', $onnxModels), @('backends'), @('attribution'), @('explanation'), @('detection', '--weights', $zoo)) {
            Invoke-Native dotnet (@('run', '--no-build', '--project', $bench, '-c', 'Release', '--') + $part + @('--shared', $shared))
        }
        # One process against Slurm arrays of 2 and 4 tasks (a single-node cluster from Debian's packages, as root).
        Invoke-Native dotnet @('pwsh', '-NoProfile', '-File', (Join-Path $root 'tests/HeatmapTools.Bench/ClusterBench.ps1'), '-Shared', $shared)
    }
}
