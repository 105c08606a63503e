BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    # The stain parity tests' sites (tests/reference/make_stain_references.py): H&E tiles re-rendered from a real
    # tissue photo, TIAToolbox's normalised tiles, a blank tile and the original immunohistochemistry (not H&E) crop.
    $stainData = Join-Path $PSScriptRoot '../HeatmapTools.Engine.Tests/TestData/stain'
    function Get-ImageDiff([string] $A, [string] $B) {
        $worst, $share = (Invoke-TestData diff $A $B) -split ' '
        [pscustomobject]@{ Worst = [int]$worst; Share = [double]::Parse($share, [Globalization.CultureInfo]::InvariantCulture) }
    }
}

Describe 'ConvertTo-StainNormalized' {
    BeforeEach {
        $root = Join-Path ([IO.Path]::GetTempPath()) ("hmt-stain-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        foreach ($sub in 'tiles/p1', 'tiles/p2') { $null = New-Item -ItemType Directory (Join-Path $root $sub) }
        Copy-Item (Join-Path $stainData 'site_B.png') (Join-Path $root 'tiles/p1/b.png')
        Copy-Item (Join-Path $stainData 'site_C.png') (Join-Path $root 'tiles/p2/c.png')
        Copy-Item (Join-Path $stainData 'site_A.png') (Join-Path $root 'reference.png')
    }
    AfterEach { Remove-Item $root -Recurse -Force }

    It 'writes each tile in the reference''s stain as TIAToolbox does (<Method>), keeping the tree below the output folder' -ForEach @(
        @{ Method = 'Macenko' }, @{ Method = 'Reinhard' }, @{ Method = 'Ruifrok' }
    ) {
        $out = Join-Path $root 'out'
        $results = @(Get-ChildItem (Join-Path $root 'tiles') -Recurse -Filter *.png | ConvertTo-StainNormalized -Method $Method -Target (Join-Path $root 'reference.png') -OutputPath $out)
        $results.Count | Should -Be 2
        ($results.Path | Sort-Object) | Should -Be @((Join-Path $out 'p1/b.png'), (Join-Path $out 'p2/c.png'))
        foreach ($pair in @{ Tile = 'p1/b.png'; Site = 'B' }, @{ Tile = 'p2/c.png'; Site = 'C' }) {
            $diff = Get-ImageDiff (Join-Path $out $pair.Tile) (Join-Path $stainData "$($Method.ToLower())_$($pair.Site)_to_A.png")
            $diff.Worst | Should -BeLessOrEqual 3 -Because "site $($pair.Site) against TIAToolbox's $Method"
            $diff.Share | Should -BeLessOrEqual 0.005
            # And it did something: the original differs from TIAToolbox's result by far more.
            (Get-ImageDiff (Join-Path $root "tiles/$($pair.Tile)") (Join-Path $stainData "$($Method.ToLower())_$($pair.Site)_to_A.png")).Share | Should -BeGreaterThan 0.3
        }
        $results[0].NormalizedWith | Should -Be $Method
        $results[0].OriginalPath | Should -BeLike '*tiles*'
    }

    It 'names a tile without tissue (StainNoTissue) and writes the others; -ErrorAction Stop stops' {
        Copy-Item (Join-Path $stainData 'white.png') (Join-Path $root 'tiles/p2/blank.png')
        $out = Join-Path $root 'out'
        $results = @(Get-ChildItem (Join-Path $root 'tiles') -Recurse -Filter *.png | ConvertTo-StainNormalized -Method Macenko -Target (Join-Path $root 'reference.png') -OutputPath $out -ErrorVariable failures -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 2
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'StainNoTissue,*'
        $failures[0].Exception.Message | Should -BeLike '*blank.png*'
        Test-Path (Join-Path $out 'p2/blank.png') | Should -BeFalse
        { Get-ChildItem (Join-Path $root 'tiles/p2') -Filter blank.png | ConvertTo-StainNormalized -Method Macenko -Target (Join-Path $root 'reference.png') -OutputPath (Join-Path $root 'out2') -ErrorAction Stop } |
            Should -Throw -ErrorId 'StainNoTissue*'
    }

    It 'refuses a target that is not H&E (<Name>) before writing anything' -ForEach @(
        @{ Name = 'ihc.png'; ErrorId = 'StainNotHAndE' }, @{ Name = 'white.png'; ErrorId = 'StainNoTissue' }
    ) {
        $target = Join-Path $root $Name
        Copy-Item (Join-Path $stainData $Name) $target
        foreach ($method in 'Macenko', 'Reinhard', 'Ruifrok', 'Vahadane') {
            { Get-ChildItem (Join-Path $root 'tiles') -Recurse -Filter *.png | ConvertTo-StainNormalized -Method $method -Target $target -OutputPath (Join-Path $root 'out') } |
                Should -Throw -ErrorId "$ErrorId*"
        }
        Test-Path (Join-Path $root 'out') | Should -BeFalse
    }

    It 'never writes over an input, nor over an existing output without -Force' {
        $tiles = Join-Path $root 'tiles'
        $before = (Get-FileHash (Join-Path $tiles 'p1/b.png')).Hash
        $null = Get-ChildItem $tiles -Recurse -Filter *.png | ConvertTo-StainNormalized -Method Macenko -Target (Join-Path $root 'reference.png') -OutputPath $tiles -Force -ErrorVariable overInput -ErrorAction SilentlyContinue
        $overInput.Count | Should -Be 2
        $overInput[0].FullyQualifiedErrorId | Should -BeLike 'OutputIsInput,*'
        (Get-FileHash (Join-Path $tiles 'p1/b.png')).Hash | Should -Be $before
        $out = Join-Path $root 'out'
        $null = New-Item -ItemType Directory (Join-Path $out 'p1')
        Set-Content (Join-Path $out 'p1/b.png') 'mine'
        $null = Get-ChildItem $tiles -Recurse -Filter *.png | ConvertTo-StainNormalized -Method Macenko -Target (Join-Path $root 'reference.png') -OutputPath $out -ErrorVariable exists -ErrorAction SilentlyContinue
        $exists.Count | Should -Be 1
        $exists[0].FullyQualifiedErrorId | Should -BeLike 'OutputExists,*'
        Get-Content (Join-Path $out 'p1/b.png') | Should -Be 'mine'
        Test-Path (Join-Path $out 'p2/c.png') | Should -BeTrue
        $null = Get-ChildItem $tiles -Recurse -Filter *.png | ConvertTo-StainNormalized -Method Macenko -Target (Join-Path $root 'reference.png') -OutputPath $out -Force
        (Get-ImageDiff (Join-Path $out 'p1/b.png') (Join-Path $stainData 'macenko_B_to_A.png')).Worst | Should -BeLessOrEqual 3
    }

    It 'normalises through a custom stain matrix as TIAToolbox''s CustomNormalizer, and refuses a malformed one' {
        $out = Join-Path $root 'out'
        $manifest = Get-Content (Join-Path $stainData 'manifest.json') -Raw | ConvertFrom-Json
        $matrix = [double[]]@($manifest.custom | ForEach-Object { $_ })
        $null = ConvertTo-StainNormalized -LiteralPath (Join-Path $root 'tiles/p1/b.png') -Method Custom -StainMatrix $matrix -Target (Join-Path $root 'reference.png') -OutputPath $out
        (Get-ImageDiff (Join-Path $out 'b.png') (Join-Path $stainData 'custom_B_to_A.png')).Share | Should -BeLessOrEqual 0.005
        { ConvertTo-StainNormalized -LiteralPath (Join-Path $root 'tiles/p1/b.png') -Method Custom -StainMatrix 0.6, 0.7, 0.3, 1.2, 1.4, 0.6 -Target (Join-Path $root 'reference.png') -OutputPath $out -Force } |
            Should -Throw -ErrorId 'StainMatrixInvalid*'
        { ConvertTo-StainNormalized -LiteralPath (Join-Path $root 'tiles/p1/b.png') -Method Macenko -StainMatrix $matrix -Target (Join-Path $root 'reference.png') -OutputPath $out -Force } |
            Should -Throw -ErrorId 'StainMatrixInvalid*'
    }
}

Describe '-StainNormalization in a model run' {
    BeforeAll {
        $root = Join-Path ([IO.Path]::GetTempPath()) ("hmt-stainrun-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $null = New-Item -ItemType Directory (Join-Path $root 'tiles')
        Copy-Item (Join-Path $stainData 'site_B.png') (Join-Path $root 'tiles/b.png')
        Copy-Item (Join-Path $stainData 'site_C.png') (Join-Path $root 'tiles/c.png')
        Copy-Item (Join-Path $stainData 'white.png') (Join-Path $root 'tiles/white.png')
        $reference = Join-Path $root 'reference.png'
        Copy-Item (Join-Path $stainData 'site_A.png') $reference
        # The same tiles normalised beforehand: what the model must see when it normalises on the way in.
        $null = Get-ChildItem (Join-Path $root 'tiles') -Filter *.png | Where-Object Name -ne 'white.png' | ConvertTo-StainNormalized -Method Macenko -Target $reference -OutputPath (Join-Path $root 'normalised')
    }
    AfterAll { Remove-Item $root -Recurse -Force }

    It 'feeds the model the normalised tile: logits of the tile normalised on the way in equal those of the file normalised beforehand' {
        $tiles = Get-ChildItem (Join-Path $root 'tiles') -Filter *.png | Where-Object Name -ne 'white.png'
        $onTheWay = @($tiles | Get-ClassPrediction -Model squeezenet1_1 -StainNormalization Macenko -StainTarget $reference)
        $before = @(Get-ChildItem (Join-Path $root 'normalised') -Filter *.png | Get-ClassPrediction -Model squeezenet1_1)
        $plain = @($tiles | Get-ClassPrediction -Model squeezenet1_1)
        foreach ($i in 0..1) {
            $difference = [Linq.Enumerable]::Max([double[]]@(0..999 | ForEach-Object { [Math]::Abs($onTheWay[$i].Logits[$_] - $before[$i].Logits[$_]) }))
            $difference | Should -BeLessThan 1e-4
            $moved = [Linq.Enumerable]::Max([double[]]@(0..999 | ForEach-Object { [Math]::Abs($onTheWay[$i].Logits[$_] - $plain[$i].Logits[$_]) }))
            $moved | Should -BeGreaterThan 0.05 -Because 'normalisation changes what the model sees'
        }
        $onTheWay[0].StainNormalization | Should -Be 'Macenko'
        $onTheWay[0].StainTarget | Should -Be $reference
    }

    It 'carries the setting down the pipeline: a piped prediction''s map is the map of the normalised tile' {
        $cam = Get-ClassPrediction (Join-Path $root 'tiles/b.png') -Model squeezenet1_1 -StainNormalization Macenko -StainTarget $reference |
            New-CamHeatmap -OutputPath (Join-Path $root 'cam/') -MapFormat Npy
        $reference_cam = Get-ClassPrediction (Join-Path $root 'normalised/b.png') -Model squeezenet1_1 |
            New-CamHeatmap -OutputPath (Join-Path $root 'cam-before/') -MapFormat Npy
        $cam.StainNormalization | Should -Be 'Macenko'
        $cam.ClassIndex | Should -Be $reference_cam.ClassIndex
        $a = Read-Npy $cam.MapPath
        $b = Read-Npy $reference_cam.MapPath
        [Linq.Enumerable]::Max([double[]]@(0..($a.Length - 1) | ForEach-Object { [Math]::Abs($a[$_] - $b[$_]) })) | Should -BeLessThan 1e-4
    }

    It 'names a tile without tissue and classifies the rest' {
        $results = @(Get-ChildItem (Join-Path $root 'tiles') -Filter *.png | Get-ClassPrediction -Model squeezenet1_1 -StainNormalization Reinhard -StainTarget $reference -ErrorVariable failures -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 2
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'StainNoTissue,*'
        $failures[0].Exception.Message | Should -BeLike '*white.png*'
    }

    It 'takes the stain from the model''s settings file, its target beside the model' {
        $modelDir = New-Item -ItemType Directory (Join-Path $root 'model')
        Copy-Item (Join-Path $Models 'squeezenet1_1.pth') (Join-Path $modelDir 'squeeze.pth')
        Copy-Item $reference (Join-Path $modelDir 'stain-reference.png')
        '{ "stainNormalization": "Macenko", "stainTarget": "stain-reference.png" }' | Set-Content (Join-Path $modelDir 'squeeze.json')
        $fromFile = Get-ClassPrediction (Join-Path $root 'tiles/c.png') -Model squeezenet1_1 -WeightsPath (Join-Path $modelDir 'squeeze.pth')
        $given = Get-ClassPrediction (Join-Path $root 'tiles/c.png') -Model squeezenet1_1 -StainNormalization Macenko -StainTarget $reference
        [Linq.Enumerable]::Max([double[]]@(0..999 | ForEach-Object { [Math]::Abs($fromFile.Logits[$_] - $given.Logits[$_]) })) | Should -BeLessThan 1e-4
        { Get-ClassPrediction (Join-Path $root 'tiles/c.png') -Model squeezenet1_1 -StainNormalization Macenko } | Should -Throw -ErrorId 'PreprocessInvalid*'
    }

    It 'normalises the tiles Get-SlideTile writes, names the flat ones it cannot, and a tile piped on is normalised alike when read from the slide' {
        $slide = Join-Path $root 'slide.tiff'
        $null = Invoke-TestData slide $slide 3000 2000
        $plainTiles = @{}
        Get-SlideTile $slide -TileSize 224 -OutputPath (Join-Path $root 'plain-tiles') | ForEach-Object { $plainTiles[(Split-Path $_.File -Leaf)] = $_.File }
        # The synthetic slide's tissue is flat blocks of one or two colours: most tiles hold no two stains to separate.
        $tiles = @(Get-SlideTile $slide -TileSize 224 -OutputPath (Join-Path $root 'stained-tiles') -StainNormalization Macenko -StainTarget $reference -ErrorVariable flat -ErrorAction SilentlyContinue |
            Sort-Object File | Select-Object -First 3)
        $tiles.Count | Should -Be 3
        $flat.Count | Should -BeGreaterThan 0
        $flat | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'StainNotHAndE,*'; $_.Exception.Message | Should -Not -BeLike '*NaN*' }
        @(Get-ChildItem (Join-Path $root 'stained-tiles') -Filter *.png).Count | Should -Be ($plainTiles.Count - $flat.Count) -Because 'a tile that failed is not written'
        $tiles[0].StainNormalization | Should -Be 'Macenko'
        foreach ($tile in $tiles) {
            (Get-ImageDiff $tile.File $plainTiles[(Split-Path $tile.File -Leaf)]).Share | Should -BeGreaterThan 0.3 -Because 'the written tile is in the reference''s stain'
        }
        $fromSlide = @($tiles | Get-ClassPrediction -Model squeezenet1_1)
        $fromFiles = @($tiles.File | Get-ClassPrediction -Model squeezenet1_1)
        foreach ($i in 0..2) {
            [Linq.Enumerable]::Max([double[]]@(0..999 | ForEach-Object { [Math]::Abs($fromSlide[$i].Logits[$_] - $fromFiles[$i].Logits[$_]) })) | Should -BeLessThan 1e-4
        }
    }
}

Describe 'Measure-StainRobustness' {
    BeforeAll {
        $script:tiles = Join-Path ([IO.Path]::GetTempPath()) ("hmt-stainrobust-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $null = New-Item -ItemType Directory $tiles
        foreach ($name in 'site_B.png', 'site_C.png', 'white.png') { Copy-Item (Join-Path $stainData $name) $tiles }
    }
    AfterAll { Remove-Item $tiles -Recurse -Force }

    It 'moves the prediction and the map with seeded stain augmentation, repeats with the seed, and names a blank tile' {
        $files = Get-ChildItem $tiles -Filter *.png | Sort-Object Name
        $plots = Join-Path $tiles 'figures'
        $a = @($files | Measure-StainRobustness -Model squeezenet1_1 -Augmentations 6 -PlotPath $plots -ErrorVariable failures -ErrorAction SilentlyContinue)
        $a.Count | Should -Be 2
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'StainNoTissue,*'
        $failures[0].Exception.Message | Should -BeLike '*white.png*'
        foreach ($r in $a) {
            $r.Probabilities.Count | Should -Be 6
            $r.MapSpearman.Count | Should -Be 6
            $r.ProbabilityMin | Should -BeLessOrEqual $r.ProbabilityMax
            $r.Alpha | ForEach-Object { $_ | ForEach-Object { $_ | Should -BeGreaterOrEqual 0.6; $_ | Should -BeLessOrEqual 1.4 } }
            $r.Beta | ForEach-Object { $_ | ForEach-Object { $_ | Should -BeGreaterOrEqual -0.2; $_ | Should -BeLessOrEqual 0.2 } }
            ($r.ProbabilityMax - $r.ProbabilityMin) | Should -BeGreaterThan 0.01 -Because 'another stain moves an ImageNet model''s probability'
            Test-Path $r.PlotPath | Should -BeTrue
            $r.PlotPath | Should -BeLike '*_stain.png'
        }
        # The original's probability is Get-ClassPrediction's.
        $p = Get-ClassPrediction $a[0].SourcePath -Model squeezenet1_1
        $p.ClassIndex | Should -Be $a[0].ClassIndex
        [math]::Abs($p.Probability - $a[0].Probability) | Should -BeLessThan 1e-5
        # The same seed draws the same copies, in another batch and order; another seed draws others.
        $again = $files | Sort-Object Name -Descending | Select-Object -Skip 1 | Measure-StainRobustness -Model squeezenet1_1 -Augmentations 6 -BatchSize 1
        $again[-1].SourcePath | Should -Be $a[0].SourcePath
        $again[-1].Probabilities | Should -Be $a[0].Probabilities
        $other = $files[0] | Measure-StainRobustness -Model squeezenet1_1 -Augmentations 6 -AugmentationSeed 5
        $other.Probabilities | Should -Not -Be $a[0].Probabilities
    }

    It 'gives the tile back without scale or shift: the same probability and the same map' {
        $r = Get-ChildItem $tiles -Filter site_B.png | Measure-StainRobustness -Model squeezenet1_1 -Augmentations 3 -Sigma1 0 -Sigma2 0
        foreach ($p in $r.Probabilities) { [math]::Abs($p - $r.Probability) | Should -BeLessThan 0.01 }
        $r.PredictionKept | Should -Be 1
        $r.MapSpearmanMin | Should -BeGreaterThan 0.99
    }

    It 'augments before the model''s own preprocessing: a stain-normalised model sees each copy normalised' {
        # Scaling each stain's concentrations (no shift) leaves the stain vectors and moves each stain's 99th percentile
        # by the same factor, which Macenko's normalisation divides out again: normalised copies are the normalised tile.
        $reference = Join-Path $stainData 'site_A.png'
        $plain = Get-ChildItem $tiles -Filter site_C.png | Measure-StainRobustness -Model squeezenet1_1 -Augmentations 6 -Sigma2 0
        $normalised = Get-ChildItem $tiles -Filter site_C.png | Measure-StainRobustness -Model squeezenet1_1 -Augmentations 6 -Sigma2 0 -StainNormalization Macenko -StainTarget $reference
        $p = Get-ClassPrediction (Join-Path $tiles 'site_C.png') -Model squeezenet1_1 -StainNormalization Macenko -StainTarget $reference
        $p.ClassIndex | Should -Be $normalised.ClassIndex
        [math]::Abs($p.Probability - $normalised.Probability) | Should -BeLessThan 1e-5
        ($plain.ProbabilityMax - $plain.ProbabilityMin) | Should -BeGreaterThan 0.05
        ($normalised.ProbabilityMax - $normalised.ProbabilityMin) | Should -BeLessThan (($plain.ProbabilityMax - $plain.ProbabilityMin) / 4)
        $normalised.MapSpearmanMin | Should -BeGreaterThan $plain.MapSpearmanMin
    }
}
