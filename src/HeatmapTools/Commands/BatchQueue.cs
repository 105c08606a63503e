using HeatmapTools.Engine.Models;

namespace HeatmapTools.Commands;

/// <summary>
/// Collects pipeline items into batches of one model each: a batch is handed out when it is full or when the next
/// item asks for a different model, so results keep the input order and stream out as batches finish.
/// </summary>
internal sealed class BatchQueue<T>
{
    public sealed record Batch(WeightsRequest Request, List<T> Items);

    private object? _key;
    private Batch? _current;

    /// <summary>Adds an item; returns the batches now ready to run (the previous model's, and this one when full).</summary>
    /// <param name="key">What items of one batch share (compared by value): the weights, and for maps their selection.</param>
    public List<Batch> Add(object key, WeightsRequest request, T item, int batchSize)
    {
        var ready = new List<Batch>(2);
        if (_current is not null && !Equals(_key, key))
        {
            ready.Add(_current);
            _current = null;
        }
        _key = key;
        _current ??= new Batch(request, new List<T>());
        _current.Items.Add(item);
        if (_current.Items.Count >= batchSize)
        {
            ready.Add(_current);
            _current = null;
        }
        return ready;
    }

    public Batch? Drain()
    {
        var rest = _current;
        _current = null;
        return rest is { Items.Count: > 0 } ? rest : null;
    }
}
