namespace AgentCrm.Storage;

/// <summary>
/// Lets one failure of each kind be logged per <see cref="Interval"/>, with the count of those not logged since: a full
/// disk or a dependency that is down fails every request and every commit alike, and a stack trace each floods the log.
/// </summary>
public sealed class LogThrottle(TimeSpan interval, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, (long LoggedAt, int Unlogged)> _kinds = new(StringComparer.Ordinal);

    public TimeSpan Interval => interval;

    /// <summary>True for the first failure of <paramref name="kind"/> in each interval; <paramref name="unlogged"/> counts those skipped before it.</summary>
    public bool ShouldLog(string kind, out int unlogged)
    {
        var now = _time.GetTimestamp();
        lock (_kinds)
        {
            var (loggedAt, count) = _kinds.GetValueOrDefault(kind);
            if (loggedAt != 0 && _time.GetElapsedTime(loggedAt, now) < interval)
            {
                _kinds[kind] = (loggedAt, count + 1);
                unlogged = 0;
                return false;
            }
            _kinds[kind] = (now, 0);
            unlogged = count;
            return true;
        }
    }
}
