BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:folder = New-TestFolder
    # A user's file name is user data: this one would run a script if it reached the page unescaped.
    $script:hostile = Join-Path $folder '<img src=x onerror=alert(1)> & "co".png'
    Copy-Item (Join-Path $folder 'chelsea.png') $hostile
}
AfterAll { Remove-Item $folder -Recurse -Force }

Describe 'Export-HeatmapReport' {
    It 'writes every result, escapes input text, and every image and link resolves inside the folder' {
        $photos = Get-ChildItem $folder -Filter *.png
        $predictions = $photos | Get-ClassPrediction -Model squeezenet1_1
        $maps = $predictions | New-CamHeatmap -OutputPath (Join-Path $folder 'maps/{name}.png')
        $report = Join-Path $folder 'report'
        $index = @($predictions) + @($maps) | Export-HeatmapReport $report -Title 'Run <1>'
        $index.Name | Should -Be 'index.html'
        $html = Get-Content $index.FullName -Raw
        # A table for the predictions, a row each; the maps, pictures first, as a gallery: a card each with its overlay and values.
        ([regex]::Matches($html, '<table')).Count | Should -Be 1
        ([regex]::Matches($html, '<tr>')).Count | Should -Be (1 + $predictions.Count)
        $cards = [regex]::Matches($html, '<figure>(.*?)</figure>', 'Singleline')
        $cards.Count | Should -Be $maps.Count
        foreach ($card in $cards) {
            $card.Groups[1].Value | Should -Match '<img loading="lazy" src="thumbs/'
            $card.Groups[1].Value | Should -Match '<b>ClassIndex</b> \d+<br>'
        }
        [regex]::Matches($html, '<h2>[^<]*</h2>').Value -join ' ' | Should -Be '<h2>ClassPrediction (4)</h2> <h2>CamHeatmap (4)</h2>'
        $html | Should -Match 'CamHeatmap \(4\)'
        $html | Should -Not -Match '<img src=x'
        $html | Should -Match '&lt;img src=x onerror=alert\(1\)&gt; &amp; &quot;co&quot;\.png'
        $html | Should -Match 'Run &lt;1&gt;'
        $html | Should -Match 'squeezenet1_1'
        $html | Should -Match 'SHA-256 [0-9a-f]{64}'
        $html | Should -Match '<dt>Method</dt><dd>GradCAM</dd>'
        $html | Should -Match '<dt>Layer</dt><dd>features\.12</dd>'
        # Every link and image is a file of the report folder; nothing is fetched from elsewhere.
        $refs = [regex]::Matches($html, '(?:href|src)="([^"]+)"') | ForEach-Object { $_.Groups[1].Value }
        $refs.Count | Should -BeGreaterThan 8
        foreach ($ref in $refs) {
            $ref | Should -Not -Match '^(https?:|//|/)'
            Test-Path (Join-Path $report $ref) | Should -BeTrue -Because "$ref is linked"
        }
        # The overlays' thumbnails are images; the page sorts its tables with its own script.
        Invoke-TestData size (Join-Path $report ($refs | Where-Object { $_ -like 'thumbs/*' } | Select-Object -First 1)) | Should -Match '^160x|x160$'
        $html | Should -Match 'function sortTable'
        $html | Should -Match 'data-sort="0\.\d+'
        { @($predictions) | Export-HeatmapReport $report -ErrorAction Stop } | Should -Throw -ErrorId 'OutputExists*'
    }

    It 'shows every result it can when one image cannot be shown, and names that one in its error' {
        $photos = (Get-ChildItem $folder -Filter *.png | Where-Object Name -in 'chelsea.png', 'coffee.png').FullName
        $maps = New-CamHeatmap -LiteralPath $photos -Model squeezenet1_1 -OutputPath (Join-Path $folder 'broken-maps/{name}.png')
        # The coffee overlay is damaged after it was written: the report cannot show it, and says so.
        $damaged = ($maps | Where-Object { $_.SourcePath -like '*coffee.png' }).OutputPath
        [IO.File]::WriteAllBytes($damaged, [byte[]](0x89, 0x50, 0x4e, 0x47, 1, 2, 3))
        $report = Join-Path $folder 'report-damaged'
        $index = $maps | Export-HeatmapReport $report -ErrorVariable bad -ErrorAction SilentlyContinue
        $index.Name | Should -Be 'index.html'
        @($bad).Count | Should -Be 1
        $bad[0].FullyQualifiedErrorId | Should -BeLike 'ImageUnreadable*'
        $bad[0].TargetObject | Should -Be $damaged
        $html = Get-Content $index.FullName -Raw
        ([regex]::Matches($html, '<figure>')).Count | Should -Be 2
        $html | Should -Match '\(coffee\.png not shown\)'
        ([regex]::Matches($html, 'src="thumbs/')).Count | Should -BeGreaterThan 0
        { $maps | Export-HeatmapReport (Join-Path $folder 'report-damaged-stop') -ErrorAction Stop } | Should -Throw -ErrorId 'ImageUnreadable*'
    }

    It 'never writes over a file it did not write, and a -Force rerun removes only its own stale files' {
        $photos = @(Get-ChildItem $folder -Filter *.png | Where-Object Name -notlike '<*')
        $predictions = $photos | Get-ClassPrediction -Model squeezenet1_1
        # The user's own file where a report puts its first copy.
        $report = Join-Path $folder 'users-folder'
        New-Item -ItemType Directory (Join-Path $report 'files') -Force | Out-Null
        $mine = Join-Path $report 'files/00001.png'
        Set-Content $mine 'my own file'
        $failure = { $predictions | Export-HeatmapReport $report -Force -ErrorAction Stop } | Should -Throw -ErrorId 'ReportFolderNotOurs*' -PassThru
        $failure.Exception.Message | Should -Match ([regex]::Escape('00001.png'))
        Get-Content $mine | Should -Be 'my own file'
        Test-Path (Join-Path $report 'index.html') | Should -BeFalse

        # A report's own folder: a rerun with fewer results removes its stale copies, and leaves the user's other files.
        $own = Join-Path $folder 'own-report'
        $predictions | Export-HeatmapReport $own | Out-Null
        $notes = Join-Path $own 'notes.txt'
        Set-Content $notes 'kept'
        @(Get-ChildItem (Join-Path $own 'files')).Count | Should -Be $photos.Count
        $predictions | Select-Object -First 1 | Export-HeatmapReport $own -Force | Out-Null
        @(Get-ChildItem (Join-Path $own 'files')).Count | Should -Be 1
        @(Get-ChildItem (Join-Path $own 'thumbs')).Count | Should -Be 1
        Get-Content $notes | Should -Be 'kept'
        # A copy the user changed since is theirs now: the next rerun refuses rather than replace it.
        Set-Content (Join-Path $own 'files/00001.png') 'edited'
        { $predictions | Export-HeatmapReport $own -Force -ErrorAction Stop } | Should -Throw -ErrorId 'ReportFolderNotOurs*'
    }

    It 'shows plain values as values and a hashtable as its keys' {
        $report = Join-Path $folder 'plain'
        $html = Get-Content ((@('alpha', 'beta') + @(7, 8) + @(@{ Patient = 'p1'; Tumour = 0.25 })) | Export-HeatmapReport $report).FullName -Raw
        $html | Should -Not -Match '>Length<'
        $html | Should -Not -Match '>IsReadOnly<'
        $html | Should -Match '<td>alpha</td>'
        $html | Should -Match '<td data-sort="7">7</td>'
        $html | Should -Match '>Patient<'
        $html | Should -Match '<td>p1</td>'
    }

    It 'renders in a real browser: not blank, and its tables sort' {
        $chromium = Get-Command chromium -ErrorAction SilentlyContinue
        $chromium | Should -Not -BeNullOrEmpty -Because 'the report is checked in Debian''s headless chromium (.ci/run installs it)'
        $photos = Get-ChildItem $folder -Filter *.png | Where-Object Name -notlike '<*'
        $report = Join-Path $folder 'browser'
        $photos | Get-ClassPrediction -Model squeezenet1_1 | Export-HeatmapReport $report | Out-Null
        $page = 'file://' + (Join-Path $report 'index.html')
        $shot = Join-Path $folder 'screenshot.png'
        $browser = '--headless', '--no-sandbox', '--disable-gpu', "--user-data-dir=$(Join-Path $folder 'chromium')"
        $said = & $chromium.Source @browser "--screenshot=$shot" '--window-size=1000,700' $page 2>&1 | Out-String
        Test-Path $shot | Should -BeTrue -Because $said
        # A blank page is white throughout; the report's title, table and thumbnails are not.
        (Invoke-TestData mean $shot 0 0 1000 700) -split ',' | ForEach-Object { [double]$_ } | Measure-Object -Maximum |
            ForEach-Object Maximum | Should -BeLessThan 250
        # The page's own script sorts the table in the browser (index.html#sort=<table>,<column>[,desc]): by ClassIndex, column 2.
        $order = {
            param([string] $hash)
            # A profile of its own per run: a profile still held by the previous browser is refused.
            $userData = "--user-data-dir=$(Join-Path $folder ('chromium-' + [guid]::NewGuid().ToString('N')))"
            $dom = & $chromium.Source '--headless' '--no-sandbox' '--disable-gpu' $userData '--dump-dom' ($page + $hash) 2>$null | Out-String
            $start = $dom.IndexOf('<tbody')
            $start | Should -BeGreaterOrEqual 0 -Because "the browser shows the table ($($dom.Length) characters of DOM)"
            $body = $dom.Substring($start, $dom.IndexOf('</tbody>') - $start)
            [regex]::Matches($body, '<tr>(?:<td[^>]*>.*?</td>){2}<td data-sort="(\d+)"') | ForEach-Object { [int]$_.Groups[1].Value }
        }
        $given = & $order ''
        $ascending = & $order '#sort=0,2'
        $descending = & $order '#sort=0,2,desc'
        $ascending | Should -Be ($given | Sort-Object)
        $descending | Should -Be ($given | Sort-Object -Descending)
        $ascending | Should -Not -Be $given -Because 'the photos were not given in class order, so sorting shows'
    }

    It 'shows each patient''s images as thumbnails in its card' {
        $idc = Join-Path $folder 'idc'
        Invoke-TestData idc $idc 2 12 1 10253 | Out-Null
        $grids = New-PatientPatchGrid -Path $idc -OutputPath (Join-Path $folder 'grids')
        $report = Join-Path $folder 'patients'
        $html = Get-Content ($grids | Export-HeatmapReport $report).FullName -Raw
        $files = @($grids.Files)
        $files.Count | Should -BeGreaterOrEqual 4
        ([regex]::Matches($html, '<img loading="lazy"')).Count | Should -Be $files.Count
        ([regex]::Matches($html, '<figure>')).Count | Should -Be @($grids).Count
        foreach ($f in $files) { $html | Should -Match ([regex]::Escape([IO.Path]::GetFileName($f))) }
    }

    It 'pages a large run: 500 rows a page, the rest on pages of their own' {
        $report = Join-Path $folder 'large'
        $index = 1..1201 | ForEach-Object { [pscustomobject]@{ Item = $_; Score = $_ / 1201 } } | Export-HeatmapReport $report
        $html = Get-Content $index.FullName -Raw
        ([regex]::Matches($html, '<tr>')).Count | Should -Be 501
        $html | Should -Match 'Rows 1-500 of 1201'
        $pages = [regex]::Matches($html, 'href="(table0-page\d\.html)"') | ForEach-Object { $_.Groups[1].Value }
        $pages | Should -Be 'table0-page2.html', 'table0-page3.html'
        ([regex]::Matches((Get-Content (Join-Path $report $pages[0]) -Raw), '<tr>')).Count | Should -Be 501
        $last = Get-Content (Join-Path $report $pages[1]) -Raw
        ([regex]::Matches($last, '<tr>')).Count | Should -Be 202
        $last | Should -Match '<td data-sort="1201">1201</td>'
        $last | Should -Match 'href="index.html"'
    }
}
