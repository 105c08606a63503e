@{
    Name        = 'Measure-SlideAgreement'
    Synopsis    = 'Measures how a slide''s tile predictions agree with the pathologist''s annotation: mass inside, pointing game, Dice, AUROC, right for the wrong region.'
    Description = @'
Measure-SlideAgreement takes the same tile predictions as New-SlideHeatmap (Get-ClassPrediction results of Get-SlideTile tiles, or rows with X, Y, Extent and Probability) and the slide's annotation: QuPath GeoJSON (Polygon and MultiPolygon features in level-0 pixels, holes cut out; -AnnotationClass keeps only features of that classification) or a mask image of the slide's proportions (nonzero is tumour). Both are compared on a raster whose longer side is -MaxSize.

It returns per slide: MassInside (the share of the heatmap's probability mass inside the annotation), PointingGame (whether the most probable tile's centre lies in it; the first such tile in input order when several tie), Dice at -Threshold (the area at or above it against the annotation), Auroc (tile probabilities against tiles whose centre is annotated, ties counted half; null when every tile is one or the other), and RightForWrongRegion: the slide is called positive (a tile reaches -Threshold) and annotated, but the most probable tile misses the annotation or none of the area at or above -Threshold lies inside it. A malformed annotation is AnnotationInvalid.
'@
    Inputs      = @('HeatmapTools.ClassPrediction', 'System.Management.Automation.PSObject')
    Outputs     = @('HeatmapTools.SlideAgreement')
    Parameters  = @{
        Slide              = 'The slide the tiles come from.'
        Annotation         = 'The annotation: a QuPath GeoJSON file (.geojson or .json) in level-0 pixels, or a mask image of the slide''s proportions.'
        AnnotationClass    = 'Only GeoJSON features of this classification (for example Tumor). Default: every polygon.'
        Threshold          = 'The probability at which a tile counts as positive (Dice, PredictedPositive). Default 0.5.'
        MaxSize            = 'The longer side of the raster the figures are computed on. Default 2048.'
        Path               = 'A tile''s path as Get-SlideTile names it; bound from piped results (a New-CamHeatmap result''s SourcePath).'
        X                  = 'A tile''s left edge in level-0 pixels (rows without a tile path).'
        Y                  = 'A tile''s top edge in level-0 pixels.'
        Extent             = 'A tile''s side in level-0 pixels; -TileExtent when rows do not give it.'
        Probability        = 'A row''s probability (0 to 1); bound from piped rows.'
        Map                = 'A New-CamHeatmap result''s map (bound from piped results of Get-SlideTile tiles, whose SourcePath says where each is): its peak counts as the tile''s probability.'
        InputObject        = 'The piped object itself. A New-CamHeatmap result that arrives without its map (passed through ConvertTo-Json, Export-Clixml or remoting from another process) has its map made again from its tile with what it names (model, weights, method, layer, class, target, every preprocessing and attribution setting); a Sum map or a detector''s cannot be, and is that row''s error (TargetNotApplicable).'
        Target             = 'A tile''s true class, 0 or 1 (Get-SlideTile -Annotation gives it; an IDC table''s target column); bound from piped rows. Not used by the figures here, which read the annotation itself.'
        ClassProbabilities = 'A Get-ClassPrediction result''s probabilities; the positive class''s is used.'
        PositiveClass      = 'Which class is positive (an index or a label); a two-class head''s class 1 by default.'
        TileExtent         = 'The tile side in level-0 pixels for rows without an Extent.'
    }
    Examples    = @(
        @{ Code = 'Get-SlideTile slide.tiff -Level 2 -TileSize 128 | Get-ClassPrediction -Model resnet18 -WeightsPath idc_resnet18.pth -NumClasses 2 | Measure-SlideAgreement slide.tiff -Annotation slide.geojson'; Remarks = 'How the model''s tumour probabilities agree with the annotated tumour.' }
        @{ Code = '[pscustomobject]@{ X = 3000; Y = 1400; Probability = 0.9 } | Measure-SlideAgreement slide.tiff -TileExtent 512 -Annotation slide.geojson -AnnotationClass Tumor | Select-Object PointingGame, Dice, RightForWrongRegion'; Remarks = 'Rows from elsewhere, against the Tumor annotations only.' }
    )
    Links       = @('New-SlideHeatmap', 'Get-SlideTile', 'about_HeatmapTools')
}
