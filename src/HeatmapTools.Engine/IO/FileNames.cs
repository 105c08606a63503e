namespace HeatmapTools.Engine.IO;

/// <summary>The one place a value (a patient id, a class label, a layer name) is made safe to put in a file name.</summary>
public static class FileNames
{
    /// <summary>Characters no file name may hold, and spaces, become underscores.</summary>
    public static string Sanitise(string value)
    {
        var invalid = Path.GetInvalidFileNameChars();
        return new string(value.Select(c => invalid.Contains(c) || c == ' ' ? '_' : c).ToArray());
    }
}
