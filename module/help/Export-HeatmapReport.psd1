@{
    Name        = 'Export-HeatmapReport'
    Synopsis    = 'Writes whatever the pipeline produced as an offline HTML report folder: a sortable table per kind of result, images as thumbnails linked to the full files.'
    Description = @'
Export-HeatmapReport collects the objects piped to it (predictions, maps, patient grids and montages, slide heatmaps, faithfulness, sanity and comparison results, anything else) and writes a folder: index.html with one table per kind of result (its scalar properties as columns, sorted by a click on a header; numbers sort as numbers), every property that names an image file shown as a thumbnail linked to the full image, and the run's facts (module version, date, models, each weights file with its SHA-256). A table of more than 500 rows shows the first 500 and links the rest, on pages of their own (each sortable by itself). The images are copied into files/ (numbered, so no input name reaches a file name) with a thumbnail each in thumbs/, loaded lazily; links are relative, so the folder can be moved or zipped. It is plain HTML with one small inline script: no CDN, no network. Every text from the inputs (file names, patient ids, labels) is HTML-escaped. An existing index.html is not overwritten without -Force (OutputExists).
'@
    Inputs      = @('System.Management.Automation.PSObject')
    Outputs     = @('System.IO.FileInfo')
    Parameters  = @{
        InputObject = 'The results to report; bound from the pipeline.'
        OutputPath  = 'The report folder (created if missing); index.html is written in it.'
        Title       = 'The report''s title. Default "HeatmapTools report".'
        Force       = 'Overwrite an existing report in the folder.'
    }
    Examples    = @(
        @{ Code = 'Get-ClassPrediction *.png -Model squeezenet1_1 | New-CamHeatmap | Export-HeatmapReport report'; Remarks = 'The maps of every photo, with their overlays as thumbnails, in report/index.html.' }
        @{ Code = '$p = Get-ClassPrediction *.png -Model squeezenet1_1; $m = $p | New-CamHeatmap -OutputPath maps/{name}.png; @($p) + @($m) | Export-HeatmapReport report -Title "Nightly run" -Force'; Remarks = 'Predictions and maps side by side in one report, one table each.' }
    )
    Links       = @('New-CamHeatmap', 'about_HeatmapTools')
}
