BeforeAll { . (Join-Path $PSScriptRoot 'TestSetup.ps1') }

Describe 'Loading the module' {
    It 'exports its cmdlets' {
        $names = (Get-Module HeatmapTools).ExportedCmdlets.Keys
        $names | Should -Contain 'Get-ClassPrediction'
        $names | Should -Contain 'New-CamHeatmap'
        $names | Should -Contain 'Get-CamLayer'
        $names | Should -Contain 'New-PatientPatchGrid'
    }

    It 'runs torch and OpenCV from its own load context' {
        $info = Get-HeatmapToolsInfo
        $info.Probe | Should -Match 'torch 2\.\d+.* sum=4; OpenCV 4\.\d+.* mean=7'
        $info.EngineLoadContext | Should -Be 'HeatmapTools'
        $info.NativeDirectory | Should -Match 'runtimes[/\\]linux-x64[/\\]native$'
    }

    It 'reuses large native blocks and runs OpenCV on the calling thread, unless told to leave the allocator alone' -Skip:(-not $IsLinux) {
        $info = Get-HeatmapToolsInfo
        $info.NativeHeap | Should -Be 'ReuseLargeBlocks'
        $info.OpenCvThreads | Should -Be 1
        $info.TorchThreads | Should -Be ([Environment]::ProcessorCount)

        # The opt-out is read when the engine starts, so it is checked in a fresh process.
        $env:HEATMAPTOOLS_NATIVE_HEAP = 'default'
        try { $child = Invoke-FreshPwsh "Import-Module '$ModulePath'; (Get-HeatmapToolsInfo).NativeHeap" } finally { Remove-Item Env:HEATMAPTOOLS_NATIVE_HEAP }
        $LASTEXITCODE | Should -Be 0
        $child | Should -Be 'Default'

        # Never silently: a fresh session hears of the tuning once, with -Verbose.
        $said = Invoke-FreshPwsh "Import-Module '$ModulePath'; Get-HeatmapToolsInfo -Verbose 3>`$null 4>&1 | Where-Object { `$_ -is [Management.Automation.VerboseRecord] -and `$_.Message -match 'allocator' } | ForEach-Object Message"
        $said | Should -Match 'HEATMAPTOOLS_NATIVE_HEAP=default'
    }

    It 'keeps its cmdlets to engine types, so only the engine is loaded on their behalf' {
        $assembly = (Get-Module HeatmapTools).ImplementingAssembly
        # Newtonsoft.Json is PowerShell's own (its [JsonIgnore] is what ConvertTo-Json honours): named, never shipped.
        $foreign = $assembly.GetReferencedAssemblies().Name | Where-Object { $_ -notmatch '^(System(\..+)?|netstandard|HeatmapTools\.(Engine|Contracts)|Newtonsoft\.Json)$' }
        $foreign | Should -BeNullOrEmpty -Because 'a cmdlet that names an OpenCvSharp or TorchSharp type would bind it in PowerShell''s context, where another module''s copy may sit'
        Get-ChildItem (Split-Path $assembly.Location) -Recurse -Filter 'Newtonsoft.Json.dll' | Should -BeNullOrEmpty
    }

    It 'draws with one colormap default and two opacities everywhere: maps at the Keras recipe''s 0.4, regions at 0.5' {
        $drawing = (Get-Command -Module HeatmapTools -CommandType Cmdlet).ImplementingType | Where-Object { $_.GetProperty('Colormap') -or $_.GetProperty('Alpha') }
        $drawing.Count | Should -BeGreaterOrEqual 4
        foreach ($type in $drawing) {
            $made = [Activator]::CreateInstance($type)
            if ($type.GetProperty('Colormap')) { $made.Colormap | Should -BeExactly 'Jet' -Because "$($type.Name) draws as the others do" }
            $made.Alpha | Should -BeIn 0.4, 0.5 -Because "$($type.Name) lays colour at one of the two opacities"
        }
        @($drawing | Where-Object { [Activator]::CreateInstance($_).Alpha -eq 0.4 }).Name | Sort-Object | Should -Be @('NewAttributionMapCommand', 'NewCamHeatmapCommand', 'NewPatientPatchGridCommand')
    }

    It 'shares one copy of its contracts between the cmdlets and the engine, in PowerShell''s own context' {
        $contracts = [HeatmapTools.ResizeMode].Assembly
        [Runtime.Loader.AssemblyLoadContext]::GetLoadContext($contracts) | Should -Be ([Runtime.Loader.AssemblyLoadContext]::Default)
        # The engine's parameter type is the very type the cmdlet binds: an engine method takes the cmdlet's value as it is.
        $engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'HeatmapTools.Engine' }
        $engine.GetType('HeatmapTools.Engine.Imaging.PreprocessRequest').GetProperty('Resize').PropertyType.GenericTypeArguments[0] | Should -Be ([HeatmapTools.ResizeMode])
        [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'HeatmapTools.Contracts' } | Should -HaveCount 1
        Get-ChildItem (Split-Path (Get-Module HeatmapTools).ImplementingAssembly.Location) -Recurse -Filter 'HeatmapTools.Contracts.dll' | Should -HaveCount 1
    }

    It 'names every kind of failure as PowerShell''s ErrorCategory of the same name and value' {
        foreach ($kind in [enum]::GetValues([HeatmapTools.ErrorKind])) {
            [int][System.Management.Automation.ErrorCategory]"$kind" | Should -Be ([int]$kind) -Because "$kind must convert by value"
        }
    }

    It 'works when another module has already loaded its own OpenCvSharp, TorchSharp and CsvHelper' {
        $deps = Join-Path (Get-ChildItem $ModulePath -Directory | Select-Object -First 1).FullName 'bin/deps'
        $out = Join-Path ([IO.Path]::GetTempPath()) ("hmt-alc-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $script = @"
`$ErrorActionPreference = 'Stop'
foreach (`$name in 'OpenCvSharp', 'TorchSharp', 'CsvHelper') { [void][Runtime.Loader.AssemblyLoadContext]::Default.LoadFromAssemblyPath((Join-Path '$deps' "`$name.dll")) }
Import-Module '$ModulePath'
`$env:HEATMAPTOOLS_MODEL_PATH = '$Models'
(Get-HeatmapToolsInfo).NativeHeap
(New-CamHeatmap '$(Join-Path $Images 'chelsea.png')' -Model squeezenet1_1 -OutputPath '$out/' -Colormap viridis).ClassIndex
`$rows = 1..3 | ForEach-Object { [pscustomobject]@{ patient_id = '7'; x = 50 * `$_ + 1; y = 1; target = `$_ % 2; probability = 0.3 * `$_ } }
(`$rows | New-PatientPatchGrid -OutputPath '$out' -Colors white, '#102030').PatchCount
"@
        try { $child = Invoke-FreshPwsh $script } finally { Remove-Item $out -Recurse -Force -ErrorAction SilentlyContinue }
        $LASTEXITCODE | Should -Be 0
        $child | Should -Be @('ReuseLargeBlocks', '285', '3')
    }

    It 'ships no System.Management.Automation and no libtorch python or test libraries' {
        $files = Get-ChildItem $ModulePath -Recurse -File | ForEach-Object Name
        $files | Should -Not -Contain 'System.Management.Automation.dll'
        $files | Should -Not -Contain 'libtorch_python.so'
        $files | Should -Not -Contain 'libtorchbind_test.so'
        $files | Should -Contain 'libLibTorchSharp.so'
    }

    It 'marks the GLIBCXX_3.4.32 need weak whatever the build machine''s libstdc++ has, so the module loads on older systems' -Skip:(-not $IsLinux) {
        $shim = Get-ChildItem $ModulePath -Recurse -Filter libLibTorchSharp.so | Select-Object -First 1
        $tool = Join-Path $PSScriptRoot '../../output/elfpatch/HeatmapTools.ElfPatch.dll'
        $status = & dotnet $tool $shim.FullName GLIBCXX_3.4.32 --status
        $LASTEXITCODE | Should -Be 0
        $status | Should -Match 'system-has-version=(True|False) needs=1 weak=(True|False)'
        $status | Should -Match 'weak=True'
    }

    It 'probes native library file names for Linux, Windows and macOS' {
        $loader = [HeatmapTools.Loading.ModuleLoadContext]
        $loader::NativeFileNames('OpenCvSharpExtern', 'linux') | Should -Be @('OpenCvSharpExtern', 'OpenCvSharpExtern.so', 'libOpenCvSharpExtern.so')
        $loader::NativeFileNames('OpenCvSharpExtern', 'windows') | Should -Be @('OpenCvSharpExtern', 'OpenCvSharpExtern.dll')
        $loader::NativeFileNames('LibTorchSharp', 'osx') | Should -Be @('LibTorchSharp', 'LibTorchSharp.dylib', 'libLibTorchSharp.dylib')
        $loader::NativeFileNames('libtorch_cpu.so', 'linux') | Should -Be @('libtorch_cpu.so')
        $loader::NativeFileNames('torch_cpu.dll', 'windows') | Should -Be @('torch_cpu.dll')
    }

    It 'stops a build for a runtime whose native packages are not served here, naming them' {
        $out = & dotnet pwsh -NoProfile -File (Join-Path $PSScriptRoot '../../build.ps1') -Task Build -Runtime win-x64 2>&1 | Out-String
        $LASTEXITCODE | Should -Not -Be 0
        # The error as one line: no colours, no wrapping gutter.
        $flat = ($out -replace '\x1b\[[0-9;]*m', '' -replace '(?m)^\s*\|', ' ' -replace '\s+', ' ')
        $flat | Should -Match 'Cannot build for win-x64 here: the package source does not serve OpenCvSharp4\.runtime\.win'
    }

    It 'can be removed and imported again in the same session' {
        Remove-Module HeatmapTools
        Import-Module $ModulePath
        (Get-ClassPrediction -LiteralPath (Join-Path $Images 'coffee.png') -Model squeezenet1_1).ClassIndex | Should -Be 967
    }

    It 'imports and classifies in a second runspace (ThreadJob)' {
        $job = Start-ThreadJob -ScriptBlock {
            $env:HEATMAPTOOLS_MODEL_PATH = $using:Models
            Import-Module $using:ModulePath
            (Get-ClassPrediction -LiteralPath (Join-Path $using:Images 'chelsea.png') -Model squeezenet1_1).ClassIndex
        }
        $job | Wait-Job -Timeout 300 | Receive-Job | Should -Be 285
        $job | Remove-Job
    }

    It 'works from ForEach-Object -Parallel' {
        $models = $Models; $images = $Images; $module = $ModulePath
        $classes = 'chelsea.png', 'coffee.png' | ForEach-Object -Parallel {
            $env:HEATMAPTOOLS_MODEL_PATH = $using:models
            Import-Module $using:module
            (Get-ClassPrediction -LiteralPath (Join-Path $using:images $_) -Model squeezenet1_1).ClassIndex
        } -ThrottleLimit 2
        ($classes | Sort-Object) | Should -Be @(285, 967)
    }

    It 'has help with examples for every cmdlet' {
        foreach ($name in (Get-Command -Module HeatmapTools -CommandType Cmdlet).Name) {
            $help = Get-Help $name -Full
            $help.Synopsis | Should -Not -BeNullOrEmpty -Because $name
            $help.Synopsis | Should -Not -Match '^\s*(New|Get|Measure|Test)-' -Because "$name has a written synopsis, not the generated syntax"
            @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2 -Because $name
            # The help source's literal here-strings keep an apostrophe as it is: a doubled one is a quoting slip.
            $text = ($help | Out-String -Width 500) -replace "\s+", ' '
            $text | Should -Not -Match "\w''\w" -Because "$name's help shows doubled apostrophes"
        }
    }

    It 'has an about_HeatmapTools topic that explains every ErrorId the engine defines' {
        $topic = Get-Help about_HeatmapTools | Out-String
        $topic | Should -Match 'HEATMAPTOOLS_MODEL_PATH'
        $source = Get-Content -Raw (Join-Path $PSScriptRoot '../../src/HeatmapTools.Contracts/Failures/ErrorIds.cs')
        $ids = [regex]::Matches($source, 'const string (\w+) = "(\w+)"') | ForEach-Object { $_.Groups[2].Value }
        $ids.Count | Should -BeGreaterThan 20
        foreach ($id in $ids) { $topic | Should -Match "(?m)^\s*$id \(" -Because "ErrorId $id needs an entry" }
        # No ErrorId is raised from a bare string: every one goes through the ErrorIds class the topic is checked against.
        $bare = Get-ChildItem (Join-Path $PSScriptRoot '../../src') -Recurse -Filter *.cs |
            Select-String -Pattern 'HeatmapToolsException\("' | ForEach-Object { "$($_.Filename):$($_.LineNumber)" }
        $bare | Should -BeNullOrEmpty
    }
}
