BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:root = New-TestFolder
    # A synthetic 6000 x 4000 slide (tests/HeatmapTools.TestData/SyntheticSlide.cs, written by vips as a pyramidal TIFF):
    # glass, an elliptical tissue section, a purple tumour rectangle, 0.5 um per pixel.
    $script:slide = Join-Path $root 'slide.tiff'
    $script:layout = Invoke-TestData slide $slide 6000 4000 0.5 | ConvertFrom-Json
    $script:ellipse = { param($x, $y) [math]::Pow(($x - $layout.TissueX) / $layout.TissueRx, 2) + [math]::Pow(($y - $layout.TissueY) / $layout.TissueRy, 2) -le 1 }
}
AfterAll { Remove-Item $root -Recurse -Force }

Describe 'Whole-slide images' {
    It 'reads a JPEG-compressed slide in a session where torch and OpenCV were loaded first' {
        # Aperio SVS and most real slides are JPEG tiles, read by OpenSlide through the system's libtiff and libjpeg.
        $jpeg = Join-Path $root 'slide-jpeg.tif'
        & vips tiffsave $slide $jpeg --tile --pyramid --compression jpeg --Q 90 --tile-width 256 --tile-height 256
        $LASTEXITCODE | Should -Be 0
        $out = Invoke-FreshPwsh "Import-Module '$ModulePath'; `$null = Get-HeatmapToolsInfo 3>`$null; `$t = Get-SlideTile '$jpeg' -Level 1 -TileSize 256; `$d = Get-SlideTile '$slide' -Level 1 -TileSize 256; `"`$(@(`$t).Count) `$(@(`$d).Count)`""
        $LASTEXITCODE | Should -Be 0 -Because 'a JPEG slide must not take the session down (exit 139 was a SIGSEGV in libjpeg)'
        $jpegCount, $deflateCount = "$out".Trim() -split ' '
        [int] $jpegCount | Should -BeGreaterThan 0
        [int] $jpegCount | Should -Be ([int] $deflateCount)
    }

    It 'describes the slide: size, pyramid, microns per pixel from the TIFF resolution, properties; an unreadable file is its own error' {
        $broken = Join-Path $root 'broken.png'
        Set-Content $broken 'not an image'
        $info = Get-SlideInfo $slide, $broken, $slide -ErrorVariable failed -ErrorAction SilentlyContinue
        @($info).Count | Should -Be 2
        $info[0].Vendor | Should -Be 'generic-tiff'
        $info[0].Width, $info[0].Height | Should -Be 6000, 4000
        $info[0].MppX | Should -Be 0.5
        $info[0].Levels[1].Width, $info[0].Levels[1].Downsample | Should -Be 3000, 2
        $info[0].Properties['tiff.ResolutionUnit'] | Should -Be 'centimeter'
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'SlideUnreadable*'
    }

    It 'reads a plain image as a slide: a scan saved as PNG tiles and predicts as the same pixels in a pyramidal TIFF' {
        # The slide's level 0 as a PNG (vips, not the module, writes it); a text file is neither.
        $scan = Join-Path $root 'scan.png'
        & vips copy $slide $scan
        $notes = Join-Path $root 'notes.txt'
        Set-Content $notes 'a slide?'
        $info = Get-SlideInfo $scan, $notes -ErrorVariable failed -ErrorAction SilentlyContinue
        @($info).Count | Should -Be 1
        $info.Vendor | Should -Be 'image'
        $info.Width, $info.Height | Should -Be 6000, 4000
        $info.MppX | Should -BeNullOrEmpty
        # A pyramid of halvings down to one 256-pixel tile, so thumbnails and coarse tiles read a small level.
        $info.Levels.Count | Should -Be 6
        $info.Levels[1].Width, $info.Levels[1].Height, $info.Levels[1].Downsample | Should -Be 3000, 2000, 2
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'SlideUnreadable*'
        # Level-0 tiles read from the PNG are the TIFF's pixels: the classifier gives each the same probabilities.
        $fromScan = @(Get-SlideTile $scan -Level 0 -TileSize 512)
        $fromTiff = @(Get-SlideTile $slide -Level 0 -TileSize 512)
        $fromScan.Count | Should -BeGreaterThan 10
        $pairs = $fromScan | Select-Object -First 4 | ForEach-Object {
            $t = $_; [pscustomobject]@{ Scan = $t; Tiff = $fromTiff | Where-Object { $_.X -eq $t.X -and $_.Y -eq $t.Y } }
        }
        $pairs.Tiff | Should -HaveCount 4
        $a = $pairs.Scan.Path | Get-ClassPrediction -Model squeezenet1_1 -Top 3
        $b = $pairs.Tiff.Path | Get-ClassPrediction -Model squeezenet1_1 -Top 3
        for ($k = 0; $k -lt 4; $k++) {
            $a[$k].ClassIndex | Should -Be $b[$k].ClassIndex
            [math]::Abs($a[$k].Probability - $b[$k].Probability) | Should -BeLessOrEqual 1e-6
        }
        # A heatmap over the image: its size and its tiles, as over the TIFF.
        $rows = $fromScan | Select-Object -First 4 | ForEach-Object { [pscustomobject]@{ X = $_.X; Y = $_.Y; Probability = 0.5 } }
        $h = $rows | New-SlideHeatmap $scan -TileExtent 512 -MaxSize 300 -OutputPath (Join-Path $root 'scan-heat.png') -ErrorAction Stop
        $h.Width, $h.Height, $h.Tiles | Should -Be 300, 200, 4
        Test-Path $h.Path | Should -BeTrue
    }

    It 'keeps the tiles on tissue: every tile wholly inside the section, none wholly off it' {
        $tiles = Get-SlideTile $slide -Level 1 -TileSize 256
        $tiles[0].Extent | Should -Be 512
        $tiles[0].Mpp | Should -Be 1
        $kept = @{}; foreach ($t in $tiles) { $kept["$($t.X),$($t.Y)"] = $true }
        for ($y = 0; $y + 512 -le 4000; $y += 512) {
            for ($x = 0; $x + 512 -le 6000; $x += 512) {
                $corners = @(@($x, $y), @(($x + 512), $y), @($x, ($y + 512)), @(($x + 512), ($y + 512)))
                $inside = @($corners | Where-Object { & $ellipse $_[0] $_[1] }).Count
                # The nearest point of the square to the ellipse's centre: outside the ellipse means no tissue at all.
                $nx = [math]::Clamp($layout.TissueX, $x, $x + 512); $ny = [math]::Clamp($layout.TissueY, $y, $y + 512)
                if ($inside -eq 4) { $kept["$x,$y"] | Should -BeTrue -Because "the tile at $x,$y is all tissue" }
                if (-not (& $ellipse $nx $ny)) { $kept["$x,$y"] | Should -BeNullOrEmpty -Because "the tile at $x,$y is all glass" }
            }
        }
    }

    It 'reads a tile from the slide as its pixels, by its path, and writes it with -OutputPath' {
        $inTumour = Get-SlideTile $slide -Level 0 -TileSize 256 -OutputPath (Join-Path $root 'tiles') |
            Where-Object { $_.X -ge $layout.TumourX -and $_.Y -ge $layout.TumourY -and $_.X + 256 -le $layout.TumourX + $layout.TumourWidth -and $_.Y + 256 -le $layout.TumourY + $layout.TumourHeight } |
            Select-Object -First 1
        Test-Path $inTumour.Path | Should -BeFalse -Because 'a tile path names a region, not a file'
        Invoke-TestData pixel $inTumour.File 128 128 | Should -Be '170,70,120'
        { Get-SlideTile $slide -Level 0 -TileSize 256 -OutputPath (Join-Path $root 'tiles') -ErrorAction Stop } | Should -Throw -ErrorId 'OutputExists*'
        $p = $inTumour | Get-ClassPrediction -Model squeezenet1_1
        $p.Path | Should -Be $inTumour.Path
        $p.Width | Should -Be 256
    }

    It 'places each tile''s square exactly over the tissue it came from' {
        $rows = [pscustomobject]@{ X = 2000; Y = 1400; Probability = 1.0 }, [pscustomobject]@{ X = 1000; Y = 2000; Probability = 0.0 }
        $h = $rows | New-SlideHeatmap $slide -TileExtent 512 -OutputPath (Join-Path $root 'aligned.png') -MaxSize 600 -Alpha 1
        $h.Scale | Should -Be 0.1
        $h.Width, $h.Height | Should -Be 600, 400
        # Level-0 2000..2512 x 1400..1912 at scale 0.1: columns 200..250, rows 140..190; the colour bar's top is probability 1.
        $one = Invoke-TestData pixel $h.Path 616 18
        foreach ($p in (200, 140), (250, 190), (225, 165)) { Invoke-TestData pixel $h.Path $p[0] $p[1] | Should -Be $one -Because "pixel $p is in the tile" }
        $tissue = '205,150,225'
        foreach ($p in (199, 165), (251, 165), (225, 139), (225, 191)) { Invoke-TestData pixel $h.Path $p[0] $p[1] | Should -Be $tissue -Because "pixel $p is outside it" }
        Invoke-TestData pixel $h.Path 120 220 | Should -Not -Be $tissue -Because 'the tile of probability 0 is painted too'
    }

    It 'paints each tile''s CAM map over its square (the mosaic), and takes New-CamHeatmap results of slide tiles' {
        $map = [float[,]]::new(2, 2); $map[0, 1] = 1; $map[1, 0] = 1
        $h = [pscustomobject]@{ X = 2000; Y = 1400; Extent = 512; Map = $map } | New-SlideHeatmap $slide -OutputPath (Join-Path $root 'mosaic.png') -MaxSize 600 -Alpha 1
        $zero = Invoke-TestData pixel $h.Path 616 381; $one = Invoke-TestData pixel $h.Path 616 18
        # The 2 x 2 map stretched over columns 200..250 and rows 140..190: its corners keep their values.
        Invoke-TestData pixel $h.Path 200 140 | Should -Be $zero
        Invoke-TestData pixel $h.Path 250 140 | Should -Be $one
        Invoke-TestData pixel $h.Path 200 190 | Should -Be $one
        Invoke-TestData pixel $h.Path 250 190 | Should -Be $zero
        $cams = Get-SlideTile $slide -Level 2 -TileSize 128 | Select-Object -First 3 |
            New-CamHeatmap -Model squeezenet1_1 -InputSize 64 -NoOverlay -OutputPath (Join-Path $root 'cams/{name}.png')
        ($cams | New-SlideHeatmap $slide -OutputPath (Join-Path $root 'cam_mosaic.png') -MaxSize 600).Tiles | Should -Be 3
        # Passed on as JSON text, the results arrive without their maps: each is made again from its tile, as it was made.
        $arrived = @($cams | ConvertTo-Json -Depth 3 | ConvertFrom-Json)
        $arrived[0].PSObject.Properties.Name | Should -Not -Contain 'Map'
        ($arrived | New-SlideHeatmap $slide -OutputPath (Join-Path $root 'cam_mosaic_json.png') -MaxSize 600 -ErrorAction Stop).Tiles | Should -Be 3
        $worst = & /usr/bin/python3 -c 'import cv2, sys; a = cv2.imread(sys.argv[1]).astype(int); b = cv2.imread(sys.argv[2]).astype(int); print(abs(a - b).max() if a.shape == b.shape else 999)' (Join-Path $root 'cam_mosaic.png') (Join-Path $root 'cam_mosaic_json.png')
        # One tile at a time against a batch of three: libtorch may round differently.
        [int]$worst | Should -BeLessOrEqual 4
        # Each map is scaled to its own peak: a threshold over the mosaic would count every tile as above it.
        { $cams | New-SlideHeatmap $slide -OutputPath (Join-Path $root 'cam_mosaic_t.png') -MaxSize 600 -Threshold 0.5 -ErrorAction Stop } |
            Should -Throw -ErrorId 'ThresholdNotApplicable*'
        Test-Path (Join-Path $root 'cam_mosaic_t.png') | Should -BeFalse
    }

    It 'writes the heatmap and its GeoJSON both or neither' {
        $rows = [pscustomobject]@{ X = 3000; Y = 1400; Probability = 0.9 }, [pscustomobject]@{ X = 1000; Y = 2000; Probability = 0.2 }
        $image = Join-Path $root 'both.png'; $geo = Join-Path $root 'both.geojson'
        Set-Content $image 'an old heatmap'
        { $rows | New-SlideHeatmap $slide -TileExtent 512 -OutputPath $image -MaxSize 300 -Threshold 0.5 -GeoJsonPath $geo -ErrorAction Stop } |
            Should -Throw -ErrorId 'OutputExists*'
        Test-Path $geo | Should -BeFalse -Because 'the image was refused, so its GeoJSON is not written beside the old image'
        Remove-Item $image
        Set-Content $geo 'an old GeoJSON'
        { $rows | New-SlideHeatmap $slide -TileExtent 512 -OutputPath $image -MaxSize 300 -Threshold 0.5 -GeoJsonPath $geo -ErrorAction Stop } |
            Should -Throw -ErrorId 'OutputExists*'
        Test-Path $image | Should -BeFalse -Because 'the GeoJSON was refused, so no new image stands beside the old GeoJSON'
        Get-Content $geo | Should -Be 'an old GeoJSON'
        $h = $rows | New-SlideHeatmap $slide -TileExtent 512 -OutputPath $image -MaxSize 300 -Threshold 0.5 -GeoJsonPath $geo -Force
        $h.GeoJsonPath | Should -Be $geo
        (Get-Content $geo -Raw | ConvertFrom-Json).type | Should -Be 'FeatureCollection'
    }

    It 'records each slide painted, or its failure with the ErrorId, for gathering (-RecordPath)' {
        $rows = [pscustomobject]@{ X = 3000; Y = 1400; Probability = 0.9 }, [pscustomobject]@{ X = 1000; Y = 2000; Probability = 0.2 }
        $record = Join-Path $root 'records/slides.jsonl'
        $image = Join-Path $root 'recorded.png'; $geo = Join-Path $root 'recorded.geojson'
        $null = $rows | New-SlideHeatmap $slide -TileExtent 512 -OutputPath $image -MaxSize 300 -Threshold 0.5 -GeoJsonPath $geo -RecordPath $record
        # A second slide whose tile lies outside it: that slide fails, and the record says how.
        $small = Join-Path $root 'small.tiff'
        $null = Invoke-TestData slide $small 1200 800
        { $rows | New-SlideHeatmap $small -TileExtent 512 -OutputPath (Join-Path $root 'small.png') -MaxSize 300 -RecordPath $record -ErrorAction Stop } |
            Should -Throw -ErrorId 'SlideRegionInvalid*'
        $lines = Get-Content $record | ForEach-Object { $_ | ConvertFrom-Json }
        @($lines | Where-Object kind -eq 'start').Count | Should -Be 2
        $items = Get-HeatmapRunRecord $record -InputPath $slide, $small, (Join-Path $root 'never.tiff')
        $items.Count | Should -Be 3
        $done = $items | Where-Object Input -eq $slide
        $done.Status | Should -Be 'Done'
        $done.Outputs | Should -Be @($image, $geo)
        $failed = $items | Where-Object Input -eq $small
        $failed.Status | Should -Be 'Failed'
        $failed.ErrorId | Should -Be 'SlideRegionInvalid'
        $failed.Message | Should -BeLike '*outside*'
        ($items | Where-Object Input -like '*never.tiff').Status | Should -Be 'Missing'
        # -WhatIf writes nothing, the record included.
        $whatIf = Join-Path $root 'records/whatif.jsonl'
        $null = $rows | New-SlideHeatmap $slide -TileExtent 512 -OutputPath (Join-Path $root 'whatif.png') -RecordPath $whatIf -WhatIf
        Test-Path $whatIf | Should -BeFalse
    }

    It 'shows a slide in a report by a preview, never a copy of the slide' {
        $rows = [pscustomobject]@{ X = 3000; Y = 1400; Probability = 0.9 }, [pscustomobject]@{ X = 1000; Y = 2000; Probability = 0.2 }
        $h = $rows | New-SlideHeatmap $slide -TileExtent 512 -OutputPath (Join-Path $root 'for-report.png') -MaxSize 300
        $report = Join-Path $root 'slide-report'
        $h | Export-HeatmapReport $report | Out-Null
        $files = Get-ChildItem (Join-Path $report 'files')
        # The slide viewer lists the slide first, by its preview: files/00001.slide.png.
        $files.Name | Should -Contain '00001.slide.png'
        Get-ChildItem (Join-Path $report 'files') -Recurse -File | Where-Object Length -ge (Get-Item $slide).Length | Should -BeNullOrEmpty -Because 'the slide itself is not copied'
        (Invoke-TestData size (Join-Path $report 'files/00001.slide.png')) | Should -Match '^1024x68[23]$'
    }

    It 'does not trust a resolution no scanner gives, and tiles by microns only with one it can trust' {
        # vips writes 2.835 pixels per mm (72 dpi, 352.7 um per pixel) when its input states no resolution.
        $plain = Join-Path $root 'vips72.tif'
        & vips tiffsave (Join-Path $root 'chelsea.png') $plain --tile --pyramid --tile-width 64 --tile-height 64
        (Get-SlideInfo $plain).MppX | Should -BeNullOrEmpty
        $tiles = Get-SlideTile $plain -TileSize 64 -MinTissue 0 -WarningVariable said -WarningAction SilentlyContinue
        $said.Count | Should -Be 1
        "$said" | Should -Match 'vips72\.tif.*352\.7'
        $tiles[0].Mpp | Should -BeNullOrEmpty
        $failure = { Get-SlideTile $plain -TileSize 64 -Mpp 0.5 -ErrorAction Stop -WarningAction SilentlyContinue } | Should -Throw -ErrorId 'SlideRegionInvalid*' -PassThru
        $failure.Exception.Message | Should -Match '-SlideMpp'
        # Level 1 is 225 of 451 pixels wide (a downsample of 2.004): the coarsest level at least as fine as 0.6 um.
        $given = Get-SlideTile $plain -TileSize 32 -MinTissue 0 -SlideMpp 0.25 -Mpp 0.6 -WarningVariable said -WarningAction SilentlyContinue
        $said.Count | Should -Be 0
        $given[0].Level | Should -Be 1
        $given[0].Mpp | Should -BeGreaterThan 0.5
        $given[0].Mpp | Should -BeLessThan 0.502
    }

    It 'exports the tiles above the threshold and their outline as GeoJSON that parses back' {
        $rows = [pscustomobject]@{ X = 3000; Y = 1400; Probability = 0.9 }, [pscustomobject]@{ X = 3512; Y = 1400; Probability = 0.7 }, [pscustomobject]@{ X = 1000; Y = 2000; Probability = 0.2 }
        $geo = Join-Path $root 'tumour.geojson'
        $h = $rows | New-SlideHeatmap $slide -TileExtent 512 -OutputPath (Join-Path $root 'geo.png') -MaxSize 600 -Threshold 0.5 -GeoJsonPath $geo
        $h.TilesAbove | Should -Be 2
        $json = Get-Content $geo -Raw | ConvertFrom-Json
        $json.type | Should -Be 'FeatureCollection'
        $detections = @($json.features | Where-Object { $_.properties.objectType -eq 'detection' })
        $detections.Count | Should -Be 2
        $detections[0].properties.classification.name | Should -Be 'Tumor'
        $detections[0].properties.measurements.probability | Should -Be 0.9
        ($detections[0].geometry.coordinates[0] | ForEach-Object { $_ -join ',' }) -join ' ' | Should -Be '3000,1400 3512,1400 3512,1912 3000,1912 3000,1400'
        # One outline around both neighbouring tiles (3000..4024 x 1400..1912), in level-0 pixels, traced through the
        # thumbnail's boundary pixels: within two of them (20 level-0 pixels here).
        $outline = @($json.features | Where-Object { $_.properties.objectType -eq 'annotation' })
        $outline.Count | Should -Be 1
        $xs = $outline[0].geometry.coordinates[0] | ForEach-Object { $_[0] } | Measure-Object -Minimum -Maximum
        $ys = $outline[0].geometry.coordinates[0] | ForEach-Object { $_[1] } | Measure-Object -Minimum -Maximum
        $xs.Minimum | Should -Be 3000
        $ys.Minimum | Should -Be 1400
        $xs.Maximum | Should -BeGreaterOrEqual 4004
        $xs.Maximum | Should -BeLessOrEqual 4024
        $ys.Maximum | Should -BeGreaterOrEqual 1892
        $ys.Maximum | Should -BeLessOrEqual 1912
    }

    It 'names what cannot be right and draws the rest' {
        $rows = [pscustomobject]@{ X = 3000; Y = 1400; Probability = 0.9 }, [pscustomobject]@{ X = 5900; Y = 100; Probability = 0.5 }
        { $rows | New-SlideHeatmap $slide -TileExtent 512 -OutputPath (Join-Path $root 'outside.png') -ErrorAction Stop } | Should -Throw -ErrorId 'SlideRegionInvalid*'
        Test-Path (Join-Path $root 'outside.png') | Should -BeFalse
        $h = [pscustomobject]@{ Probability = 0.5 }, [pscustomobject]@{ X = 3000; Y = 1400; Probability = 0.9 } |
            New-SlideHeatmap $slide -TileExtent 512 -OutputPath (Join-Path $root 'partial.png') -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'SlideRegionInvalid*'
        $h.Tiles | Should -Be 1
        { New-SlideHeatmap $slide -OutputPath (Join-Path $root 'x.png') -GeoJsonPath (Join-Path $root 'x.geojson') } | Should -Throw -ErrorId 'ThresholdRequired*'
        # A file neither OpenSlide nor an image decoder reads (a photo is a slide of one scan).
        Set-Content (Join-Path $root 'fake.svs') 'not a slide'
        { Get-SlideTile (Join-Path $root 'fake.svs') -ErrorAction Stop } | Should -Throw -ErrorId 'SlideUnreadable*'
        { Get-SlideTile $slide -Level 9 -ErrorAction Stop } | Should -Throw -ErrorId 'SlideRegionInvalid*'
    }

    It 'measures agreement with the annotation against closed forms, and flags a slide right for the wrong region' {
        # 30 tiles of 200 exactly tiling the annotated tumour (3000..4200 x 1333..2333), 10 more on tissue beside it.
        $tumour = foreach ($y in 0..4) { foreach ($x in 0..5) { @{ X = 3000 + 200 * $x; Y = 1333 + 200 * $y } } }
        $other = foreach ($x in 0..9) { @{ X = 1000 + 200 * $x; Y = 2600 } }
        $rows = { param($in, $out) @($tumour | ForEach-Object { [pscustomobject]@{ X = $_.X; Y = $_.Y; Probability = $in } }) + @($other | ForEach-Object { [pscustomobject]@{ X = $_.X; Y = $_.Y; Probability = $out } }) }
        $geo = [IO.Path]::ChangeExtension($slide, '.geojson')
        $right = & $rows 0.9 0.1 | Measure-SlideAgreement $slide -TileExtent 200 -Annotation $geo -AnnotationClass Tumor -MaxSize 600
        $right.Tiles | Should -Be 40
        $right.TilesInAnnotation | Should -Be 30
        $right.Auroc | Should -Be 1
        $right.PointingGame | Should -BeTrue
        # At 0.1 pixels per level-0 pixel: tumour tiles cover 120 x 100 raster pixels, the others 10 x 20 x 20.
        $right.MassInside | Should -BeGreaterThan (0.9 * 12000 / (0.9 * 12000 + 0.1 * 4000) - 0.01)
        $right.MassInside | Should -BeLessOrEqual 1
        $right.Dice | Should -BeGreaterThan 0.98
        $right.RightForWrongRegion | Should -BeFalse
        $wrong = & $rows 0.1 0.9 | Measure-SlideAgreement $slide -TileExtent 200 -Annotation $geo -MaxSize 600
        $wrong.Auroc | Should -Be 0
        $wrong.PointingGame | Should -BeFalse
        $wrong.Dice | Should -Be 0
        $wrong.PredictedPositive | Should -BeTrue
        $wrong.RightForWrongRegion | Should -BeTrue
        # The same annotation as a mask image of the slide's proportions; one of other proportions is refused.
        $mask = Join-Path $root 'mask.png'; $squashed = Join-Path $root 'squashed.png'
        Invoke-TestData mask $mask 600 400 300 133 120 100 | Out-Null
        Invoke-TestData mask $squashed 600 300 300 133 120 100 | Out-Null
        (& $rows 0.9 0.1 | Measure-SlideAgreement $slide -TileExtent 200 -Annotation $mask -MaxSize 600).Dice | Should -BeGreaterThan 0.98
        { & $rows 0.9 0.1 | Measure-SlideAgreement $slide -TileExtent 200 -Annotation $squashed -ErrorAction Stop } | Should -Throw -ErrorId 'AnnotationInvalid*'
        { & $rows 0.9 0.1 | Measure-SlideAgreement $slide -TileExtent 200 -Annotation $geo -AnnotationClass Stroma -ErrorAction Stop } | Should -Throw -ErrorId 'AnnotationInvalid*'
    }

    It 'keeps two slides of one name from two folders apart, and a slide whose tiles exist is its own error' {
        $a = Join-Path $root 'site-a'; $b = Join-Path $root 'site-b'
        New-Item -ItemType Directory $a, $b -Force | Out-Null
        & vips tiffsave (Join-Path $root 'chelsea.png') (Join-Path $a 'slide.tif') --tile --pyramid --tile-width 64 --tile-height 64
        & vips tiffsave (Join-Path $root 'coffee.png') (Join-Path $b 'slide.tif') --tile --pyramid --tile-width 64 --tile-height 64
        $out = Join-Path $root 'two-sites'
        $tiles = Get-SlideTile (Join-Path $a 'slide.tif'), (Join-Path $b 'slide.tif') -TileSize 64 -MinTissue 0 -OutputPath $out -WarningVariable said -WarningAction SilentlyContinue
        $fromA = @($tiles | Where-Object Slide -eq (Join-Path $a 'slide.tif')); $fromB = @($tiles | Where-Object Slide -eq (Join-Path $b 'slide.tif'))
        $fromA.Count | Should -BeGreaterThan 0
        $fromB.Count | Should -BeGreaterThan 0
        @(Get-ChildItem $out -File).Count | Should -Be ($fromA.Count + $fromB.Count) -Because 'no tile of one slide replaced or refused the other''s'
        $prefixes = @($tiles | ForEach-Object { (Split-Path $_.File -Leaf) -replace '_L\d+_.*$', '' } | Sort-Object -Unique)
        $prefixes.Count | Should -Be 2
        "$said" | Should -Match 'has the name of another slide'
        # Again without -Force: each slide's tiles exist; each slide is its own error and nothing terminates.
        $again = Get-SlideTile (Join-Path $a 'slide.tif'), (Join-Path $b 'slide.tif') -TileSize 64 -MinTissue 0 -OutputPath $out -ErrorVariable failed -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $failed.Count | Should -Be 2
        $failed | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'OutputExists*' }
    }

    It 'says why a slide gave no tiles, and paints a slide smaller than -MaxSize at its own size' {
        $tinyPng = Join-Path $root 'tiny.png'; $tiny = Join-Path $root 'tiny.tif'
        & vips crop (Join-Path $root 'chelsea.png') $tinyPng 100 100 40 30
        & vips tiffsave $tinyPng $tiny --tile --pyramid --tile-width 64 --tile-height 64
        $tiles = Get-SlideTile $tiny -TileSize 64 -SlideMpp 0.5 -WarningVariable said -WarningAction SilentlyContinue
        $tiles | Should -BeNullOrEmpty
        "$said" | Should -Match 'tiny\.tif.*no tiles.*40 x 30.*smaller than one 64-pixel tile'
        $h = [pscustomobject]@{ X = 0; Y = 0; Extent = 20; Probability = 0.5 } | New-SlideHeatmap $tiny -OutputPath (Join-Path $root 'tiny_heat.png') -MaxSize 2048
        "$($h.Width) x $($h.Height)" | Should -Be '40 x 30'
    }

    It 'labels tiles by the annotation and writes them as IDC patches New-PatientPatchGrid rebuilds' {
        $geo = [IO.Path]::ChangeExtension($slide, '.geojson')
        $folder = Join-Path $root 'idc'
        $tiles = Get-SlideTile $slide -Level 2 -TileSize 128 -Annotation $geo -OutputPath $folder
        $inTumour = { param($t) $cx = $t.X + $t.Extent / 2; $cy = $t.Y + $t.Extent / 2
            $cx -ge $layout.TumourX -and $cx -lt $layout.TumourX + $layout.TumourWidth -and $cy -ge $layout.TumourY -and $cy -lt $layout.TumourY + $layout.TumourHeight }
        foreach ($t in $tiles) { $t.Target | Should -Be ([int](& $inTumour $t)) -Because "tile $($t.X),$($t.Y)" }
        $positive = @($tiles | Where-Object Target -eq 1).Count
        $positive | Should -BeGreaterThan 0
        Split-Path $tiles[0].File -Leaf | Should -Be "slide_idx5_x$($tiles[0].X / 4 + 1)_y$($tiles[0].Y / 4 + 1)_class$($tiles[0].Target).png"
        $grid = New-PatientPatchGrid -Path $folder -PatchSize 128 -OutputPath (Join-Path $root 'grids') -Kind Labels -WarningVariable warned
        $warned | Should -BeNullOrEmpty -Because 'the tiles lie on IDC''s 1-based grid' 
        $grid.PatientId | Should -Be 'slide'
        $grid.PatchCount | Should -Be $tiles.Count
        $grid.PositiveCount | Should -Be $positive
        # The same labels over the slide's thumbnail: a tumour tile red, another pink.
        $h = $tiles | New-SlideHeatmap $slide -Labels -Alpha 1 -MaxSize 600 -OutputPath (Join-Path $root 'labels.png')
        $tumourTile = $tiles | Where-Object Target -eq 1 | Select-Object -First 1
        $otherTile = $tiles | Where-Object Target -eq 0 | Select-Object -First 1
        Invoke-TestData pixel $h.Path ([int](($tumourTile.X + 256) * 0.1)) ([int](($tumourTile.Y + 256) * 0.1)) | Should -Be '0,0,255'
        Invoke-TestData pixel $h.Path ([int](($otherTile.X + 256) * 0.1)) ([int](($otherTile.Y + 256) * 0.1)) | Should -Be '203,192,255'
        { [pscustomobject]@{ X = 0; Y = 0; Probability = 0.5 } | New-SlideHeatmap $slide -TileExtent 512 -Labels -OutputPath (Join-Path $root 'nolabel.png') -ErrorAction Stop } |
            Should -Throw -ErrorId 'SlideRegionInvalid*'
    }

    It 'classifies tiles read from the slide and paints them: Get-SlideTile | Get-ClassPrediction | New-SlideHeatmap' {
        $tiles = Get-SlideTile $slide -Level 2 -TileSize 128
        $p = $tiles | Get-ClassPrediction -Model squeezenet1_1 -InputSize 64
        $h = $p | New-SlideHeatmap $slide -PositiveClass 285 -OutputPath (Join-Path $root 'pipeline.png') -MaxSize 600
        $h.Tiles | Should -Be $tiles.Count
        (Get-HeatmapToolsInfo).ImagesDecoded | Should -BeGreaterThan 0
    }

    It 'paints the same heatmap from predictions piped, through ConvertTo-Json and ConvertFrom-Json, and through a CSV' {
        $tiles = Get-SlideTile $slide -Level 2 -TileSize 128
        $p = $tiles | Get-ClassPrediction -Model resnet18 -NumClasses 2 -Weights Random -Seed 4 -InputSize 64 -Labels benign, idc
        $p[0].ClassProbabilities.Count | Should -Be 2
        $direct = $p | New-SlideHeatmap $slide -PositiveClass idc -OutputPath (Join-Path $root 'direct.png') -MaxSize 600
        $json = $p | ConvertTo-Json | ConvertFrom-Json | New-SlideHeatmap $slide -PositiveClass idc -OutputPath (Join-Path $root 'json.png') -MaxSize 600
        $csv = Join-Path $root 'tile-predictions.csv'
        $p | Export-Csv $csv
        $rows = Import-Csv $csv | New-SlideHeatmap $slide -PositiveClass idc -OutputPath (Join-Path $root 'rows.png') -MaxSize 600
        $direct.Tiles | Should -Be $tiles.Count
        (Get-FileHash $json.Path).Hash | Should -Be (Get-FileHash $direct.Path).Hash
        (Get-FileHash $rows.Path).Hash | Should -Be (Get-FileHash $direct.Path).Hash
    }
}

Describe 'OME-TIFF heatmaps for QuPath' {
    BeforeAll {
        # Read back by tifffile and vips, not by the library that wrote it.
        function Read-OmeTiff([string] $Path, [object[]] $Queries) {
            $json = ConvertTo-Json -Compress -InputObject @($Queries | ForEach-Object { , @($_) })
            $out = $json | & /usr/bin/python3 (Join-Path $PSScriptRoot 'read_ome_tiff.py') $Path
            if ($LASTEXITCODE -ne 0) { throw "tifffile could not read '$Path'" }
            $out | ConvertFrom-Json
        }
        # Neighbouring tiles get different probabilities, so a tile painted one place off is a wrong value.
        $script:omeRows = @(Get-SlideTile $slide -TileSize 512 | ForEach-Object {
                [pscustomobject]@{ X = $_.X; Y = $_.Y; Extent = $_.Extent; Probability = ((($_.X / 512) * 7 + ($_.Y / 512) * 3) % 11) / 10 }
            })
        # Glass in the slide's corner: no tile lies there.
        $script:glass = @(40, 40)
    }

    It 'writes the tile probabilities as a tiled pyramid at the slide''s level-0 geometry and pixel size, read back by tifffile and vips' {
        $omeRows.Count | Should -BeGreaterThan 20
        $ome = Join-Path $root 'probability.ome.tif'
        $h = $omeRows | New-SlideHeatmap $slide -OutputPath (Join-Path $root 'probability.png') -MaxSize 300 -OmeTiffPath $ome
        $h.OmeTiffPath | Should -Be $ome
        $h.OmeTiffLevels | Should -Be 5
        $h.OmeTiffPixelSize | Should -Be 0.5
        $queries = @(foreach ($r in $omeRows) { foreach ($level in 0, 2) { , @($level, [long](($r.X + $r.Extent / 2) / [math]::Pow(2, $level)), [long](($r.Y + $r.Extent / 2) / [math]::Pow(2, $level))) } })
        $queries += , @(0, $glass[0], $glass[1])
        $read = Read-OmeTiff $ome $queries
        $read.is_ome | Should -BeTrue
        ($read.levels | ForEach-Object { $_ -join 'x' }) | Should -Be @('4000x6000', '2000x3000', '1000x1500', '500x750', '250x375')
        $read.subifds | Should -Be 4 -Because 'the reduced resolutions are SubIFDs of the first image, the OME-TIFF pyramid layout'
        $read.tile | Should -Be @(512, 512)
        $read.physical | Should -Be @('0.5', '0.5')
        $read.type | Should -Be 'uint8'
        $read.channel | Should -Be 'probability'
        for ($i = 0; $i -lt $omeRows.Count; $i++) {
            foreach ($k in 0, 1) {
                $v = $read.values[2 * $i + $k]
                [math]::Abs(($v - 1) / 254 - $omeRows[$i].Probability) | Should -BeLessOrEqual (0.5 / 254 + 1e-9) -Because "the tile at $($omeRows[$i].X), $($omeRows[$i].Y) (level $(2 * $k))"
            }
        }
        $read.values[-1] | Should -Be 0 -Because 'no tile lies on the glass'
        & vipsheader -f n-subifds $ome | Should -Be 4
        & vipsheader -f width "$ome[subifd=1]" | Should -Be 1500
        [double](& vipsheader -f xres $ome) | Should -Be 2000 -Because 'vips reads 2,000 pixels per millimetre: 0.5 um per pixel'
    }

    It 'writes float32 values with NaN off the tiles, at a stated downsample' {
        $ome = Join-Path $root 'float.ome.tif'
        $h = $omeRows | New-SlideHeatmap $slide -OutputPath (Join-Path $root 'float.png') -MaxSize 300 -OmeTiffPath $ome -OmeTiffDownsample 4 -OmeTiffSampleType Float
        $h.OmeTiffLevels | Should -Be 3
        $h.OmeTiffPixelSize | Should -Be 2
        $queries = @($omeRows | ForEach-Object { , @(0, [long](($_.X + $_.Extent / 2) / 4), [long](($_.Y + $_.Extent / 2) / 4)) }) + , @(0, ($glass[0] / 4), ($glass[1] / 4))
        $read = Read-OmeTiff $ome $queries
        ($read.levels | ForEach-Object { $_ -join 'x' }) | Should -Be @('1000x1500', '500x750', '250x375')
        $read.type | Should -Be 'float'
        $read.physical | Should -Be @('2', '2')
        for ($i = 0; $i -lt $omeRows.Count; $i++) { [math]::Abs($read.values[$i] - $omeRows[$i].Probability) | Should -BeLessThan 1e-6 }
        $read.values[-1] | Should -BeNullOrEmpty -Because 'NaN where no tile lies'
    }

    It 'writes the heatmap, its GeoJSON and its OME-TIFF all or none, and never over the slide' {
        $image = Join-Path $root 'none.png'; $ome = Join-Path $root 'none.ome.tif'
        Set-Content $ome 'an old OME-TIFF'
        { $omeRows | New-SlideHeatmap $slide -OutputPath $image -MaxSize 300 -OmeTiffPath $ome -ErrorAction Stop } | Should -Throw -ErrorId 'OutputExists*'
        Test-Path $image | Should -BeFalse
        Get-Content $ome | Should -Be 'an old OME-TIFF'
        { $omeRows | New-SlideHeatmap $slide -OutputPath $image -MaxSize 300 -OmeTiffPath $slide -Force -ErrorAction Stop } | Should -Throw -ErrorId 'OutputIsInput*'
        Test-Path $image | Should -BeFalse
        { $omeRows | New-SlideHeatmap $slide -OutputPath $image -MaxSize 300 -OmeTiffPath $image -ErrorAction Stop } | Should -Throw -ErrorId 'OutputNameRepeated*'
        $h = $omeRows | New-SlideHeatmap $slide -OutputPath $image -MaxSize 300 -OmeTiffPath $ome -Force
        (Read-OmeTiff $h.OmeTiffPath @()).levels.Count | Should -Be 5
    }
}

Describe 'A deep-zoom slide viewer in the report' {
    BeforeAll {
        # Two tiles above the threshold (probability 1 and 0.95) over the tumour, one at 0 elsewhere; an annotation around the first two.
        $script:viewerRows = [pscustomobject]@{ X = 3000; Y = 1400; Probability = 1.0 }, [pscustomobject]@{ X = 3512; Y = 1400; Probability = 0.95 },
            [pscustomobject]@{ X = 1000; Y = 2000; Probability = 0.0 }
        $script:annotation = Join-Path $root 'viewer-annotation.geojson'
        Set-Content $annotation ('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"classification":{"name":"Tumor"}},' +
            '"geometry":{"type":"Polygon","coordinates":[[[2900,1300],[4100,1300],[4100,2000],[2900,2000],[2900,1300]]]}}]}')
        $script:chromium = (Get-Command chromium -ErrorAction SilentlyContinue).Source
        # The page's DOM in headless Chromium once the viewer says it has drawn every tile of both layers (data-ready), at
        # the state its address asks for. The wait is on the page itself: over the DevTools protocol a promise that a
        # MutationObserver settles when the attribute appears, in real time (virtual time ran out under load before the
        # images decoded), with a deadline so nothing hangs. With --allow-file-access-from-files the page may read the
        # pixels it drew from its own files.
        $script:BrowseOnce = {
            param([string] $Page, [string] $Hash)
            $profile = Join-Path $root ('chromium-' + [guid]::NewGuid().ToString('N'))
            $start = [Diagnostics.ProcessStartInfo]::new($chromium)
            foreach ($a in '--headless', '--no-sandbox', '--disable-gpu', '--allow-file-access-from-files', "--user-data-dir=$profile",
                '--remote-debugging-port=0', '--window-size=1000,1000', ('file://' + $Page + '#' + $Hash)) { $start.ArgumentList.Add($a) }
            $start.RedirectStandardError = $true; $start.RedirectStandardOutput = $true
            $browser = [Diagnostics.Process]::Start($start)
            $null = $browser.StandardOutput.ReadToEndAsync()
            $deadline = [Threading.CancellationTokenSource]::new([TimeSpan]::FromSeconds(180))
            $socket = [Net.WebSockets.ClientWebSocket]::new()
            $said = ''
            try {
                # Chromium says where DevTools listens on stderr before it opens the page.
                $endpoint = $null
                while (-not $endpoint) {
                    $line = $browser.StandardError.ReadLineAsync($deadline.Token).AsTask().GetAwaiter().GetResult()
                    if ($null -eq $line) { throw "chromium ended before DevTools listened: $said" }
                    $said += $line + ' '
                    if ($line -match 'DevTools listening on ws://([^/]+)/') { $endpoint = $Matches[1] }
                }
                # Drained from here on, so chromium never blocks on a full pipe.
                $null = $browser.StandardError.ReadToEndAsync()
                $http = [Net.Http.HttpClient]::new()
                $target = $null
                while (-not $target) {
                    $deadline.Token.ThrowIfCancellationRequested()
                    $target = $http.GetStringAsync("http://$endpoint/json/list", $deadline.Token).GetAwaiter().GetResult() | ConvertFrom-Json |
                        Where-Object { $_.type -eq 'page' -and $_.url -like 'file://*' } | Select-Object -First 1
                }
                $null = $socket.ConnectAsync([uri]$target.webSocketDebuggerUrl, $deadline.Token).GetAwaiter().GetResult()
                $wait = 'new Promise(function (done) { function seen() { if (document.body && document.body.getAttribute("data-ready") === "true") ' +
                    '{ done(document.documentElement.outerHTML); return true; } return false; } ' +
                    'if (!seen()) new MutationObserver(seen).observe(document, { attributes: true, childList: true, subtree: true }); })'
                for ($id = 1; ; $id++) {
                    # A page still loading may lose the context the promise ran in: then ask again.
                    $ask = @{ id = $id; method = 'Runtime.evaluate'; params = @{ expression = $wait; awaitPromise = $true; returnByValue = $true } } | ConvertTo-Json -Compress
                    $null = $socket.SendAsync([ArraySegment[byte]][Text.Encoding]::UTF8.GetBytes($ask), 'Text', $true, $deadline.Token).GetAwaiter().GetResult()
                    $reply = $null
                    while (-not $reply -or $reply.id -ne $id) {
                        $text = [IO.MemoryStream]::new(); $buffer = [byte[]]::new(65536)
                        do {
                            $got = $socket.ReceiveAsync([ArraySegment[byte]]$buffer, $deadline.Token).GetAwaiter().GetResult()
                            $text.Write($buffer, 0, $got.Count)
                        } until ($got.EndOfMessage)
                        $reply = [Text.Encoding]::UTF8.GetString($text.ToArray()) | ConvertFrom-Json
                    }
                    if ($reply.result.result.type -eq 'string') { return $reply.result.result.value }
                }
            }
            catch [OperationCanceledException] { throw "the viewer did not say data-ready within 180 s ($Hash)" }
            finally {
                $socket.Dispose(); $deadline.Dispose()
                if (-not $browser.HasExited) { $browser.Kill($true) }
                $browser.WaitForExit()
            }
        }
        # A browser that crashed or closed its page (not one that was slow) is started again, twice at most.
        $script:Browse = {
            param([string] $Page, [string] $Hash)
            foreach ($attempt in 1..3) {
                try { return & $BrowseOnce $Page $Hash }
                catch { if ($attempt -eq 3 -or $_.Exception.Message -like '*did not say data-ready*') { throw }; Write-Warning "chromium, attempt $attempt`: $_" }
            }
        }
        # Each probe the page read: its place and the colour drawn there.
        $script:Probes = {
            param([string] $Dom)
            [regex]::Match($Dom, 'id="probe"[^>]*>([^<]+)<').Groups[1].Value -split ';' | ForEach-Object {
                $x, $y, $r, $g, $b = $_ -split ','
                [pscustomobject]@{ X = [int]$x; Y = [int]$y; R = [int]$r; G = [int]$g; B = [int]$b }
            }
        }
    }

    It 'shows the slide with its heatmap as a layer, the opacity slider, the outlines, and a tile''s prediction on a click' {
        $chromium | Should -Not -BeNullOrEmpty -Because 'the viewer is checked in Debian''s headless chromium (.ci/run installs it)'
        $h = $viewerRows | New-SlideHeatmap $slide -TileExtent 512 -Threshold 0.5 -OutputPath (Join-Path $root 'viewer-heat.png') -MaxSize 600
        $a = $viewerRows | Measure-SlideAgreement $slide -TileExtent 512 -Annotation $annotation -MaxSize 600
        $report = Join-Path $root 'viewer-report'
        $index = @($h) + @($a) | Export-HeatmapReport $report -SlideViewerSize 3000
        $html = Get-Content $index.FullName -Raw
        $html | Should -Match '<h2>Slide viewers \(1\)</h2>'
        $html | Should -Match 'href="slide1\.html"'
        $page = Join-Path $report 'slide1.html'
        $viewer = Get-Content $page -Raw
        # OpenSeadragon and every tile are the report's own files: nothing is fetched from elsewhere.
        $viewer | Should -Not -Match '(?:src|href)="(?:https?:)?//'
        Get-Content (Join-Path $report 'files/openseadragon/openseadragon.min.js') -TotalCount 1 | Should -Match 'openseadragon 6\.'
        # Deep Zoom's pyramid of a 3000 x 2000 image: levels 0..12, level k halved (rounding up) 12 - k times, 254-pixel tiles.
        foreach ($name in 'slide', 'heatmap') {
            ([xml](Get-Content (Join-Path $report "files/deepzoom/1/$name.dzi") -Raw)).Image.Size.Width | Should -Be 3000
            foreach ($level in 0..12) {
                $w = [math]::Ceiling(3000 / [math]::Pow(2, 12 - $level)); $ht = [math]::Ceiling(2000 / [math]::Pow(2, 12 - $level))
                @(Get-ChildItem (Join-Path $report "files/deepzoom/1/${name}_files/$level")).Count |
                    Should -Be ([math]::Ceiling($w / 254) * [math]::Ceiling($ht / 254)) -Because "$name level $level"
            }
        }

        # The first tile's centre and the tile at 0's centre, as drawn with the heatmap fully opaque and then hidden.
        $dom = & $Browse $page 'opacity=100&select=3100,1500&probe=3256,1656;1256,2256'
        $dom | Should -Match 'data-ready="true"' -Because 'the viewer drew the slide and its heatmap layer'
        $dom | Should -Match 'id="info">Tile at x=3000, y=1400 \(side 512\): probability 1\.0000<'
        $hot, $cold = & $Probes $dom
        # Jet's dark red at probability 1, its dark blue at 0.
        $hot.R | Should -BeGreaterThan 100; $hot.G | Should -BeLessThan 60; $hot.B | Should -BeLessThan 60
        $cold.B | Should -BeGreaterThan 100; $cold.R | Should -BeLessThan 60
        # The slider at 0 shows the tissue under the tile, not the blue.
        $clear = & $Browse $page 'opacity=0&probe=1256,2256'
        $clear | Should -Match 'data-ready="true"'
        $under = & $Probes $clear
        ($under.B - $under.R) | Should -BeLessThan 40
        $under.R | Should -BeGreaterThan 100 -Because 'the tissue is drawn there'
        # The annotation's outline over the slide, in level-0 pixels (traced at 4096 pixels across: within 3 of its edges).
        $points = [regex]::Match($dom, '<polygon class="annotation" points="([^"]+)"').Groups[1].Value.Trim() -split ' ' | ForEach-Object { , [double[]]($_ -split ',') }
        ($points | ForEach-Object { $_[0] } | Measure-Object -Minimum -Maximum) | ForEach-Object { [math]::Abs($_.Minimum - 2900) | Should -BeLessThan 3; [math]::Abs($_.Maximum - 4100) | Should -BeLessThan 3 }
        ($points | ForEach-Object { $_[1] } | Measure-Object -Minimum -Maximum) | ForEach-Object { [math]::Abs($_.Minimum - 1300) | Should -BeLessThan 3; [math]::Abs($_.Maximum - 2000) | Should -BeLessThan 3 }
        # A click off every outlined tile says so: the tile at 0 is below the threshold.
        & $Browse $page 'select=1256,2256' | Should -Match 'id="info">No outlined tile at x=1256, y=2256\.<'
    }

    It 'gives no viewer to a heatmap that came through a file, and refuses to write over a viewer page it did not write' {
        $h = $viewerRows | New-SlideHeatmap $slide -TileExtent 512 -OutputPath (Join-Path $root 'viewer-json.png') -MaxSize 300
        $report = Join-Path $root 'viewer-json-report'
        $html = Get-Content ($h | ConvertTo-Json | ConvertFrom-Json | Export-HeatmapReport $report).FullName -Raw
        $html | Should -Not -Match 'Slide viewers'
        $html | Should -Match 'viewer-json\.png'
        # A page of the user's where the viewer would go.
        $theirs = Join-Path $root 'viewer-theirs'
        New-Item -ItemType Directory $theirs | Out-Null
        Set-Content (Join-Path $theirs 'slide1.html') 'mine'
        { $h | Export-HeatmapReport $theirs -Force -ErrorAction Stop } | Should -Throw -ErrorId 'ReportFolderNotOurs*'
        Get-Content (Join-Path $theirs 'slide1.html') | Should -Be 'mine'
    }
}
