using OpenCvSharp;

namespace HeatmapTools.Engine.Slides;

/// <summary>
/// Where a <see cref="Slide"/>'s pixels come from: OpenSlide for the scanners' formats (<see cref="OpenSlideSource"/>),
/// a plain image made into a pyramid once (<see cref="ImageSlideSource"/>). Adding a format (DICOM, say) is adding a
/// source and a line to <see cref="Slide.Open"/>; tiling, thumbnails, heatmaps and the report read every one alike.
/// </summary>
internal interface ISlideSource : IDisposable
{
    IReadOnlyList<SlideLevel> Levels { get; }

    /// <summary>The source's own properties (OpenSlide's vendor keys, a TIFF's tags).</summary>
    IReadOnlyDictionary<string, string> Properties { get; }

    /// <summary>What made the slide: the scanner's format ("aperio", "generic-tiff") or "image".</summary>
    string? Vendor { get; }

    /// <summary>A region in 8-bit BGR over white, corner in level-0 pixels, size in the level's; bounds checked by the caller.</summary>
    Mat ReadRegion(long x, long y, int level, int width, int height);

    /// <summary>Lets go of what the source holds open until its next read (the open-slide cache calls it).</summary>
    void Release();
}
