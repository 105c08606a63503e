@{
    Name        = 'New-SlideHeatmap'
    Synopsis    = 'Paints tile predictions over a whole-slide image''s thumbnail, with contours and a QuPath GeoJSON of the tiles above a threshold.'
    Description = @'
New-SlideHeatmap takes tile predictions (Get-ClassPrediction results of Get-SlideTile tiles, whose Path says where on the slide each tile is; or rows with X, Y in level-0 pixels, a Probability and an Extent, such as Import-Csv of what CLAM or TIAToolbox write) and draws them over a thumbnail of the slide whose longer side is -MaxSize: each tile's square filled with the colormap's colour for its probability (overlapping tiles share their mean), blended at -Alpha, with a colour bar. Squares are placed by the thumbnail's own scale, so they cover exactly the tissue they were read from.

With -Threshold the areas at or above it are outlined, and with -GeoJsonPath the tiles at or above it (detections with their probability) and the outlines (annotations), in level-0 pixels and classified Tumor, are written as a GeoJSON FeatureCollection that QuPath imports (File > Import objects).

With -OmeTiffPath the same values are also written as a tiled, pyramidal OME-TIFF at the slide's level-0 geometry (or -OmeTiffDownsample of it), with the slide's pixel size, which QuPath opens over the slide at full resolution (drag it onto the open slide, or add it to the project and overlay it). The full resolution is the first image, each halving a SubIFD of it (the OME-TIFF pyramid layout), in deflate-compressed 512-pixel tiles. Byte (the default) stores 0 where no tile lies and 1 + round(254 p) elsewhere, so p = (value - 1) / 254; Float stores p as float32 with NaN where no tile lies. With -Labels the value is the tile's class, with CAM maps the map. Each level is painted window by window from the tiles, so a 100,000 x 80,000 slide's pyramid is written in the memory of its thumbnail (docs/benchmarks.md). The heatmap, the GeoJSON and the OME-TIFF are written all or none.

The probability of a Get-ClassPrediction result is its positive class's (-PositiveClass; a two-class head's class 1 by default). A row that says nothing of where it is, a tile of another slide, a probability outside 0..1 or a tile outside the slide is an error naming it (SlideRegionInvalid); outputs are written atomically and never over an existing file without -Force.
'@
    Inputs      = @('HeatmapTools.ClassPrediction', 'System.Management.Automation.PSObject')
    Outputs     = @('HeatmapTools.SlideHeatmap')
    Parameters  = @{
        Slide              = 'The slide the tiles come from.'
        Path               = 'A tile''s path as Get-SlideTile names it; bound from piped results (a New-CamHeatmap result''s SourcePath).'
        X                  = 'A tile''s left edge in level-0 pixels (rows without a tile path).'
        Y                  = 'A tile''s top edge in level-0 pixels.'
        Extent             = 'A tile''s side in level-0 pixels; -TileExtent when rows do not give it.'
        Probability        = 'A row''s probability (0 to 1); bound from piped rows.'
        Map                = 'A New-CamHeatmap result''s map (bound from piped results of Get-SlideTile tiles, whose SourcePath says where each is): its tile is painted with the map resized to its square, the CAM mosaic; the map''s peak counts as its probability for -Threshold.'
        InputObject        = 'The piped object itself. A New-CamHeatmap result that arrives without its map (passed through ConvertTo-Json, Export-Clixml or remoting from another process) has its map made again from its tile with what it names (model, weights, method, layer, class, target, every preprocessing and attribution setting); a Sum map or a detector''s cannot be, and is that row''s error (TargetNotApplicable).'
        Target             = 'A tile''s true class, 0 or 1 (Get-SlideTile -Annotation gives it; an IDC table''s target column); bound from piped rows. With -Labels it is what is painted.'
        Labels             = 'Paint each tile''s true class (its Target: tumour red, other tissue pink, as the patient grids do) instead of its probability; a row without one is SlideRegionInvalid.'
        ClassProbabilities = 'A Get-ClassPrediction result''s probabilities; the positive class''s is painted.'
        PositiveClass      = 'Which class is positive (an index or a label); a two-class head''s class 1 by default.'
        TileExtent         = 'The tile side in level-0 pixels for rows without an Extent.'
        OutputPath         = 'The heatmap image to write (.png or .jpg).'
        MaxSize            = 'The longer side of the thumbnail in pixels. Default 2048.'
        Colormap           = 'The colormap of the probabilities (OpenCV''s names). Default jet.'
        Alpha              = 'How strongly the colours cover the thumbnail (0 to 1). Default 0.5.'
        Threshold          = 'Outline the areas at or above this probability and count the tiles there (TilesAbove).'
        GeoJsonPath        = 'Write the tiles at or above -Threshold and the outlines as QuPath GeoJSON here (needs -Threshold: ThresholdRequired).'
        OmeTiffPath        = 'Also write the values as a tiled, pyramidal OME-TIFF here (.ome.tif), at the slide''s level-0 geometry, for QuPath.'
        OmeTiffDownsample  = 'Level-0 pixels per OME-TIFF pixel at its full resolution (1 to 4096). Default 1: the slide''s own size.'
        OmeTiffSampleType  = 'Byte (0 no tile, else p = (value - 1) / 254) or Float (float32 p, NaN no tile). Default Byte.'
        RecordPath         = 'A JSON Lines task record to append the slide to: Done with its heatmap, GeoJSON and OME-TIFF and its tile counts, or Failed with the ErrorId (a stop leaves it unrecorded). A file that is not such a record is refused (RecordFileNotOurs). Give each task of a scheduler array its own file and gather them with Get-HeatmapRunRecord (examples/slurm/slide-array.sbatch).'
        Force              = 'Overwrite existing outputs.'
    }
    Examples    = @(
        @{ Code = 'Get-SlideTile slide.tiff -Level 2 -TileSize 128 | Get-ClassPrediction -Model resnet18 -WeightsPath idc_resnet18.pth -NumClasses 2 | New-SlideHeatmap slide.tiff -OutputPath heatmap.png -Threshold 0.5 -GeoJsonPath tumour.geojson'; Remarks = 'The whole pipeline: tiles read from the slide, classified, painted; the tumour tiles exported for QuPath.' }
        @{ Code = 'Get-SlideTile slide.tiff -Level 2 -TileSize 128 | New-CamHeatmap -Model resnet18 -WeightsPath idc_resnet18.pth -NumClasses 2 -ClassIndex 1 -NoOverlay -OutputPath cam/{name}.png | New-SlideHeatmap slide.tiff -OutputPath cam_mosaic.png'; Remarks = 'The CAM mosaic: where inside each tile the model finds tumour, every tile''s map in its place on the slide.' }
        @{ Code = '[pscustomobject]@{ X = 3000; Y = 1400; Probability = 0.9 } | New-SlideHeatmap slide.tiff -TileExtent 512 -OutputPath heatmap.png'; Remarks = 'Rows from elsewhere (Import-Csv of a CLAM or TIAToolbox table): level-0 coordinates, a probability and the tile side.' }
        @{ Code = 'Get-SlideTile slide.tiff -TileSize 256 | Get-ClassPrediction -Model resnet18 -WeightsPath idc_resnet18.pth -NumClasses 2 | New-SlideHeatmap slide.tiff -OutputPath heatmap.png -OmeTiffPath heatmap.ome.tif'; Remarks = 'The probabilities as a full-resolution OME-TIFF pyramid beside the thumbnail: open the slide in QuPath and add heatmap.ome.tif over it.' }
    )
    Links       = @('Get-SlideTile', 'Get-ClassPrediction', 'about_HeatmapTools')
}
