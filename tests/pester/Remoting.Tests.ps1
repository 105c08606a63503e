BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

# examples/Invoke-Distributed.ps1 over real SSH remoting: three "nodes" that are three connections to this host's
# loopback address, served by an sshd of the test's own (throwaway keys and config, 127.0.0.1 only), stopped afterwards.
Describe 'Fanning out over PowerShell remoting' -Skip:(-not ($IsLinux -and (Test-Path /usr/sbin/sshd) -and ((id -u) -eq '0'))) {
    BeforeAll {
        $dir = Join-Path ([IO.Path]::GetTempPath()) ("hmt-ssh-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        New-Item -ItemType Directory $dir, "$dir/home" | Out-Null
        & ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key" | Out-Null
        & ssh-keygen -q -t ed25519 -N '' -f "$dir/client_key" | Out-Null
        Copy-Item "$dir/client_key.pub" "$dir/authorized_keys"
        # pwsh here is the .NET tool: the subsystem runs the same pwsh.dll.
        $pwshDll = [Environment]::GetCommandLineArgs()[0]
        $dotnet = (Get-Command dotnet).Source
        Set-Content "$dir/pwsh-sshs" "#!/bin/sh`nexec '$dotnet' '$pwshDll' `"`$@`""
        & chmod 755 "$dir/pwsh-sshs"
        $port = Get-Random -Minimum 20000 -Maximum 60000
        # The nodes' home is a scratch folder: the package installs there, not into this machine's real home.
        @(
            "Port $port", 'ListenAddress 127.0.0.1', "HostKey $dir/host_key", "PidFile $dir/sshd.pid", "AuthorizedKeysFile $dir/authorized_keys",
            'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no', 'PermitRootLogin prohibit-password',
            # Every node's command holds after its first result while $dir/hold exists (the test hook): the test kills one node
            # there, with its share certainly unfinished, then lets the others go on.
            "SetEnv HOME=$dir/home HEATMAPTOOLS_OFFLINE=1 HEATMAPTOOLS_TEST_PAUSE_AFTER=1 HEATMAPTOOLS_TEST_PAUSE_WHILE=$dir/hold",
            "Subsystem powershell $dir/pwsh-sshs -sshs -NoLogo -NoProfile"
        ) | Set-Content "$dir/sshd_config"
        New-Item -ItemType Directory -Force /run/sshd | Out-Null
        $sshd = Start-Process /usr/sbin/sshd -ArgumentList '-D', '-e', '-f', "$dir/sshd_config" -PassThru -RedirectStandardError "$dir/sshd.log"
        # sshd is ready when its port accepts a connection; if it never does, its log says why.
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while ($true) {
            $client = [Net.Sockets.TcpClient]::new()
            try { $client.Connect('127.0.0.1', $port); break }
            catch { if ($sshd.HasExited -or [DateTime]::UtcNow -gt $deadline) { throw "sshd did not listen on port ${port}: $(Get-Content "$dir/sshd.log" -Raw)" } }
            finally { $client.Dispose() }
            Start-Sleep -Milliseconds 50
        }

        $packages = Join-Path $dir 'packages'
        $build = & dotnet pwsh -NoProfile -File (Join-Path $PSScriptRoot '../../build.ps1') -Task Package 2>&1 | Out-String
        if ($LASTEXITCODE -ne 0) { throw $build }
        New-Item -ItemType Directory $packages | Out-Null
        Copy-Item (Join-Path $PSScriptRoot '../../output/packages/*.nupkg') $packages
        $photos = New-Item -ItemType Directory (Join-Path $dir 'photos')
        foreach ($i in 1..24) { Copy-Item (Join-Path $Images (@('chelsea.png', 'coffee.png', 'gradcam_both.png')[$i % 3])) (Join-Path $photos "img$i.png") }
        $patches = Join-Path $dir 'idc'
        $null = Invoke-TestData idc $patches 6 8 3
        $out = Join-Path $dir 'out'
        $run = @{
            HostName = '127.0.0.1', '127.0.0.1', '127.0.0.1'; UserName = 'root'; KeyFilePath = "$dir/client_key"; Port = $port
            Options = @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = '/dev/null'; LogLevel = 'ERROR' }
            Repository = $packages; Path = "$photos"; OutputPath = $out; PatchPath = $patches
            WeightsPath = (Join-Path $Models 'squeezenet1_1.safetensors')
            # One image per pass: a node's overlays appear one after another, so the node killed when the first overlay
            # appears still has work left (with one batch of eight per node, all of a node's overlays land at once, and
            # the killed node could already be done: CI saw that once).
            BatchSize = 1
        }
        $example = Join-Path $PSScriptRoot '../../examples/Invoke-Distributed.ps1'
    }
    AfterAll {
        if ($sshd -and -not $sshd.HasExited) { $sshd.Kill(); $sshd.WaitForExit() }
        Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'installs the package on the nodes, splits the photos and patients between them, and a rerun after one node is killed finishes the job once' {
        # First run: every node holds after its first overlay (the hook above); one node is killed there and the others are
        # let go. What the killed node left is its whole share but one image, whatever the machine's speed.
        New-Item -ItemType File "$dir/hold" | Out-Null
        $ps = [powershell]::Create()
        $null = $ps.AddScript({ param($Example, $Run) & $Example @Run }).AddArgument($example).AddArgument($run)
        $async = $ps.BeginInvoke()
        $deadline = [DateTime]::UtcNow.AddSeconds(240)
        while (-not $async.IsCompleted -and [DateTime]::UtcNow -lt $deadline -and @(Get-ChildItem $out -Filter *_cam.png -ErrorAction SilentlyContinue).Count -lt 3) {
            $null = $async.AsyncWaitHandle.WaitOne(50)
        }
        @(Get-ChildItem $out -Filter *_cam.png).Count | Should -Be 3 -Because 'each node wrote its first overlay and holds'
        $nodes = @(& pgrep -f -- "$dir/pwsh-sshs|pwsh.dll -sshs")
        $killed = $nodes | Select-Object -First 1
        if ($killed) { & kill -9 $killed }
        Remove-Item "$dir/hold"
        $first = $ps.EndInvoke($async) | Select-Object -Last 1
        $ps.Dispose()
        $nodes.Count | Should -BeGreaterOrEqual 3 -Because 'three remote sessions were running'

        # The rerun: every photo and patient ends up done exactly once, and what was done is not done again.
        $before = @(Get-ChildItem $out -Filter *_cam.png).Count
        $before | Should -BeLessThan 24 -Because 'the killed node left its share unfinished'
        $second = & $example @run
        $second.Summary.Count | Should -Be 3
        $overlays = @(Get-ChildItem $out -Filter *_cam.png)
        $overlays.Count | Should -Be 24
        @(Get-ChildItem $out -Force -Filter '*.tmp').Count | Should -Be 0
        $secondDone = @($second.Results | Where-Object { $_.PSObject.Properties['OutputPath'] }).Count
        $secondDone | Should -Be (24 - $before) -Because 'only what the killed node left is computed'
        @($second.Errors | Where-Object { $_.FullyQualifiedErrorId -like 'OutputExists*' -and $_.TargetObject -like '*_cam.png' }).Count | Should -Be $before
        @($second.Errors | Where-Object { $_.FullyQualifiedErrorId -notlike 'OutputExists*' }).Count | Should -Be 0 -Because 'finished work is refused as OutputExists, nothing fails'
        # Shards are disjoint and cover the folder: each image came back from one node only, in either run.
        $done = @($first.Results) + @($second.Results) | Where-Object { $_.PSObject.Properties['OutputPath'] }
        @($done | Group-Object SourcePath | Where-Object Count -gt 1).Count | Should -Be 0
        @($second.Summary | Where-Object { $_.Images + $_.Skipped -gt 0 }).Count | Should -BeGreaterThan 1 -Because 'the work was shared'
        @(Get-ChildItem (Join-Path $out 'patients') -Filter '*.png' | ForEach-Object { ($_.BaseName -split '_')[1] } | Sort-Object -Unique).Count | Should -Be 6
    }
}
