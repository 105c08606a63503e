using System.Management.Automation;
using HeatmapTools.Engine.Reporting;

namespace HeatmapTools.Commands;

/// <summary>Writes whatever the pipeline produced as an offline HTML report folder: a sortable table per kind of result, images as thumbnails.</summary>
[Cmdlet(VerbsData.Export, "HeatmapReport", SupportsShouldProcess = true)]
[OutputType(typeof(System.IO.FileInfo))]
public sealed class ExportHeatmapReportCommand : HeatmapCommandBase
{
    private static readonly string[] ImageExtensions = { ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp" };
    private readonly List<PSObject> _items = new();

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(Mandatory = true, Position = 0)]
    public string OutputPath { get; set; } = "";

    [Parameter]
    public string Title { get; set; } = "HeatmapTools report";

    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>The longer side of each slide viewer's deep-zoom image; 0 takes the slide's full resolution.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int SlideViewerSize { get; set; } = HtmlReport.DefaultViewerSize;

    /// <summary>Pictures first: a gallery of cards rather than table rows.</summary>
    private static readonly HashSet<string> GalleryKinds = new(StringComparer.Ordinal) { "CamHeatmap", "PatientGrid", "PatientMontage" };

    protected override void ProcessRecord()
    {
        if (InputObject is not null) _items.Add(AsRecord(InputObject));
    }

    /// <summary>
    /// A plain value (a string, a number, a date) is shown as its value, not as its .NET properties (a string's Length);
    /// a hashtable as its keys and values, not as a dictionary's Count and IsReadOnly.
    /// </summary>
    private static PSObject AsRecord(PSObject item)
    {
        object value = item.BaseObject;
        if (value is System.Collections.IDictionary table)
        {
            var record = new PSObject();
            record.TypeNames.Insert(0, "Table");
            foreach (System.Collections.DictionaryEntry entry in table) record.Properties.Add(new PSNoteProperty(entry.Key?.ToString() ?? "", entry.Value));
            return record;
        }
        if (value is string or bool or char or byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal
            or DateTime or DateTimeOffset or TimeSpan or Guid or Enum)
        {
            var record = new PSObject();
            record.TypeNames.Insert(0, value.GetType().Name);
            object shown = value is string or bool or byte or short or int or long or float or double or decimal ? value
                : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
            record.Properties.Add(new PSNoteProperty("Value", shown));
            return record;
        }
        return item;
    }

    protected override void EndProcessing()
    {
        string folder = GetUnresolvedProviderPathFromPSPath(OutputPath);
        if (!ShouldProcess(folder, $"Write a report of {_items.Count} result(s)")) return;
        var sections = _items.GroupBy(i => i.TypeNames.FirstOrDefault() ?? "object")
            .Select(g => Section(g.Key.Split('.').Last().Replace("System.Management.Automation.", ""), g.ToList())).ToList();
        var models = _items.Select(i => i.Properties["Model"]?.Value?.ToString()).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
        var weights = _items.Select(i => i.Properties["WeightsFile"]?.Value?.ToString()).OfType<string>().Where(File.Exists).Distinct().Order(StringComparer.Ordinal).ToList();
        // The settings results carry (as the parameters that made them are named), each with the values used.
        var settings = new[] { "Method", "Layer", "Target", "InputSize", "Resize", "Normalization", "HeadActivation", "Weights" }
            .Select(name => (Name: name, Values: (IReadOnlyList<string>)_items.Select(i => i.Properties[name]?.Value?.ToString()).OfType<string>()
                .Where(v => v.Length > 0).Distinct().Order(StringComparer.Ordinal).ToList()))
            .Where(s => s.Values.Count > 0).ToList();
        var facts = new ReportFacts(Title, MyInvocation.MyCommand.Module?.Version.ToString() ?? "", models, weights, settings);
        // A slide heatmap made in this session carries its tiles: it gets a deep-zoom viewer, outlined by the annotation
        // of a Measure-SlideAgreement result of the same slide when one is piped too.
        var agreements = _items.Select(i => i.BaseObject).OfType<SlideAgreement>().ToList();
        var viewers = _items.Select(i => i.BaseObject).OfType<SlideHeatmap>()
            .Where(h => h.ViewerSource is not null)
            .GroupBy(h => h.Path, StringComparer.Ordinal).Select(g => g.First())
            .Select(h =>
            {
                var input = h.ViewerSource!;
                var agreement = agreements.FirstOrDefault(a => string.Equals(System.IO.Path.GetFullPath(a.Slide), System.IO.Path.GetFullPath(h.Slide), StringComparison.Ordinal));
                return agreement is null ? input : input with { Annotation = agreement.Annotation, AnnotationClass = agreement.AnnotationClass };
            }).ToList();
        var unshown = new System.Collections.Concurrent.ConcurrentQueue<HeatmapToolsException>();
        string index = RunEngine(() => HtmlReport.Write(folder, facts, sections, Force, Cancellation, viewers, SlideViewerSize, unshown.Enqueue));
        // Each item the report could not show is its own error; the report holds everything else.
        foreach (var error in unshown) WriteError(ToErrorRecord(error));
        WriteObject(new FileInfo(index));
    }

    /// <summary>One table per kind of result: its scalar properties as columns; a property naming an image file is shown as its thumbnail.</summary>
    private static ReportSection Section(string title, IReadOnlyList<PSObject> items)
    {
        // Columns by declared type, so a costly property (a CAM result's Map) is never read to be left out.
        var columns = items[0].Properties
            .Where(p => p.IsGettable && p.Name != "PSPath" && Scalar(p))
            .Select(p => p.Name).ToList();
        var rows = items.Select(item =>
        {
            // A detector's boxes are in its photo's pixels: drawn over the photo's thumbnail.
            var boxes = (item.Properties["Detections"]?.Value as DetectionRecord[])?
                .Select(d => new ReportBox(d.Box.X1, d.Box.Y1, d.Box.X2, d.Box.Y2, d.ClassIndex, d.ToString())).ToList();
            return (IReadOnlyList<ReportCell>)columns.Select(name => Cell(item, name, PhotoColumns.Contains(name) ? boxes : null)).ToList();
        }).ToList();
        return new ReportSection(title, columns, rows, GalleryKinds.Contains(title));
    }

    /// <summary>The properties that name the photo a record is of (a prediction's Path, a map's SourcePath).</summary>
    private static readonly HashSet<string> PhotoColumns = new(StringComparer.Ordinal) { "Path", "SourcePath" };

    private static ReportCell Cell(PSObject item, string name, IReadOnlyList<ReportBox>? boxes)
    {
        // Values made in a script (1..10 | ForEach-Object) arrive wrapped: a number is a number.
        object? value = item.Properties[name]?.Value is PSObject wrapped ? wrapped.BaseObject : item.Properties[name]?.Value;
        if (value is string text && IsImage(text))
            return new ReportCell(System.IO.Path.GetFileName(text), null, new[] { text }, boxes);
        // A list of files (a patient grid's images): each image a thumbnail, the names as text.
        if (value is IEnumerable<string> list && value is not string)
        {
            var files = list.ToList();
            return new ReportCell(string.Join("; ", files.Select(System.IO.Path.GetFileName)), null, files.Where(IsImage).ToList());
        }
        return IsNumber(value) ? new ReportCell(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "", Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture))
            : new ReportCell(value?.ToString() ?? "");
    }

    private static bool IsImage(string path) => ImageExtensions.Contains(System.IO.Path.GetExtension(path).ToLowerInvariant()) && File.Exists(path);

    private static readonly string[] ScalarTypes =
        { "System.String", "System.Boolean", "System.Byte", "System.Int16", "System.Int32", "System.Int64", "System.Single", "System.Double", "System.Decimal" };

    private static bool Scalar(PSPropertyInfo property)
    {
        string type = property.TypeNameOfValue;
        // Lists of files (a patient grid's images) are shown; other arrays (maps, rankings) are not columns.
        if (type is "HeatmapTools.TextList" or "System.String[]") return true;
        if (type.EndsWith("[]", StringComparison.Ordinal)) return false;
        if (ScalarTypes.Any(t => type == t || type.StartsWith($"System.Nullable`1[[{t},", StringComparison.Ordinal))) return true;
        // Settings enums (Weights, Verdict, ...) are read to see; other objects (lists, tables) are not columns.
        return type.StartsWith("HeatmapTools.", StringComparison.Ordinal) && property.Value is Enum;
    }

    private static bool IsNumber(object? value) => value is byte or short or int or long or float or double or decimal;
}
