namespace HeatmapTools.Engine.Slides;

/// <summary>Open slides, shared by the reads of one session (a slide's handle caches its tiles); the least recently used are closed past a few.</summary>
public static class SlideCache
{
    private const int Capacity = 8;
    private static readonly object Gate = new();
    private static readonly LinkedList<(string Key, Slide Slide)> Open = new();

    public static Slide Get(string path)
    {
        string key = $"{Path.GetFullPath(path)}|{IO.FileStamp.Of(path)}";
        lock (Gate)
        {
            for (var node = Open.First; node is not null; node = node.Next)
            {
                if (node.Value.Key != key) continue;
                Open.Remove(node);
                Open.AddFirst(node);
                return node.Value.Slide;
            }
            var slide = Slide.Open(path);
            Open.AddFirst((key, slide));
            // A slide let go of here may still be read by another thread: its handle is closed for now and opened again
            // by the next read, so more slides in flight than the cache holds cost reopening, never a closed reader.
            while (Open.Count > Capacity)
            {
                Open.Last!.Value.Slide.Release();
                Open.RemoveLast();
            }
            return slide;
        }
    }
}
