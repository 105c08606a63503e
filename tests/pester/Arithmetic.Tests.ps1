BeforeAll { . (Join-Path $PSScriptRoot 'TestSetup.ps1') }

Describe 'The arithmetic check' {
    It 'shows the processor, the configuration chosen for it and what every candidate measured' {
        $info = Get-HeatmapToolsInfo
        $info.Cpu | Should -Not -BeNullOrEmpty
        $info.TorchBackendSource | Should -BeIn 'Checked', 'Cached', 'Forced', 'Fallback'
        $info.TorchBackend | Should -BeIn 'OneDnn', 'OneDnnAvx512Core', 'OneDnnAvx2', 'OneDnnSse41', 'NoOneDnn'
        if ($info.TorchBackendSource -in 'Checked', 'Cached') {
            $info.ArithmeticCandidates.Backend | Should -Be 'OneDnn', 'OneDnnAvx512Core', 'OneDnnAvx2', 'OneDnnSse41', 'NoOneDnn'
            $chosen = $info.ArithmeticCandidates | Where-Object Backend -eq $info.TorchBackend
            $chosen.Right | Should -BeTrue
            $chosen.Error | Should -BeLessOrEqual 1e-4
            $info.ArithmeticCache | Should -Exist
        }
    }

    It 'survives candidates that crash, computes with the configuration right everywhere and says so once per session' {
        $cache = Join-Path $TestDrive 'cache'
        $env:HEATMAPTOOLS_CACHE = $cache
        $env:HEATMAPTOOLS_TORCH_BACKEND = 'Check'
        $env:HEATMAPTOOLS_TEST_CHECK_CRASH_AT = 'conv1x1_64to16_55'
        try {
            $out = Invoke-FreshPwsh @"
Import-Module '$ModulePath'
`$w = @(); `$i = Get-HeatmapToolsInfo -WarningVariable +w -WarningAction SilentlyContinue
`$null = Get-HeatmapToolsInfo -WarningVariable +w -WarningAction SilentlyContinue
"`$(`$i.TorchBackend)|`$(`$i.TorchBackendSource)|`$(`$w.Count)|`$(`$w -join ' ')"
"@
        }
        finally { Remove-Item Env:HEATMAPTOOLS_CACHE, Env:HEATMAPTOOLS_TORCH_BACKEND, Env:HEATMAPTOOLS_TEST_CHECK_CRASH_AT }
        $LASTEXITCODE | Should -Be 0 -Because 'a crash in the check is a verdict, never the session'
        $backend, $source, $count, $warning = "$out" -split '\|', 4
        $backend | Should -Be 'NoOneDnn'
        $source | Should -Be 'Fallback'
        $count | Should -Be 1
        $warning | Should -Match 'SIGFPE in conv1x1_64to16_55'
        $warning | Should -Match ([regex]::Escape((Get-HeatmapToolsInfo).Cpu))
    }
}
