@{
    Name        = 'Get-SlideInfo'
    Synopsis    = 'Shows what OpenSlide says of a whole-slide image: vendor, size, pyramid levels, microns per pixel and every property.'
    Description = 'Get-SlideInfo opens each slide through OpenSlide (Debian''s libopenslide0; SlideReaderMissing without it) and returns its vendor, level-0 size, pyramid levels (size and downsample of each), microns per pixel (openslide.mpp-x and -y, or a generic TIFF''s resolution tags) and every property OpenSlide reports. A file OpenSlide cannot read is an error for that file (SlideUnreadable); the other slides go on.'
    Inputs      = @('System.String', 'System.IO.FileInfo')
    Outputs     = @('HeatmapTools.SlideInfo')
    Parameters  = @{
        Path        = 'Slides to describe. Wildcards are expanded.'
        LiteralPath = 'Slides, taken exactly as written. Get-ChildItem output binds here.'
        Shard       = 'This task''s share of the slides, k/N or Auto (a Slurm array task''s or Kubernetes indexed Job''s place among its tasks), by each slide''s full path (or its path below -ShardRoot): N tasks split a folder of slides without coordinating.'
        ShardCount  = 'With -Shard Auto in a Kubernetes indexed Job: the number of tasks, when HEATMAPTOOLS_SHARD_COUNT is not set.'
        ShardRoot   = 'The shared folder as this node mounts it: with -Shard, slides are keyed by their path below it.'
    }
    Examples    = @(
        @{ Code = 'Get-SlideInfo slide.tiff | Select-Object Vendor, Width, Height, MppX, Levels'; Remarks = 'The slide''s size, resolution and pyramid.' }
        @{ Code = '(Get-SlideInfo slide.tiff).Properties[''tiff.ResolutionUnit'']'; Remarks = 'One property OpenSlide reports, by name.' }
    )
    Links       = @('Get-SlideTile', 'about_HeatmapTools')
}
