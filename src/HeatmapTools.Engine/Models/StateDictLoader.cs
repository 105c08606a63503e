using System.Collections;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Models;

/// <summary>
/// Copies a saved state dict into a network after checking every key and shape, so a wrong file fails with the
/// list of what differs instead of a cryptic native error halfway through.
/// </summary>
public static class StateDictLoader
{
    /// <summary>What loading found worth telling with -Verbose (the checkpoint key the weights came from), reported by the cmdlets.</summary>
    public static System.Collections.Concurrent.ConcurrentQueue<string> Notes { get; } = new();

    /// <remarks>
    /// Safe for any caller: reading makes many one-call temporaries (a tensor converted for one copy), which a scope
    /// holds until the copy is done, and the weights stay the network's (<see cref="OwnedWeights"/>).
    /// </remarks>
    public static void Load(nn.Module network, string path, IReadOnlyList<string>? ignoredPrefixes = null) =>
        OwnedWeights.Make(() => { LoadScoped(network, path, ignoredPrefixes); return network; }, n => n);

    private static void LoadScoped(nn.Module network, string path, IReadOnlyList<string>? ignoredPrefixes)
    {
        IO.RegularFile.Ensure(path, ErrorIds.WeightsUnreadable, "Weights file");
        WeightsFormat.EnsureStateDict(path);
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is ".dat" or ".bin" && !LooksLikeZipOrSafetensors(path))
        {
            LoadTorchSharpFormat(network, path);
            return;
        }

        Dictionary<string, Tensor> saved;
        try
        {
            saved = ext == ".safetensors" ? Safetensors.LoadStateDict(path) : FromPickle(PyTorchUnpickler.UnpickleStateDict(path), path);
        }
        catch (Exception ex) when (ex is not HeatmapToolsException)
        {
            throw new HeatmapToolsException(ErrorIds.WeightsUnreadable, ErrorKind.InvalidData,
                $"Weights file '{path}' could not be read as {(ext == ".safetensors" ? "safetensors" : "a PyTorch state_dict")}: {ex.Message}", path, ex);
        }

        try
        {
            Copy(network, Normalise(saved, ignoredPrefixes ?? Array.Empty<string>()), path, ignoredPrefixes ?? Array.Empty<string>());
        }
        finally
        {
            foreach (var t in saved.Values) t.Dispose();
        }
    }

    private static bool LooksLikeZipOrSafetensors(string path)
    {
        using var f = File.OpenRead(path);
        var head = new byte[2];
        return f.Read(head, 0, 2) == 2 && head[0] == (byte)'P' && head[1] == (byte)'K';
    }

    private static void LoadTorchSharpFormat(nn.Module network, string path)
    {
        try
        {
            network.load(path, strict: true);
        }
        catch (Exception ex)
        {
            throw new HeatmapToolsException(ErrorIds.WeightsMismatch, ErrorKind.InvalidData,
                $"Weights file '{path}' (TorchSharp format) does not fit this model: {ex.Message}", path, ex);
        }
        foreach (var (key, value) in network.state_dict()) Check(key, value, value.dtype, path);
    }

    /// <summary>Keys training code keeps the weights under in a checkpoint ({'epoch', 'state_dict', 'optimizer'}), in the order they are tried.</summary>
    internal static readonly string[] WrapperKeys = { "state_dict", "model_state_dict", "model", "net", "ema", "module", "state_dict_ema", "model_ema" };

    /// <summary>
    /// The weights of a pickled file: a state dict itself, or one inside a training checkpoint under one of
    /// <see cref="WrapperKeys"/> (a level or two deep: {'model': {'state_dict': ...}}); the key used is told as a note.
    /// </summary>
    private static Dictionary<string, Tensor> FromPickle(Hashtable table, string path)
    {
        var trail = new List<string>();
        for (int depth = 0; depth < 3 && !IsStateDict(table); depth++)
        {
            var key = WrapperKeys.FirstOrDefault(k => table.ContainsKey(k) && table[k] is Hashtable);
            if (key is null) break;
            trail.Add(key);
            table = (Hashtable)table[key]!;
        }
        if (trail.Count > 0) Running.RunScope.Current.Verbose($"'{path}' is a training checkpoint: its weights were taken from {string.Concat(trail.Select(k => $"['{k}']"))}.");
        var result = new Dictionary<string, Tensor>();
        foreach (DictionaryEntry entry in table)
            if (entry.Value is Tensor t) result[(string)entry.Key] = t;
        if (result.Count == 0)
        {
            var keys = table.Keys.Cast<object>().Select(k => k.ToString()!).Order(StringComparer.Ordinal).Take(12).ToList();
            throw new HeatmapToolsException(ErrorIds.WeightsUnreadable, ErrorKind.InvalidData,
                $"Weights file '{path}' holds no tensors where weights are kept: its keys are {string.Join(", ", keys.Select(k => $"'{k}'"))}; " +
                $"a checkpoint's weights are looked for under {string.Join(", ", WrapperKeys.Select(k => $"'{k}'"))}. Save the model's state_dict().", path);
        }
        return result;
    }

    /// <summary>A table of (mostly) tensors: the state dict itself rather than a checkpoint around it.</summary>
    private static bool IsStateDict(Hashtable table) =>
        table.Count > 0 && table.Values.Cast<object?>().Count(v => v is Tensor) * 2 > table.Count;

    /// <summary>Prefixes that wrap every key: nn.DataParallel's "module.", torch.compile's "_orig_mod.", in any nesting.</summary>
    private static readonly string[] WrapperPrefixes = { "module.", "_orig_mod." };

    // The counter BatchNorm keeps is not a weight.
    private static Dictionary<string, Tensor> Normalise(Dictionary<string, Tensor> saved, IReadOnlyList<string> ignoredPrefixes)
    {
        string strip = "";
        for (bool found = true; found && saved.Count > 0;)
        {
            found = false;
            foreach (var prefix in WrapperPrefixes)
                if (saved.Keys.All(k => k.StartsWith(strip + prefix, StringComparison.Ordinal))) { strip += prefix; found = true; }
        }
        var result = new Dictionary<string, Tensor>();
        foreach (var (key, value) in saved)
        {
            string name = key[strip.Length..];
            if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) continue;
            // Auxiliary training heads (GoogLeNet's aux1/aux2, Inception's AuxLogits) are saved but never used for inference.
            if (ignoredPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal))) continue;
            result[name] = value;
        }
        return result;
    }

    private static void Copy(nn.Module network, Dictionary<string, Tensor> saved, string path, IReadOnlyList<string> ignoredPrefixes)
    {
        var target = network.state_dict().Where(kv => !kv.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            .Where(kv => !ignoredPrefixes.Any(p => kv.Key.StartsWith(p, StringComparison.Ordinal)))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        var missing = target.Keys.Where(k => !saved.ContainsKey(k)).ToList();
        // A pickled state dict arrives as an unordered table: sorted, the same file always gives the same message.
        var unexpected = saved.Keys.Where(k => !target.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var wrongShape = target.Keys.Where(saved.ContainsKey)
            .Where(k => !target[k].shape.SequenceEqual(saved[k].shape))
            .Select(k => $"{k}: file [{string.Join(",", saved[k].shape)}], model [{string.Join(",", target[k].shape)}]")
            .ToList();
        if (missing.Count + unexpected.Count + wrongShape.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add($"missing keys ({missing.Count}): {Preview(missing)}");
            if (unexpected.Count > 0) parts.Add($"unexpected keys ({unexpected.Count}): {Preview(unexpected)}");
            if (wrongShape.Count > 0) parts.Add($"wrong shapes ({wrongShape.Count}): {Preview(wrongShape)}");
            // A grey model (an X-ray net trained with its first convolution taking one channel) is the one shape a
            // built-in architecture cannot take: say so plainly, and how to run it.
            bool grey = target.Keys.Where(saved.ContainsKey).Any(k => target[k].dim() == 4 && saved[k].dim() == 4 && target[k].shape[1] == 3 && saved[k].shape[1] == 1);
            throw new HeatmapToolsException(ErrorIds.WeightsMismatch, ErrorKind.InvalidData,
                $"Weights file '{path}' does not fit this model: {string.Join("; ", parts)}. " +
                (grey ? "Its first convolution takes one channel (a grey model); the built-in architectures take three (-InputChannels 1 is for ONNX graphs). " +
                        "Export the model to ONNX (torch.onnx.export) and give -Model the graph, which declares its one channel."
                      : "Check -Model and -NumClasses match the network the file was saved from."), path);
        }
        foreach (var (key, value) in target) Check(key, saved[key], value.dtype, path);
        using (no_grad())
        {
            foreach (var (key, value) in target)
                value.copy_(saved[key].to(value.dtype));
        }
    }

    /// <summary>
    /// A weight must be a float and finite: an integer tensor of the right size would be converted to nonsense values,
    /// and one NaN makes every score NaN. Refused at load, naming the tensor.
    /// </summary>
    private static void Check(string key, Tensor saved, ScalarType wanted, string path)
    {
        if (IsFloat(wanted) && !IsFloat(saved.dtype))
            throw new HeatmapToolsException(ErrorIds.WeightsInvalid, ErrorKind.InvalidData,
                $"Weights file '{path}': tensor '{key}' is {saved.dtype}, not a floating-point type; the model's weights are {wanted}. The file was not saved from this kind of model.", path);
        if (!IsFloat(saved.dtype)) return;
        using var finite = saved.isfinite();
        long bad = saved.numel() - finite.sum().item<long>();
        if (bad > 0)
        {
            using var nan = saved.isnan();
            long nans = nan.sum().item<long>();
            throw new HeatmapToolsException(ErrorIds.WeightsInvalid, ErrorKind.InvalidData,
                $"Weights file '{path}': tensor '{key}' has {bad} non-finite value(s) of {saved.numel()} ({nans} NaN, {bad - nans} infinite); every score it feeds would be NaN. Training diverged or the file is damaged.", path);
        }
    }

    private static bool IsFloat(ScalarType type) => type is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    private static string Preview(List<string> items) =>
        string.Join(", ", items.Take(12)) + (items.Count > 12 ? $", ... ({items.Count - 12} more)" : "");
}
