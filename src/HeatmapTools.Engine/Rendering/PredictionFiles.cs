using HeatmapTools.Engine.IO;

namespace HeatmapTools.Engine.Rendering;

/// <summary>Where Get-ClassPrediction writes a picture of a prediction: &lt;photo's name&gt;&lt;suffix&gt; in the folder asked for, once per run.</summary>
internal static class PredictionFiles
{
    public static string WriteInto(string folder, string source, string suffix, string parameter, ISet<string> written, Action<string> write)
    {
        string file = Path.GetFullPath(Path.Combine(folder, Path.GetFileNameWithoutExtension(source) + suffix));
        if (!written.Add(file))
            throw new HeatmapToolsException(ErrorIds.OutputNameRepeated, ErrorKind.ResourceExists,
                $"'{source}' would write '{file}', which an earlier image of this run wrote: give the photos distinct names or {parameter} per folder.", source);
        try
        {
            AtomicFile.CreateFolder(folder);
            write(file);
            return file;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new HeatmapToolsException(ErrorIds.OutputWriteFailed, ErrorKind.WriteError, $"Could not write '{file}': {ex.Message}", file, ex);
        }
    }
}
