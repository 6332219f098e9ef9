using AgentCrm.Actors;

namespace AgentCrm.Customers;

/// <summary>
/// What one customer turn counts, held until the turn's state is saved and then added to <see cref="RuntimeMetrics"/> in one
/// go (<see cref="IActorStateManager.OnSaved"/>): a turn run again because a version was taken back meanwhile, or one that
/// failed and is retried, counts once — as the run that was saved. One per activation, reused turn after turn (its lists
/// keep up to <see cref="KeptCapacity"/> entries of room and the action is built once), so counting allocates nothing per event
/// in ordinary turns.
/// </summary>
public sealed class TurnMetrics
{
    private readonly RuntimeMetrics _metrics;
    private readonly Action _apply;
    private readonly List<(TimeSpan SinceReceived, bool Assessed)> _events = [];
    private readonly List<AgentCount> _agents = [];
    private int _duplicates;

    public TurnMetrics(RuntimeMetrics metrics)
    {
        _metrics = metrics;
        _apply = Apply;
    }

    /// <summary>Starts a turn's counts (forgetting any a run that was not saved left) and has them added once it is saved.</summary>
    public void Begin(IActorStateManager state)
    {
        Clear();
        state.OnSaved(_apply);
    }

    public void EventApplied(TimeSpan sinceReceived, bool assessed) => _events.Add((sinceReceived, assessed));

    public void DuplicateDelivery() => _duplicates++;

    public void Assessed(string agentId, string version, TimeSpan elapsed, bool fired) => _agents.Add(new(Counted.Assessed, agentId, version, elapsed, fired));

    public void AssessFailed(string agentId, string version) => _agents.Add(new(Counted.Error, agentId, version));

    public void ShadowAgreement(string agentId, string version, bool shadowFired, bool? servingFired) =>
        _agents.Add(new(Counted.Shadow, agentId, version, Fired: shadowFired, ServingFired: servingFired));

    public void ConsentBlocked(string agentId, string version) => _agents.Add(new(Counted.ConsentBlocked, agentId, version));

    public void DegradedBrief(string agentId, string version) => _agents.Add(new(Counted.Degraded, agentId, version));

    public void CitationFailed(string agentId, string version) => _agents.Add(new(Counted.CitationFailure, agentId, version));

    private void Apply()
    {
        foreach (var (sinceReceived, assessed) in _events)
            _metrics.EventApplied(sinceReceived, assessed);
        for (var i = 0; i < _duplicates; i++)
            _metrics.DuplicateDelivery();
        foreach (var c in _agents)
        {
            switch (c.What)
            {
                case Counted.Assessed: _metrics.Assessed(c.AgentId, c.Version, c.Elapsed, c.Fired); break;
                case Counted.Error: _metrics.AssessFailed(c.AgentId, c.Version); break;
                case Counted.Shadow: _metrics.ShadowAgreement(c.AgentId, c.Version, c.Fired, c.ServingFired); break;
                case Counted.ConsentBlocked: _metrics.ConsentBlocked(c.AgentId, c.Version); break;
                case Counted.Degraded: _metrics.DegradedBrief(c.AgentId, c.Version); break;
                default: _metrics.CitationFailed(c.AgentId, c.Version); break;
            }
        }
        Clear();
    }

    /// <summary>Entries a list keeps room for between turns: a backfill turn of thousands of events gives its room back (rev27).</summary>
    internal const int KeptCapacity = 64;

    private void Clear()
    {
        _events.Clear();
        _agents.Clear();
        if (_events.Capacity > KeptCapacity)
            _events.Capacity = KeptCapacity;
        if (_agents.Capacity > KeptCapacity)
            _agents.Capacity = KeptCapacity;
        _duplicates = 0;
    }

    /// <summary>The room the lists hold now (for tests).</summary>
    internal int Capacity => _events.Capacity + _agents.Capacity;

    private enum Counted : byte
    {
        Assessed,
        Error,
        Shadow,
        ConsentBlocked,
        Degraded,
        CitationFailure,
    }

    /// <summary>One count of an agent version; the id and version are the manifest's strings, so none is built.</summary>
    private readonly record struct AgentCount(Counted What, string AgentId, string Version, TimeSpan Elapsed = default, bool Fired = false, bool? ServingFired = null);
}
