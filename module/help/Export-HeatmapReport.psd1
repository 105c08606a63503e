@{
    Name        = 'Export-HeatmapReport'
    Synopsis    = 'Writes whatever the pipeline produced as an offline HTML report folder: a sortable table per kind of result, images as thumbnails linked to the full files.'
    Description = @'
Export-HeatmapReport collects the objects piped to it (predictions, maps, patient grids and montages, slide heatmaps, faithfulness, sanity and comparison results, anything else) and writes a folder: index.html with one table per kind of result (its scalar properties as columns, sorted by a click on a header; numbers sort as numbers), every property that names an image file shown as a thumbnail linked to the full image, and the run's facts (module version, date, models, each weights file with its SHA-256). A table of more than 500 rows shows the first 500 and links the rest, on pages of their own (each sortable by itself). The images are copied into files/ (numbered, so no input name reaches a file name) with a thumbnail each in thumbs/, loaded lazily; links are relative, so the folder can be moved or zipped. It is plain HTML with one small inline script: no CDN, no network. Every text from the inputs (file names, patient ids, labels) is HTML-escaped. An existing index.html is not overwritten without -Force (OutputExists).

Results that are pictures first (CamHeatmap, PatientGrid, PatientMontage) are laid out as a gallery: a card per result with its images and its values beneath, instead of table rows.

A New-SlideHeatmap result made in the same session gets a deep-zoom viewer page of its own (slide1.html, ...), listed first in index.html with the slide's preview: OpenSeadragon (6.1.1, from the npm registry, copied into files/openseadragon, offline) shows the slide as a deep-zoom image with the heatmap as a second layer (painted from the tiles as New-SlideHeatmap painted them, transparent where no tile lies), an opacity slider, the tiles at or above -Threshold outlined, and, when a Measure-SlideAgreement result of the same slide is piped too, its annotation outlined in green. A click on a tile shows its prediction (position, side, probability, true class). Deep-zoom tiles are written into files/deepzoom/<n>/ from the slide (through OpenSlide) and from the tiles, one tile at a time; -SlideViewerSize caps the deep-zoom image's longer side (default 16384 pixels, 0 for the slide's full resolution). The page works opened from disk: its tile sources are inline, nothing is fetched but the report's own files. A heatmap piped through a file (CSV, JSON) has no tiles left to paint and is shown by its image only.
'@
    Inputs      = @('System.Management.Automation.PSObject')
    Outputs     = @('System.IO.FileInfo')
    Parameters  = @{
        InputObject = 'The results to report; bound from the pipeline.'
        OutputPath  = 'The report folder (created if missing); index.html is written in it.'
        Title       = 'The report''s title. Default "HeatmapTools report".'
        Force       = 'Overwrite an existing report in the folder.'
        SlideViewerSize = 'The longer side, in pixels, of each slide viewer''s deep-zoom image; 0 takes the slide''s full resolution. Default 16384.'
    }
    Examples    = @(
        @{ Code = 'Get-ClassPrediction *.png -Model squeezenet1_1 | New-CamHeatmap | Export-HeatmapReport report'; Remarks = 'The maps of every photo, with their overlays as thumbnails, in report/index.html.' }
        @{ Code = '$p = Get-ClassPrediction *.png -Model squeezenet1_1; $m = $p | New-CamHeatmap -OutputPath maps/{name}.png; @($p) + @($m) | Export-HeatmapReport report -Title "Nightly run" -Force'; Remarks = 'Predictions and maps side by side in one report, one table each.' }
        @{ Code = '$h = [pscustomobject]@{ X = 3000; Y = 1400; Probability = 0.9 } | New-SlideHeatmap slide.tiff -TileExtent 512 -Threshold 0.5 -OutputPath heat.png -Force; $h | Export-HeatmapReport slide-report -SlideViewerSize 2048 -Force'; Remarks = 'The slide in a deep-zoom viewer (slide-report/slide1.html) with its heatmap as a layer and the tile above 0.5 outlined.' }
    )
    Links       = @('New-CamHeatmap', 'about_HeatmapTools')
}
