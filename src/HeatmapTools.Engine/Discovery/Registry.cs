namespace HeatmapTools.Engine.Discovery;

/// <summary>
/// Every concrete <typeparamref name="T"/> in the engine that has a parameterless constructor, by name: how CAM
/// methods, raw map formats and patient image kinds are found, so adding one is adding a file.
/// </summary>
internal sealed class Registry<T> where T : class
{
    private readonly Lazy<IReadOnlyDictionary<string, T>> _all;

    public Registry(Func<T, string> name) =>
        _all = new(() => typeof(T).Assembly.GetTypes()
            .Where(t => t.IsClass && !t.IsAbstract && typeof(T).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (T)Activator.CreateInstance(t)!)
            .ToDictionary(name, StringComparer.OrdinalIgnoreCase));

    public IReadOnlyDictionary<string, T> All => _all.Value;

    public bool TryGet(string name, out T item) => _all.Value.TryGetValue(name, out item!);

    /// <summary>" Did you mean 'x'?" for a near miss, or nothing.</summary>
    public string Hint(string name)
    {
        var closest = Models.ModelCatalog.Closest(name, _all.Value.Keys, 3);
        return closest.Count > 0 ? $" Did you mean {string.Join(" or ", closest.Select(c => $"'{c}'"))}?" : "";
    }
}
