namespace AgentCrm.Actors.Tests.Actors;

/// <summary>A clock that moves only when a test calls <see cref="Advance"/>; due timers fire on the advancing thread.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
            return _now;
    }

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    public void Advance(TimeSpan by)
    {
        lock (_gate)
            _now += by;
        FireDue();
    }

    private void FireDue()
    {
        while (true)
        {
            ManualTimer? next = null;
            lock (_gate)
            {
                foreach (var timer in _timers)
                    if (timer.DueAt <= _now && (next is null || timer.DueAt < next.DueAt))
                        next = timer;
                if (next is null)
                    return;
                // A periodic timer fires once for the periods an advance skipped, as a real one does after a stall: advancing
                // 31 days past a 1 s poll would otherwise call it 2.7 million times (seconds of work, slower than the tests' waits).
                if (next.Period is { } period)
                    next.DueAt += period * Math.Max(1, Math.Ceiling((_now - next.DueAt) / period));
                else
                    _timers.Remove(next);
            }
            next.Fire();
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset DueAt { get; set; }

        public TimeSpan? Period { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._gate)
            {
                owner._timers.Remove(this);
                if (dueTime == Timeout.InfiniteTimeSpan)
                    return true;
                DueAt = owner._now + dueTime;
                Period = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : period;
                owner._timers.Add(this);
            }
            // Like a real timer, a zero due time fires without waiting for the clock to move.
            if (dueTime == TimeSpan.Zero)
                ThreadPool.QueueUserWorkItem(static o => o.FireDue(), owner, preferLocal: false);
            return true;
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (owner._gate)
                owner._timers.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
