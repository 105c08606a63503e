using System.Collections;
using System.Management.Automation;
using HeatmapTools.Engine.Slides;

namespace HeatmapTools.Commands;

/// <summary>What OpenSlide says of a slide: vendor, size, pyramid levels, microns per pixel and every property.</summary>
[Cmdlet(VerbsCommon.Get, "SlideInfo", DefaultParameterSetName = "Path")]
[OutputType(typeof(SlideInfo))]
public sealed class GetSlideInfoCommand : SlideFilesCommandBase
{
    protected override void ProcessRecord()
    {
        foreach (var file in SlideFiles())
        {
            Slide slide;
            try
            {
                // A slide that cannot be read is this item's error; the other slides go on.
                slide = SlideCache.Get(file);
            }
            catch (HeatmapToolsException ex)
            {
                WriteError(ToErrorRecord(ex));
                continue;
            }
            var properties = new Hashtable(StringComparer.Ordinal);
            foreach (var (name, value) in slide.Properties.OrderBy(p => p.Key, StringComparer.Ordinal)) properties[name] = value;
            WriteObject(new SlideInfo
            {
                Path = slide.Path, Vendor = slide.Vendor, Width = slide.Width, Height = slide.Height, MppX = slide.MppX, MppY = slide.MppY,
                Levels = slide.Levels.Select(l => new SlideInfoLevel { Level = l.Index, Width = l.Width, Height = l.Height, Downsample = l.Downsample }).ToArray(),
                Properties = properties,
            });
        }
    }
}
