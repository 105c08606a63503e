# Issue 20, from the user's side: commands that used to give wrong or missing output without a word.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $root = Join-Path ([IO.Path]::GetTempPath()) ("hmt-silent-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $root | Out-Null
}
AfterAll { Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'A folder tree into one output folder' {
    BeforeAll {
        # 18 photos in three folders, every file name repeated in each folder.
        $tree = Join-Path $root 'tree'
        foreach ($sub in 'ward1', 'ward2', 'ward2/late') {
            $dir = New-Item -ItemType Directory (Join-Path $tree $sub) -Force
            $i = 0
            foreach ($photo in Get-ChildItem $Images -Filter *.png) { foreach ($copy in 1, 2) { Copy-Item $photo.FullName (Join-Path $dir "scan$i.png"); $i++ } }
        }
    }

    It 'keeps every overlay, each below the output folder where its source lies below the inputs'' common folder' {
        Push-Location $tree
        try {
            $results = @(Get-ChildItem -Recurse *.png | New-CamHeatmap -Model squeezenet1_1 -OutputPath ./cams -BatchSize 4 -ErrorVariable failed -ErrorAction SilentlyContinue)
        }
        finally { Pop-Location }
        $failed | Should -BeNullOrEmpty
        $results.Count | Should -Be 18
        $written = Get-ChildItem (Join-Path $tree 'cams') -Recurse -File | ForEach-Object { [IO.Path]::GetRelativePath((Join-Path $tree 'cams'), $_.FullName) -replace '\\', '/' }
        $expected = Get-ChildItem $tree -Recurse -Filter *.png | Where-Object FullName -notlike '*cams*' |
            ForEach-Object { ([IO.Path]::GetRelativePath($tree, $_.FullName) -replace '\\', '/') -replace '\.png$', '_cam.png' }
        ($written | Sort-Object) | Should -Be ($expected | Sort-Object)
        foreach ($r in $results) { [IO.Path]::GetRelativePath((Join-Path $tree 'cams'), $r.OutputPath) -replace '_cam\.png$', '.png' | Should -Be ([IO.Path]::GetRelativePath($tree, $r.SourcePath)) }
    }

    It 'fills tokens in folder parts and knows {dir} and {relpath}' {
        $out = Join-Path $root 'by-label'
        $results = @(Get-ChildItem (Join-Path $tree 'ward1') -Filter scan0.png | New-CamHeatmap -Model squeezenet1_1 -OutputPath "$out/{label}/{name}.png")
        $results[0].OutputPath | Should -Be (Join-Path $out "$($results[0].Label)/scan0.png")
        Test-Path $results[0].OutputPath | Should -BeTrue
        Test-Path (Join-Path $out '{label}') | Should -BeFalse

        $flat = Join-Path $root 'flat'
        $results = @(Get-ChildItem $tree -Recurse -Filter scan1.png | New-CamHeatmap -Model squeezenet1_1 -OutputPath "$flat/{dir}/x_{name}.png")
        ($results.OutputPath | Sort-Object) | Should -Be (@('ward1', 'ward2', 'ward2/late') | ForEach-Object { Join-Path $flat "$_/x_scan1.png" } | Sort-Object)
        $results = @(Get-ChildItem $tree -Recurse -Filter scan1.png | New-CamHeatmap -Model squeezenet1_1 -OutputPath "$flat/{relpath}.{method}.png")
        ($results.OutputPath | Sort-Object) | Should -Be (@('ward1', 'ward2', 'ward2/late') | ForEach-Object { Join-Path $flat "$_/scan1.GradCAM.png" } | Sort-Object)
    }

    It 'still refuses a template that gives two inputs one name' {
        $null = Get-ChildItem $tree -Recurse -Filter scan2.png | New-CamHeatmap -Model squeezenet1_1 -OutputPath "$root/same/{name}.png" -ErrorVariable e -ErrorAction SilentlyContinue
        @($e | Where-Object FullyQualifiedErrorId -like 'OutputNameRepeated*').Count | Should -Be 2
        @(Get-ChildItem "$root/same").Count | Should -Be 1
    }
}
