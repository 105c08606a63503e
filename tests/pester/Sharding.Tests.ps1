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

    It 'splits images between nodes: disjoint shards that together are every image, the same from any working folder' {
        $photoPaths = (Get-ChildItem $photos -Filter *.png).FullName
        $byShard = foreach ($k in 1..3) { , @($photoPaths | Get-ClassPrediction -Model squeezenet1_1 -Shard "$k/3" | ForEach-Object { Split-Path $_.Path -Leaf }) }
        $all = $byShard | ForEach-Object { $_ }
        $all.Count | Should -Be 12
        ($all | Sort-Object -Unique).Count | Should -Be 12
        ($byShard | Where-Object { $_.Count -gt 0 }).Count | Should -BeGreaterThan 1 -Because 'twelve images do not all hash to one shard'
        # The same absolute paths from four working folders: the same partition every time.
        foreach ($where in $root, $photos, [IO.Path]::GetTempPath(), '/') {
            Push-Location $where
            try {
                foreach ($k in 1..3) {
                    $again = @($photoPaths | Get-ClassPrediction -Model squeezenet1_1 -Shard "$k/3" | ForEach-Object { Split-Path $_.Path -Leaf })
                    ($again | Sort-Object) | Should -Be ($byShard[$k - 1] | Sort-Object) -Because "shard $k/3 run from '$where'"
                }
            }
            finally { Pop-Location }
        }
    }

    It 'keys images by their path below -ShardRoot, so a share mounted elsewhere splits the same way' {
        $copy = Join-Path $root 'mirror'
        Copy-Item $photos (Join-Path $copy 'photos') -Recurse -Force
        foreach ($k in 1..3) {
            $here = @(Get-ChildItem $photos -Filter *.png | Get-ClassPrediction -Model squeezenet1_1 -Shard "$k/3" -ShardRoot $root | ForEach-Object { Split-Path $_.Path -Leaf })
            $there = @(Get-ChildItem (Join-Path $copy 'photos') -Filter *.png | Get-ClassPrediction -Model squeezenet1_1 -Shard "$k/3" -ShardRoot $copy | ForEach-Object { Split-Path $_.Path -Leaf })
            ($there | Sort-Object) | Should -Be ($here | Sort-Object)
        }
        # An image outside the root belongs to no shard: an error naming it, never a silent drop.
        $outside = Join-Path ([IO.Path]::GetTempPath()) 'hmt-outside.png'
        Copy-Item (Join-Path $Images 'coffee.png') $outside -Force
        try {
            $null = Get-ClassPrediction $outside -Model squeezenet1_1 -Shard 1/1 -ShardRoot $root -ErrorVariable e -ErrorAction SilentlyContinue
            $e[0].FullyQualifiedErrorId | Should -BeLike 'ShardRootOutside*'
            $e[0].Exception.Message | Should -BeLike "*hmt-outside.png*"
        }
        finally { Remove-Item $outside -Force }
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
