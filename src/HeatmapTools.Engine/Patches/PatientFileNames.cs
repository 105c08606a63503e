namespace HeatmapTools.Engine.Patches;

/// <summary>Where each patient image goes: a name template under the output folder, filled per patient and kind.</summary>
public static class PatientFileNames
{
    public const string DefaultTemplate = "patient_{patient}_{kind}";

    /// <summary>
    /// Checks a template before any work starts: without <c>{kind}</c> a patient's images would overwrite each other,
    /// and without <c>{patient}</c> every patient would overwrite the last.
    /// </summary>
    public static void Validate(string template)
    {
        var unknown = System.Text.RegularExpressions.Regex.Matches(template, @"\{[^{}]*\}").Select(m => m.Value)
            .Where(t => !t.Equals("{patient}", StringComparison.OrdinalIgnoreCase) && !t.Equals("{kind}", StringComparison.OrdinalIgnoreCase)).Distinct().ToList();
        if (unknown.Count > 0)
            throw new HeatmapToolsException(ErrorIds.NameTemplateInvalid, ErrorKind.InvalidArgument,
                $"Name template '{template}' has {string.Join(", ", unknown)}, which it cannot fill; it knows {{patient}} and {{kind}}.", template);
        var missing = new[] { "{patient}", "{kind}" }.Where(t => !template.Contains(t, StringComparison.OrdinalIgnoreCase)).ToList();
        if (missing.Count > 0)
            throw new HeatmapToolsException(ErrorIds.NameTemplateInvalid, ErrorKind.InvalidArgument,
                $"Name template '{template}' lacks {string.Join(" and ", missing)}: every patient's tissue, labels and probability images need names of their own.", template);
        if (Path.IsPathRooted(template) || template.Split('/', '\\').Contains(".."))
            throw new HeatmapToolsException(ErrorIds.NameTemplateInvalid, ErrorKind.InvalidArgument,
                $"Name template '{template}' must stay inside the output folder (no rooted path, no '..').", template);
    }

    /// <summary>
    /// The patient id as a file name part. An id that had to change (a '/', ':' or other character no file name may hold)
    /// gets a short suffix from a hash of the id itself, so "a/b" and "a_b" never share a file: the suffix is the same
    /// in every run and on every machine.
    /// </summary>
    public static string SafeId(string patientId)
    {
        string id = IO.FileNames.Sanitise(patientId);
        // An id of "." or ".." would name a folder, not a patient, once the template puts it in a path of its own.
        if (id is "." or "..") id = id.Replace('.', '_');
        if (id == patientId) return id;
        ulong hash = System.IO.Hashing.XxHash64.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(patientId));
        return $"{id}~{hash & 0xFFFFFF:x6}";
    }

    /// <summary>The full path of one image; the patient id is made safe for file names.</summary>
    public static string For(PatchGridOptions options, string patientId, string kind)
    {
        string id = SafeId(patientId);
        string name = options.NameTemplate
            .Replace("{patient}", id, StringComparison.OrdinalIgnoreCase)
            .Replace("{kind}", kind, StringComparison.OrdinalIgnoreCase);
        return Path.Combine(options.OutputDirectory, name + "." + options.ImageFormat);
    }
}
