namespace HeatmapTools.Engine.Native;

/// <summary>
/// Runs an action once nobody has been busy for a given delay: each <see cref="Enter"/> is matched by an
/// <see cref="Exit"/>, the last exit starts the clock, and any enter before it runs out stops it.
/// </summary>
internal sealed class IdleAction(Action action, TimeSpan delay, TimeProvider? time = null)
{
    private readonly object _gate = new();
    private int _busy;
    private ITimer? _timer;

    public void Enter()
    {
        lock (_gate)
        {
            _busy++;
            _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    public void Exit()
    {
        lock (_gate)
        {
            if (_busy == 0 || --_busy > 0) return;
            // The clock is injectable so a test can move it on instead of sleeping.
            _timer ??= (time ?? TimeProvider.System).CreateTimer(_ => Fire(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timer.Change(delay, Timeout.InfiniteTimeSpan);
        }
    }

    private void Fire()
    {
        // A timer callback already queued when Enter stopped the clock must not run the action under a busy user.
        lock (_gate)
        {
            if (_busy > 0) return;
        }
        action();
    }
}
