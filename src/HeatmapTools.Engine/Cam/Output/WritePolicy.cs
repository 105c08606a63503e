namespace HeatmapTools.Engine.Cam.Output;

/// <summary>What to do with an output that exists: refuse it, replace it (-Force, or -Update when stale), or pass over it (-SkipExisting).</summary>
internal sealed record WritePolicy(bool Force, bool SkipExisting, bool Update)
{
    /// <summary>With -Update: an output written before its source last changed.</summary>
    public bool Stale(string output, string source) =>
        Update && File.Exists(source) && File.GetLastWriteTimeUtc(output) < File.GetLastWriteTimeUtc(source);

    /// <summary>Written over when it exists (otherwise an existing output is OutputExists).</summary>
    public bool Overwrite(string output, string source) => Force || Stale(output, source);

    /// <summary>Finished already and left as it is, told as skipped rather than an error.</summary>
    public bool PassOver(string output, string source) =>
        (SkipExisting || Update) && !Overwrite(output, source) && File.Exists(output);

    /// <summary>Whether finished outputs are passed over quietly instead of being errors.</summary>
    public bool Skips => SkipExisting || Update;
}
