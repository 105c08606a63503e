@{
    Name        = 'Get-SlideTile'
    Synopsis    = 'Finds the tissue on a whole-slide image and lays a tile grid over it; each tile is a region the image cmdlets read from the slide.'
    Description = @'
Get-SlideTile opens each slide through OpenSlide (Debian's libopenslide0: Aperio .svs, Hamamatsu .ndpi, MIRAX, Leica, Philips, generic pyramidal TIFF; without the library it says which package to install, SlideReaderMissing). It reads a thumbnail chunk by chunk (never a whole level), finds tissue on it as TIAToolbox and CLAM do (Otsu's threshold on the median-blurred saturation, or -TissueThreshold), and lays a grid of -TileSize pixels at -Level (or at the level -Mpp asks for) with -Overlap over the slide, keeping tiles whose tissue share reaches -MinTissue.

Each tile is an object with its place in level-0 pixels (X, Y, Extent), level, size, downsample, microns per pixel and tissue share. Its Path names the region (<slide>.tiles/<name>_L<level>_x<X>_y<Y>_s<size>.png, a file that is never written): Get-ClassPrediction and New-CamHeatmap read that region from the slide, so tiles stream through them within the memory budget, and their results carry the tile's place on to New-SlideHeatmap. With -OutputPath each tile is also written as a PNG file for other tools.
'@
    Inputs      = @('System.String', 'System.IO.FileInfo')
    Outputs     = @('HeatmapTools.SlideTile')
    Parameters  = @{
        Path            = 'Slides to tile. Wildcards are expanded.'
        LiteralPath     = 'Slides, taken exactly as written. Get-ChildItem output binds here.'
        Shard       = 'This task''s share of the slides, k/N or Auto (a Slurm array task''s or Kubernetes indexed Job''s place among its tasks), by each slide''s full path (or its path below -ShardRoot): N tasks split a folder of slides without coordinating.'
        ShardCount  = 'With -Shard Auto in a Kubernetes indexed Job: the number of tasks, when HEATMAPTOOLS_SHARD_COUNT is not set.'
        ShardRoot   = 'The shared folder as this node mounts it: with -Shard, slides are keyed by their path below it.'
        TileSize        = 'The side of a tile in pixels of the level it is read at. Default 256.'
        Level           = 'The pyramid level tiles are read at (0 is full resolution). Default 0, or the level -Mpp picks.'
        Mpp             = 'Microns per pixel wanted: tiles are read at the coarsest level at least this fine (the slide''s openslide.mpp-x, or a generic TIFF''s resolution tags). A slide that does not say its resolution is refused (SlideRegionInvalid).'
        SlideMpp        = 'The slide''s own microns per pixel at level 0, for a slide that does not say it or says one no scanner gives (outside 0.02..100, such as the 353 a TIFF written at 72 dpi states; such a value is warned about and not used). -Mpp needs one or the other.'
        Overlap         = 'Pixels (at the level read) that neighbouring tiles share. Default 0.'
        TissueThreshold = 'The saturation (0-255) above which a thumbnail pixel is tissue. Default: Otsu''s threshold of the slide.'
        MinTissue       = 'The smallest share of a tile that must be tissue for the tile to be kept (0 keeps every tile). Default 0.25.'
        OutputPath      = 'A folder to write each tile into as a PNG file named like its Path; the File property gives it.'
        Force           = 'With -OutputPath, overwrite tiles that exist.'
        StainNormalization= 'Tiles written with -OutputPath are brought to the stain of -StainTarget first (Macenko, Reinhard, Ruifrok, Vahadane or Custom); every tile carries the setting, so a model cmdlet it is piped into normalises the tile it reads from the slide alike. A tile without tissue is its StainNoTissue error and is not handed on.'
        StainTarget     = 'The reference tile whose stain the tiles are brought to.'
        StainMatrix     = 'With -StainNormalization Custom: the stains'' optical density in R, G, B, haematoxylin first (6 or 9 numbers).'
        Annotation      = 'The slide''s annotation (QuPath GeoJSON in level-0 pixels, or a mask image of the slide''s proportions): each tile''s Target is 1 when its centre lies in it, else 0, and tiles written with -OutputPath are named as Kaggle IDC patches (<slide>_idx5_x<X>_y<Y>_class<0|1>.png, X and Y in pixels of the level read, 1-based as IDC''s are), which New-PatientPatchGrid -PatchSize <TileSize> rebuilds.'
        AnnotationClass = 'With -Annotation, only GeoJSON features of this classification (for example Tumor).'
    }
    Examples    = @(
        @{ Code = 'Get-SlideTile slide.tiff -Level 1 -TileSize 256 | Measure-Object'; Remarks = 'Counts the 256-pixel tiles on tissue at level 1 (half resolution).' }
        @{ Code = 'Get-SlideTile slide.tiff -Level 2 -TileSize 128 | Get-ClassPrediction -Model resnet18 -WeightsPath idc_resnet18.pth -NumClasses 2 | New-SlideHeatmap slide.tiff -OutputPath heatmap.png -Threshold 0.5 -GeoJsonPath tumour.geojson'; Remarks = 'Classifies every tile read from the slide and paints the tumour probability over its thumbnail; tiles at 0.5 or above go to a GeoJSON QuPath imports.' }
    )
    Links       = @('New-SlideHeatmap', 'Get-ClassPrediction', 'about_HeatmapTools')
}
