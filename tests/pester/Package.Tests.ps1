BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

Describe 'The module as an installed package' {
    It 'is built by build.ps1 -Task Package, installs with Install-PSResource into a fresh home, autoloads and classifies' {
        $home2 = Join-Path ([IO.Path]::GetTempPath()) ("hmt-home-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        New-Item -ItemType Directory $home2 | Out-Null
        $oldHome = $env:HOME
        $oldModules = $env:PSModulePath
        try {
            $build = & dotnet pwsh -NoProfile -File (Join-Path $PSScriptRoot '../../build.ps1') -Task Package 2>&1 | Out-String
            $LASTEXITCODE | Should -Be 0 -Because $build
            $version = (Import-PowerShellDataFile (Join-Path $PSScriptRoot '../../HeatmapTools.psd1')).ModuleVersion
            $packages = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../../output/packages'))
            Test-Path (Join-Path $packages "HeatmapTools.$version.nupkg") | Should -BeTrue

            # A new user: its own home (PSResourceGet's repository list and the CurrentUser module folder live there),
            # and no module path pointing at the build.
            $env:HOME = $home2
            $env:PSModulePath = $null
            $install = Invoke-FreshPwsh "Register-PSResourceRepository -Name local -Uri '$packages' -Trusted; Install-PSResource HeatmapTools -Repository local -Scope CurrentUser -TrustRepository -Quiet; (Get-Module -ListAvailable HeatmapTools).Version.ToString()"
            $install | Select-Object -Last 1 | Should -Be $version
            $image = Join-Path $Images 'chelsea.png'
            $weights = Join-Path $Models 'squeezenet1_1.safetensors'
            # No Import-Module: the first cmdlet call loads it.
            $result = Invoke-FreshPwsh "(Get-ClassPrediction -Path '$image' -Model squeezenet1_1 -WeightsPath '$weights').ClassIndex; (Get-Module HeatmapTools).ModuleBase"
            $result[0] | Should -Be '285'
            $result[1] | Should -BeLike "$home2*"
        }
        finally {
            $env:HOME = $oldHome
            $env:PSModulePath = $oldModules
            Remove-Item $home2 -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}
