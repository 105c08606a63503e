BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

Describe '-Shard k/N' {
    BeforeAll {
        $root = Join-Path ([IO.Path]::GetTempPath()) ("hmt-shard-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $photos = New-Item -ItemType Directory (Join-Path $root 'photos')
        foreach ($i in 1..12) { Copy-Item (Join-Path $Images 'coffee.png') (Join-Path $photos "img$i.png") }
        $data = Join-Path $root 'idc'
        $null = Invoke-TestData idc $data 9 6 3
    }
    AfterAll { Remove-Item $root -Recurse -Force }

    It 'splits images between nodes: disjoint shards that together are every image, the same from another folder' {
        Push-Location $root
        try {
            $byShard = foreach ($k in 1..3) { , @(Get-ChildItem photos -Filter *.png | Get-ClassPrediction -Model squeezenet1_1 -Shard "$k/3" | ForEach-Object { Split-Path $_.Path -Leaf }) }
        }
        finally { Pop-Location }
        $all = $byShard | ForEach-Object { $_ }
        $all.Count | Should -Be 12
        ($all | Sort-Object -Unique).Count | Should -Be 12
        ($byShard | Where-Object { $_.Count -gt 0 }).Count | Should -BeGreaterThan 1 -Because 'twelve images do not all hash to one shard'
        # Keys are relative to the current folder: a copy of the folder elsewhere splits the same way.
        $copy = Join-Path $root 'mirror'
        Copy-Item $root/photos $copy/photos -Recurse -Force
        Push-Location $copy
        try { $again = @(Get-ChildItem photos -Filter *.png | Get-ClassPrediction -Model squeezenet1_1 -Shard 2/3 | ForEach-Object { Split-Path $_.Path -Leaf }) }
        finally { Pop-Location }
        ($again | Sort-Object) | Should -Be ($byShard[1] | Sort-Object)
    }

    It 'splits patients between nodes and refuses a montage' {
        $out = Join-Path $root 'grids'
        $byShard = foreach ($k in 1..2) { , @(New-PatientPatchGrid -Path $data -OutputPath $out -Kind Labels -Shard "$k/2" | ForEach-Object PatientId) }
        $all = $byShard | ForEach-Object { $_ }
        $all.Count | Should -Be 9
        ($all | Sort-Object -Unique).Count | Should -Be 9
        { New-PatientPatchGrid -Path $data -OutputPath $out -Montage -Shard 1/2 -ErrorAction Stop } | Should -Throw -ErrorId 'ShardConflict*'
    }

    It 'refuses a malformed shard before any work' {
        { Get-ClassPrediction -Path (Join-Path $Images 'coffee.png') -Model squeezenet1_1 -Shard 0/3 -ErrorAction Stop } | Should -Throw -ErrorId 'ShardInvalid*'
    }
}
