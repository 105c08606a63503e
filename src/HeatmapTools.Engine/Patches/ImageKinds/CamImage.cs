using HeatmapTools.Engine.Rendering;
using OpenCvSharp;

namespace HeatmapTools.Engine.Patches.ImageKinds;

/// <summary>
/// Where the classifier looks across the patient: each patch's map (New-CamHeatmap results piped in), coloured and
/// blended over its own tissue at its place as New-CamHeatmap's overlays are; cells without a map stay tissue.
/// </summary>
public sealed class CamImage : PatientImageKind
{
    public override string Name => "Cam";
    public override int Order => 3;
    public override int PanelPreference => 3;
    public override bool Applies(PatientFacts facts) => facts.HasCams;

    public override Mat Draw(PatientCanvas canvas)
    {
        var options = canvas.Facts.Options;
        var tissue = canvas.Tissue;
        var colormap = Colormaps.Parse(options.Colormap);
        // Each map arrives scaled to [0, 1] on its own, so a patch whose strongest activation is faint is as hot as the
        // tumour's. On the patient's scale, value = (map * (max - min) + min) / the patient's largest max.
        float patientMax = canvas.Placed.Where(p => p.Record.CamMap is not null).Select(p => p.Record.CamRawMax).DefaultIfEmpty(1).Max();
        using var layer = tissue.Clone();
        using var mask = new Mat(tissue.Rows, tissue.Cols, MatType.CV_8UC1, Scalar.All(0));
        foreach (var (record, cell) in canvas.Placed)
        {
            if (record.CamMap is not { } map) continue;
            float[] values = map;
            if (options.CamScale == CamScale.Patient && patientMax > 0)
            {
                float span = record.CamRawMax - record.CamRawMin, low = record.CamRawMin;
                values = map.Select(v => (v * span + low) / patientMax).ToArray();
            }
            using var small = Mat.FromPixelData(record.CamSize, record.CamSize, MatType.CV_32FC1, values);
            using var resized = new Mat();
            Cv2.Resize(small, resized, new Size(cell.Width, cell.Height), 0, 0, InterpolationFlags.Linear);
            using var heat = Colormaps.Apply(resized, colormap);
            using var view = new Mat(layer, cell);
            heat.CopyTo(view);
            Cv2.Rectangle(mask, cell, Scalar.All(255), -1);
        }
        using var blended = new Mat();
        Cv2.AddWeighted(tissue, 1 - options.Alpha, layer, options.Alpha, 0, blended);
        var result = tissue.Clone();
        blended.CopyTo(result, mask);
        return result;
    }
}
