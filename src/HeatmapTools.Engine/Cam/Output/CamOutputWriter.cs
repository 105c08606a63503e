using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Native;
using HeatmapTools.Engine.Rendering;
using OpenCvSharp;

namespace HeatmapTools.Engine.Cam.Output;

/// <summary>
/// Writes one map's files: the overlay on the original (or Guided Grad-CAM's pixel picture), the raw map in the chosen
/// format and guided gradients beside it. Its failure is that item's error; the batch goes on.
/// </summary>
internal sealed class CamOutputWriter(OutputNaming naming, ColormapTypes colormap, string askedLayer, ClassLabels labels, CamJobOptions options,
    OutputRegistry? outputs, IRunListener listener, CancellationToken cancellation)
{
    public ItemResult<CamOutput> Write(PreparedImage image, CamResult map, CamMethod method)
    {
        string layer = method.LayerName(askedLayer);
        // A stopped run starts no more files, whichever worker thread this is (those being written finish whole).
        cancellation.ThrowIfCancellationRequested();
        string label = map.Target?.Label(labels) ?? labels[map.ClassIndex].Name;
        try
        {
            // A NaN score or map cannot be drawn honestly.
            if (!float.IsFinite(map.Score) || Array.Exists(map.Map, v => !float.IsFinite(v)))
                throw new HeatmapToolsException(ErrorIds.ScoreNotFinite, ErrorKind.InvalidResult,
                    $"The model's score for class {map.ClassIndex} ({label}) of '{image.Path}' is {map.Score}{(float.IsFinite(map.Score) ? " but its map has non-finite values" : "")}: no {method.Name} map can be drawn. The weights or the input overflow.", image.Path);
            string? overlayPath = null, mapPath = null;
            string target = naming.For(image.Path, map.ClassIndex, label, method.Name, layer, target: map.Target?.NameToken ?? "logit");
            if (!options.NoOverlay || options.MapFormat is not null) outputs?.Claim(target, image.Path);
            var policy = options.Policy;
            if (!options.NoOverlay)
            {
                overlayPath = target;
                // A finished overlay of the set is passed over; its missing map (below) is still written.
                if (policy.PassOver(target, image.Path)) listener.OutputSkipped(image.Path, target);
                else WriteOverlay(image, map, method, target, policy.Overwrite(target, image.Path));
            }
            if (options.MapFormat is { } format)
            {
                mapPath = OutputNaming.MapPathFor(target, format.Extension);
                if (policy.PassOver(mapPath, image.Path)) listener.OutputSkipped(image.Path, mapPath);
                else format.Write(mapPath, map.Map, map.Width, map.Height, policy.Overwrite(mapPath, image.Path));
                string guidedPath = OutputNaming.GuidedPathFor(target);
                if (map.Guided is { } guided)
                {
                    if (policy.PassOver(guidedPath, image.Path)) listener.OutputSkipped(image.Path, guidedPath);
                    else IO.AtomicFile.Write(guidedPath, policy.Overwrite(guidedPath, image.Path), s => IO.Npy.WriteFloat32(s, new[] { 3, map.Height, map.Width }, guided));
                }
                // An attribution's values as computed, at the network input (channels as the network takes them).
                if (map.Attribution is { } attribution)
                {
                    string attributionPath = OutputNaming.AttributionPathFor(target);
                    int channels = attribution.Length / (map.AttributionHeight * map.AttributionWidth);
                    if (policy.PassOver(attributionPath, image.Path)) listener.OutputSkipped(image.Path, attributionPath);
                    else IO.AtomicFile.Write(attributionPath, policy.Overwrite(attributionPath, image.Path),
                        s => IO.Npy.WriteFloat32(s, new[] { channels, map.AttributionHeight, map.AttributionWidth }, attribution));
                }
            }
            return new ItemResult<CamOutput>(image.Path,
                new CamOutput(image.Path, overlayPath, mapPath, method, layer, map.ClassIndex, label, map.Score, map.Map, map.Width, map.Height)
                    { RawMin = map.RawMin, RawMax = map.RawMax, Target = map.Target ?? new Targets.ClassTarget(map.ClassIndex) }, null);
        }
        catch (HeatmapToolsException ex)
        {
            return new ItemResult<CamOutput>(image.Path, null, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or OpenCVException)
        {
            return new ItemResult<CamOutput>(image.Path, null,
                new HeatmapToolsException(ErrorIds.OutputWriteFailed, ErrorKind.WriteError, $"Could not write the heatmap for '{image.Path}': {ex.Message}", image.Path, ex));
        }
    }

    private void WriteOverlay(PreparedImage image, CamResult map, CamMethod method, string path, bool overwrite)
    {
        // An original over the batch's budget was not kept: read it again, for this overlay only.
        MemoryBudget.Lease? reserved = null;
        using var reread = image.Image is null ? ImageReader.ReadBgr(image.Path, MemoryBudget.Shared, 0, CancellationToken.None, out reserved, out _) : null;
        using var held = reserved;
        var original = image.Image ?? reread!;
        cancellation.ThrowIfCancellationRequested();
        // Guided Grad-CAM's picture is the pixel-level product itself, not a colour blend.
        string layer = method.LayerName(askedLayer);
        using var overlay = map.Guided is { } guided
            ? GuidedRenderer.Render(map.Map, guided, map.Width, map.Height, original.Size())
            : OverlayRenderer.Render(original, map.Map, map.Width, map.Height, colormap, options.Alpha);
        // A detector's map is read with the boxes it explains.
        if (map.Target is Targets.BoxTarget boxes)
            BoxDrawing.Draw(overlay, boxes.PhotoBoxes.Select(b => (b.Box, b.ClassIndex, labels[b.ClassIndex].Name)));
        IO.AtomicFile.Write(path, overwrite, stream =>
        {
            options.Writing?.Invoke(path);
            OverlayRenderer.Encode(overlay, path, stream,
                $"New-CamHeatmap; source={Path.GetFileName(image.Path)}; method={method.Name}; layer={layer}; class={map.ClassIndex}; target={map.Target?.Kind ?? "Logit"}");
        });
    }
}
