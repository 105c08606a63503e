BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:folder = New-TestFolder
    $script:attribution = Join-Path $PSScriptRoot '../HeatmapTools.Engine.Tests/TestData/attribution'
    $script:quantus = (Get-Content (Join-Path $PSScriptRoot '../HeatmapTools.Engine.Tests/TestData/explanation/metrics.json') -Raw | ConvertFrom-Json).results
    $script:cases = (Get-Content (Join-Path $attribution 'cases.json') -Raw | ConvertFrom-Json).cases
    $script:chelsea = Join-Path $folder 'chelsea.png'
    # A mask image as large as the photo (binary PGM, which OpenCV reads), white on the columns left of $Columns.
    function New-HalfMask([string] $Path, [int] $Columns, [int] $Width, [int] $Height) {
        $header = [Text.Encoding]::ASCII.GetBytes("P5`n$Width $Height`n255`n")
        $pixels = [byte[]]::new($Width * $Height)
        for ($y = 0; $y -lt $Height; $y++) { for ($x = 0; $x -lt $Columns; $x++) { $pixels[$y * $Width + $x] = 255 } }
        [IO.File]::WriteAllBytes($Path, [byte[]]($header + $pixels))
    }
    # chelsea.png's width and height from its PNG header.
    $bytes = [IO.File]::ReadAllBytes($chelsea)
    $script:width = [int]$bytes[16] * 16777216 + $bytes[17] * 65536 + $bytes[18] * 256 + $bytes[19]
    $script:height = [int]$bytes[20] * 16777216 + $bytes[21] * 65536 + $bytes[22] * 256 + $bytes[23]
}
AfterAll { Remove-Item $folder -Recurse -Force }

Describe 'Measure-Explanation' {
    It 'judges a piped attribution as Quantus does, from the photo through the module''s preprocessing' {
        $target = $cases.chelsea.target
        $r = New-AttributionMap $chelsea -Model squeezenet1_1 -Method Saliency -ClassIndex $target -OutputPath (Join-Path $folder 'sal') |
            Measure-Explanation -Metric Sparseness, Complexity, PixelFlipping -FeaturesInStep 896
        $r.Method | Should -Be 'Saliency'
        $r.ClassIndex | Should -Be $target
        $r.Metrics | Should -Be @('Sparseness', 'Complexity', 'PixelFlipping')
        $want = $quantus.'chelsea.Saliency'
        [math]::Abs($r.Sparseness - $want.Sparseness) | Should -BeLessThan 2e-3
        [math]::Abs($r.Complexity - $want.Complexity) | Should -BeLessThan 2e-3
        $r.FeaturesInStep | Should -Be 896
        $r.PixelFlippingCurve.Count | Should -Be $want.PixelFlipping.Count
        $worst = 0.0
        for ($i = 0; $i -lt $want.PixelFlipping.Count; $i++) { $worst = [math]::Max($worst, [math]::Abs($r.PixelFlippingCurve[$i] - $want.PixelFlipping[$i])) }
        $worst | Should -BeLessThan 1e-2
        # Not asked, not measured; shown by default: which map and the metrics asked.
        $r.RegionPerturbation | Should -BeNullOrEmpty
        $r.PSStandardMembers.DefaultDisplayPropertySet.ReferencedPropertyNames | Should -Be @('Image', 'Method', 'Class', 'Sparseness', 'Complexity', 'PixelFlipping')
    }

    It 'carries a region given on the image to the pixels the network saw (-Mask and -Region alike, -Resize <Resize>)' -ForEach @(
        @{ Resize = 'Stretch' }, @{ Resize = 'Letterbox' }
    ) {
        $target = $cases.chelsea.target
        $columns = [int][math]::Floor($width / 2)
        $mask = Join-Path $folder 'chelsea_left.pgm'
        New-HalfMask $mask $columns $width $height
        $out = Join-Path $folder "ixg-$Resize"
        $a = New-AttributionMap $chelsea -Model squeezenet1_1 -Method InputXGradient -ClassIndex $target -Resize $Resize -OutputPath $out -MapFormat Npy
        $byMask = $a | Measure-Explanation -Mask (Join-Path $folder '{name}_left.pgm') -Metric RelevanceMassAccuracy, AttributionLocalisation
        $byRegion = $a | Measure-Explanation -Region 0, 0, $columns, $height -Metric RelevanceMassAccuracy, AttributionLocalisation
        # The closed form from the written attribution: channels summed; the photo fills a band of the input (all of it
        # when stretched; scaled to fit and centred when letterboxed), and a network pixel in the band is inside when the
        # nearest photo column, floor((x - left) * width / bandWidth), is left of the mask's edge.
        $bandWidth = 224; $bandHeight = 224; $left = 0; $top = 0
        if ($Resize -eq 'Letterbox') {
            $fit = [math]::Min(224 / $width, 224 / $height)
            $bandWidth = [math]::Max(1, [int][math]::Round($width * $fit)); $bandHeight = [math]::Max(1, [int][math]::Round($height * $fit))
            $left = [int][math]::Floor((224 - $bandWidth) / 2); $top = [int][math]::Floor((224 - $bandHeight) / 2)
        }
        $values = Read-Npy (Join-Path $out 'chelsea_cam_attribution.npy')
        $inside = 0.0; $total = 0.0; $insideAbs = 0.0; $totalAbs = 0.0
        for ($y = 0; $y -lt 224; $y++) {
            for ($x = 0; $x -lt 224; $x++) {
                $v = [double]$values[$y * 224 + $x] + $values[50176 + $y * 224 + $x] + $values[100352 + $y * 224 + $x]
                $total += $v; $totalAbs += [math]::Abs($v)
                $inBand = $y -ge $top -and $y -lt $top + $bandHeight -and $x -ge $left -and $x -lt $left + $bandWidth
                if ($inBand -and [math]::Floor(($x - $left) * $width / $bandWidth) -lt $columns) { $inside += $v; $insideAbs += [math]::Abs($v) }
            }
        }
        foreach ($r in $byMask, $byRegion) {
            [math]::Abs($r.RelevanceMassAccuracy - $inside / $total) | Should -BeLessThan 1e-4
            [math]::Abs($r.AttributionLocalisation - $insideAbs / $totalAbs) | Should -BeLessThan 1e-4
        }
    }

    It 'takes a QuPath GeoJSON region in level-0 slide pixels for a slide tile: the tile''s share of it, holes cut out' {
        $slide = Join-Path $folder 'geo-slide.tiff'
        $null = Invoke-TestData slide $slide 3000 2000 0.5
        $tile = Get-SlideTile $slide -Level 1 -TileSize 224 | Select-Object -First 1
        $tile.Downsample | Should -BeGreaterThan 1 -Because 'the level must scale level-0 coordinates'
        $d = $tile.Downsample
        # The tile's left half, drawn on the slide; the second polygon's hole takes away its top half.
        $ring = { param($x1, $y1, $x2, $y2) , @(@($x1, $y1), @($x2, $y1), @($x2, $y2), @($x1, $y2), @($x1, $y1)) }
        $x0 = $tile.X; $y0 = $tile.Y; $half = $x0 + 112 * $d; $bottom = $y0 + 224 * $d; $middle = $y0 + 112 * $d
        $left = @{ type = 'FeatureCollection'; features = @(@{ type = 'Feature'; properties = @{ objectType = 'annotation' }
            geometry = @{ type = 'Polygon'; coordinates = @(& $ring $x0 $y0 $half $bottom) } }) }
        $holed = @{ type = 'Feature'; geometry = @{ type = 'MultiPolygon'; coordinates = @(, @((& $ring $x0 $y0 $half $bottom), (& $ring ($x0 - 50) ($y0 - 50) ($half + 50) $middle))) } }
        $left | ConvertTo-Json -Depth 10 | Set-Content (Join-Path $folder 'geo-slide.geojson')
        $holed | ConvertTo-Json -Depth 10 | Set-Content (Join-Path $folder 'geo-holed.geojson')
        $metrics = 'RelevanceMassAccuracy', 'AttributionLocalisation', 'RelevanceRankAccuracy'
        $common = @{ Model = 'squeezenet1_1'; Method = 'InputXGradient'; ClassIndex = 1; Metric = $metrics }
        # {slide} names the tile's slide: one GeoJSON per slide, as QuPath exports them.
        $byGeo = Measure-Explanation $tile.Path @common -Mask (Join-Path $folder '{slide}.geojson')
        $byRegion = Measure-Explanation $tile.Path @common -Region 0, 0, 112, 224
        $byHoled = Measure-Explanation $tile.Path @common -Mask (Join-Path $folder 'geo-holed.geojson')
        $byQuarter = Measure-Explanation $tile.Path @common -Region 0, 112, 112, 112
        foreach ($m in $metrics) {
            $byGeo.$m | Should -Be $byRegion.$m -Because $m
            $byHoled.$m | Should -Be $byQuarter.$m -Because "$m with the hole"
        }
        $byHoled.RelevanceMassAccuracy | Should -Not -Be $byGeo.RelevanceMassAccuracy
        Set-Content (Join-Path $folder 'points.geojson') '{"type": "Feature", "geometry": {"type": "Point", "coordinates": [10, 10]}}'
        { Measure-Explanation $tile.Path @common -Mask (Join-Path $folder 'points.geojson') -ErrorAction Stop } | Should -Throw -ErrorId 'ExplanationMaskInvalid*'
    }

    It 'says which item''s region cannot be used and goes on with the others' {
        $coffee = Join-Path $folder 'coffee.png'
        $mask = Join-Path $folder 'small.pgm'
        New-HalfMask $mask 10 20 20
        { Measure-Explanation $chelsea -Model squeezenet1_1 -Metric PointingGame -ErrorAction Stop } | Should -Throw -ErrorId 'ExplanationMaskMissing*'
        $r = Measure-Explanation $chelsea, $coffee -Model squeezenet1_1 -Mask (Join-Path $folder '{name}.png') -Metric PointingGame -ErrorVariable bad -ErrorAction SilentlyContinue
        # chelsea.png is its own mask (as large as itself); coffee's mask is coffee.png too: both measure. A mask of another size fails its item.
        @($r).Count | Should -Be 2
        $r = Measure-Explanation $chelsea, $coffee -Model squeezenet1_1 -Mask $mask -Metric PointingGame -ErrorVariable bad -ErrorAction SilentlyContinue
        @($r).Count | Should -Be 0
        @($bad | Where-Object FullyQualifiedErrorId -like 'ExplanationMaskInvalid*').Count | Should -Be 2
        # A region the centre crop cuts away covers nothing the network saw; the image beside it goes on.
        $r = Measure-Explanation $chelsea -Model squeezenet1_1 -Resize CenterCrop -Region 0, 0, 20, 20 -Metric TopKIntersection -ErrorVariable bad -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $bad[0].FullyQualifiedErrorId | Should -BeLike 'ExplanationMaskEmpty*'
        $bad[0].TargetObject | Should -Be $chelsea
        { Measure-Explanation $chelsea -Model squeezenet1_1 -Metric PixelFlipping -PerturbBaseline Grey -ErrorAction Stop } | Should -Throw -ErrorId 'ExplanationSettingInvalid*'
    }

    It 'draws the curves, never over a figure without -Force, and takes patches in the order asked (a random order seeded)' {
        $plots = Join-Path $folder 'explanation-plots'
        $target = $cases.chelsea.target
        $ig = New-AttributionMap $chelsea -Model squeezenet1_1 -ClassIndex $target -Steps 16 -OutputPath (Join-Path $folder 'ig')
        $morf = $ig | Measure-Explanation -Metric RegionPerturbation, PixelFlipping -PatchSize 16 -Regions 30 -PlotPath $plots
        Test-Path $morf.PlotPath | Should -BeTrue
        $morf.RegionPerturbationCurve.Count | Should -Be 30
        { $ig | Measure-Explanation -Metric PixelFlipping -PlotPath $plots -ErrorAction Stop } | Should -Throw -ErrorId 'OutputExists*'
        # IROF over SLIC superpixels, by default with Quantus's mean baseline (not the black the others default to).
        $irof = $ig | Measure-Explanation -Metric IROF
        $irof.IROFCurve.Count | Should -BeGreaterThan 50
        $irof.IROF | Should -BeGreaterThan 0
        $irof.PerturbBaseline | Should -BeNullOrEmpty
        ($ig | Measure-Explanation -Metric IROF -PerturbBaseline Black).IROF | Should -Not -Be $irof.IROF
        ($ig | Measure-Explanation -Metric IROF -PerturbBaseline Mean).IROF | Should -Be $irof.IROF
        $lerf = $ig | Measure-Explanation -Metric RegionPerturbation -PatchSize 16 -Regions 30 -Order Lerf
        $lerf.RegionPerturbationCurve | Should -Not -Be $morf.RegionPerturbationCurve
        # A number of either sign is a baseline value, never taken for a named kind.
        $minusOne = $ig | Measure-Explanation -Metric RegionPerturbation -PatchSize 16 -Regions 10 -PerturbBaseline -1
        $zero = $ig | Measure-Explanation -Metric RegionPerturbation -PatchSize 16 -Regions 10 -PerturbBaseline 0
        $minusOne.PerturbBaseline | Should -Be '-1'
        $minusOne.RegionPerturbationCurve | Should -Not -Be $zero.RegionPerturbationCurve
        $one = $ig | Measure-Explanation -Metric RegionPerturbation -PatchSize 16 -Regions 10 -Order Random -PerturbSeed 3
        $same = $ig | Measure-Explanation -Metric RegionPerturbation -PatchSize 16 -Regions 10 -Order Random -PerturbSeed 3
        $other = $ig | Measure-Explanation -Metric RegionPerturbation -PatchSize 16 -Regions 10 -Order Random -PerturbSeed 4
        $same.RegionPerturbationCurve | Should -Be $one.RegionPerturbationCurve
        $other.RegionPerturbationCurve | Should -Not -Be $one.RegionPerturbationCurve
    }

    It 'explains noisy copies and another class with the same method (a map and an attribution), seeded' {
        foreach ($method in 'GradCAM', 'Saliency') {
            $one = Measure-Explanation $chelsea -Model squeezenet1_1 -Method $method -Metric MaxSensitivity, AvgSensitivity, RandomLogit -Samples 3 -PerturbSeed 1
            $one.Metrics | Should -Be @('MaxSensitivity', 'AvgSensitivity', 'RandomLogit')
            $one.MaxSensitivity | Should -BeGreaterOrEqual $one.AvgSensitivity
            $one.AvgSensitivity | Should -BeGreaterThan 0 -Because "noise changes the $method explanation"
            $one.AvgSensitivitySpread | Should -Not -BeNullOrEmpty
            $one.RandomLogit | Should -BeLessThan 1 -Because "another class's $method explanation differs"
            $same = Measure-Explanation $chelsea -Model squeezenet1_1 -Method $method -Metric AvgSensitivity, RandomLogit -Samples 3 -PerturbSeed 1
            $same.AvgSensitivity | Should -Be $one.AvgSensitivity
            $same.RandomLogit | Should -Be $one.RandomLogit
        }
    }
}
