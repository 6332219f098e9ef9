namespace AgentCrm.Agents;

/// <summary>
/// The set of versions turns run on (active and shadow ones, each created by its kind), swapped atomically on every
/// registry change: the next turn sees the new set, a turn in flight keeps the one it started with, and a change waits
/// (bounded) until no turn holds the set it replaced.
/// </summary>
internal sealed partial class LiveAgents(IReadOnlyDictionary<string, IAgentKind> kinds, TimeProvider time, ILogger logger)
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);
    private AgentSet _current = AgentSet.Empty;

    public AgentSet Current => Volatile.Read(ref _current);

    /// <summary>
    /// The set a turn runs on, held until the lease is disposed. Registry changes wait for turns holding
    /// the previous set, so when register, promote or unregister returns, no turn uses the old set any more.
    /// </summary>
    public AgentSetLease Enter()
    {
        while (true)
        {
            var set = Current;
            if (set.TryEnter())
                return new AgentSetLease(set);
        }
    }

    /// <summary>Waits (bounded) for turns still running on <paramref name="replaced"/>, a set <see cref="Publish"/> returned.</summary>
    public async Task DrainAsync(AgentSet replaced)
    {
        var drained = replaced.ReplaceAndDrainAsync();
        if (await Task.WhenAny(drained, Task.Delay(DrainTimeout, time)) != drained)
            LogDrainTimeout(DrainTimeout.TotalSeconds);
    }

    /// <summary>Lets kinds that hold resources per version (plugin load contexts) drop those no version of <paramref name="records"/> that is not retired needs; runs once no turn uses the previous set.</summary>
    public void ReleaseUnused(IEnumerable<AgentVersionRecord> records)
    {
        var inUse = records.Where(r => r.State != AgentState.Retired).Select(r => r.Manifest).ToList();
        foreach (var kind in kinds.Values.OfType<IRetainingKind>())
            kind.Retain(inUse);
    }

    /// <summary>
    /// Swaps in the active and shadow versions of <paramref name="records"/>; returns the set it replaced. A version already
    /// live with the same content keeps its agent: creating one anew on every registry change parsed each fitted model again
    /// (megabytes for compliance-check) and ran each plugin's code again, where a failure (no free plugin thread) dropped
    /// a running version from the set until the next change.
    /// </summary>
    public AgentSet Publish(IEnumerable<AgentVersionRecord> records)
    {
        var running = Current.Live.ToDictionary(a => (a.Record.AgentId, a.Record.Version));
        var live = new List<LiveAgent>();
        foreach (var r in records.Where(r => r.State is AgentState.Active or AgentState.Shadow).OrderBy(r => r.AgentId, StringComparer.Ordinal).ThenBy(r => r.Version, StringComparer.Ordinal))
        {
            if (running.TryGetValue((r.AgentId, r.Version), out var same) && same.Record.ContentHash == r.ContentHash)
            {
                live.Add(same with { Record = r });
                continue;
            }
            if (!kinds.TryGetValue(r.Manifest.Kind, out var kind))
            {
                LogUnknownKind(r.AgentId, r.Version, r.Manifest.Kind);
                continue;
            }
            try
            {
                live.Add(new LiveAgent(kind.Create(r.Manifest), r));
            }
            catch (ManifestException ex)
            {
                // E.g. a plugin whose stored assembly is gone: that version does not run, the others do.
                LogCannotRun(r.AgentId, r.Version, ex.Message);
            }
        }
        return Interlocked.Exchange(ref _current, new AgentSet(live));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Turns on the previous agent set did not finish within {Seconds} s; the change is in effect for new turns")]
    private partial void LogDrainTimeout(double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Agent {AgentId}@{Version} cannot be created and does not run: {Reason}")]
    private partial void LogCannotRun(string agentId, string version, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {AgentId}@{Version} has kind {Kind}, which this build does not have; it does not run")]
    private partial void LogUnknownKind(string agentId, string version, string kind);
}
