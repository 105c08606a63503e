using System.IO.Compression;

namespace HeatmapTools.Engine.Models;

/// <summary>
/// Tells a weights file that is something else (a whole model, another framework's file, an empty file) by its first
/// bytes and, for zip archives, their entries, so the user hears what the file is and what to give instead rather
/// than an unpickler's "saved using the old PyTorch format".
/// </summary>
internal static class WeightsFormat
{
    private static readonly byte[] Hdf5 = { 0x89, (byte)'H', (byte)'D', (byte)'F', 0x0D, 0x0A, 0x1A, 0x0A };

    public static void EnsureStateDict(string path)
    {
        long length = new FileInfo(path).Length;
        if (length == 0) Refuse(path, "is empty (0 bytes): a save or download that did not finish. Save or download the weights again.");
        var head = new byte[16];
        int read;
        using (var stream = File.OpenRead(path)) read = stream.Read(head, 0, head.Length);
        string ext = Path.GetExtension(path).ToLowerInvariant();

        if (read >= 8 && head.AsSpan(0, 8).SequenceEqual(Hdf5) || ext is ".h5" or ".hdf5")
            Refuse(path, "is a Keras model in HDF5 (model.save('x.h5')), not PyTorch weights. HeatmapTools reads PyTorch state dicts " +
                "(.pth, .pt) and safetensors; a Keras model cannot be used yet.");
        if (ext == ".onnx" || LooksLikeOnnx(head, read))
            Refuse(path, "is an ONNX model (a whole graph with its weights), not weights for a built-in architecture. Give it to -Model " +
                $"instead: -Model '{path}'.");
        if (read >= 2 && head[0] == (byte)'P' && head[1] == (byte)'K')
        {
            List<string> entries;
            try
            {
                using var zip = ZipFile.OpenRead(path);
                entries = zip.Entries.Select(e => e.FullName).ToList();
            }
            catch (InvalidDataException)
            {
                return;
            }
            if (ext == ".keras" || entries.Contains("config.json") && entries.Any(e => e.EndsWith(".weights.h5", StringComparison.Ordinal)))
                Refuse(path, "is a Keras v3 archive (.keras), not PyTorch weights. A Keras model cannot be used yet.");
            if (ext == ".pt2" || entries.Any(e => e.Contains("serialized_exported_program", StringComparison.Ordinal)))
                Refuse(path, "is a torch.export archive (.pt2): a program, not a state dict. Save the weights: torch.save(model.state_dict(), 'weights.pth').");
            if (entries.Any(e => e.EndsWith("/constants.pkl", StringComparison.Ordinal) || e.Contains("/code/", StringComparison.Ordinal)))
                Refuse(path, "is a TorchScript archive (torch.jit.save): code and weights together. Save its weights alone: " +
                    "torch.save(torch.jit.load('" + Path.GetFileName(path) + "').state_dict(), 'weights.pth'), and give -Model the architecture.");
        }
    }

    /// <summary>
    /// What to do with a file given to -Model that is not an ONNX graph: a TorchScript archive is exported to ONNX,
    /// weights go to -WeightsPath beside an architecture's name.
    /// </summary>
    public static string WhatFileIs(string path)
    {
        string name = Path.GetFileName(path);
        try
        {
            EnsureStateDict(path);
        }
        catch (HeatmapToolsException e) when (e.Message.Contains("TorchScript", StringComparison.Ordinal))
        {
            return $"a TorchScript archive (torch.jit.save), which HeatmapTools cannot run. Export it to ONNX and give -Model the graph: " +
                   $"torch.onnx.export(torch.jit.load('{name}'), torch.randn(1, 3, 224, 224), 'model.onnx'), then -Model model.onnx.";
        }
        catch (HeatmapToolsException e)
        {
            return e.Message.Replace($"Weights file '{path}' ", "it ", StringComparison.Ordinal);
        }
        return $"it looks like weights (a PyTorch state dict or safetensors). Give them to -WeightsPath and name the architecture they are " +
               $"for with -Model, for example -Model resnet50 -WeightsPath '{path}'.";
    }

    /// <summary>ONNX's ModelProto starts with field 1 (ir_version, a small varint) then a string or graph field.</summary>
    private static bool LooksLikeOnnx(byte[] head, int read) =>
        read >= 4 && head[0] == 0x08 && head[1] is > 0 and < 0x20 && head[2] is 0x12 or 0x1A or 0x22 or 0x2A or 0x3A or 0x42;

    private static void Refuse(string path, string what) =>
        throw new HeatmapToolsException(ErrorIds.WeightsUnreadable, ErrorKind.InvalidData, $"Weights file '{path}' {what}", path);
}
