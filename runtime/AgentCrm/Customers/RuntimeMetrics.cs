using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace AgentCrm.Customers;

/// <summary>
/// Runtime counters and latency histograms (System.Diagnostics.Metrics, meter "AgentCrm"), plus an
/// in-process reservoir of event-to-assessment latencies that the benchmark and health read.
/// Per-agent labels are the agent's id and version, never a customer's or an event's. A customer turn counts through its
/// <see cref="TurnMetrics"/>, into these once the turn's state is saved.
/// </summary>
public sealed class RuntimeMetrics : IDisposable
{
    public const string MeterName = "AgentCrm";
    private readonly Meter _meter;
    private readonly Histogram<double> _eventLatency;
    private readonly Histogram<double> _assessLatency;
    // Keyed by (id, version): no string is built per assessment.
    private readonly ConcurrentDictionary<(string AgentId, string Version), AgentCounters> _agents = new();
    private readonly LatencyReservoir _eventToAssessment = new(1 << 20);
    private long _eventsApplied;
    private long _duplicateDeliveries;

    /// <summary>A meter of its own (tests and tools that build no host).</summary>
    public RuntimeMetrics(TimeProvider? time = null)
        : this(new Meter(MeterName), time ?? TimeProvider.System)
    {
    }

    /// <summary>The host's: the meter belongs to this service provider, so two servers in one process export only their own.</summary>
    public RuntimeMetrics(IMeterFactory meters, TimeProvider time)
        : this(meters.Create(MeterName), time)
    {
    }

    private RuntimeMetrics(Meter meter, TimeProvider time)
    {
        _meter = meter;
        Since = time.GetUtcNow();
        // Observed, not added to: a listener attached after an Add(0) never saw it, so the series were missing until the
        // first event (these are built when first resolved, which the host's start now does: see RuntimeGauges.StartAsync).
        _meter.CreateObservableCounter("agentcrm.events.applied", () => EventsApplied, description: "Events applied by their customer actor.");
        _meter.CreateObservableCounter("agentcrm.events.duplicate_deliveries", () => DuplicateDeliveries, description: "Deliveries of an event its actor had already applied.");
        _eventLatency = _meter.CreateHistogram<double>("agentcrm.event_to_assessment", "ms", "From an event's acceptance to its assessment.");
        _assessLatency = _meter.CreateHistogram<double>("agentcrm.assess.duration", "ms", "One agent version's Assess call.");
        // Read from the per-version counters, as the run counters below: a version that has run exports 0 before its first error.
        _meter.CreateObservableCounter("agentcrm.assess.errors", () => PerAgent(static c => Interlocked.Read(ref c.Errors)), description: "Assess calls that threw.");
        _meter.CreateObservableCounter("agentcrm.agent.assessments", () => PerAgent(static c => Interlocked.Read(ref c.Evaluations)), description: "Assessments per agent version.");
        _meter.CreateObservableCounter("agentcrm.agent.fired", () => PerAgent(static c => Interlocked.Read(ref c.Fired)), description: "Assessments that fired, per agent version.");
        _meter.CreateObservableCounter("agentcrm.agent.consent_blocked", () => PerAgent(static c => Interlocked.Read(ref c.ConsentBlocked)), description: "Runs skipped because consent withheld a required field.");
        _meter.CreateObservableCounter("agentcrm.agent.degraded_briefs", () => PerAgent(static c => Interlocked.Read(ref c.Degraded)), description: "Briefs written by the template because the model failed.");
        _meter.CreateObservableCounter("agentcrm.agent.citation_failures", () => PerAgent(static c => Interlocked.Read(ref c.CitationFailures)), description: "Briefs that cite nothing because the knowledge search failed.");
        _meter.CreateObservableCounter("agentcrm.agent.shadow_comparisons", ShadowComparisons, description: "A shadow version's verdict against the serving version's.");
    }

    /// <summary>When these counters started (the process's start): they are not persisted.</summary>
    public DateTimeOffset Since { get; }

    public long EventsApplied => Interlocked.Read(ref _eventsApplied);

    public long DuplicateDeliveries => Interlocked.Read(ref _duplicateDeliveries);

    public LatencyReservoir EventToAssessment => _eventToAssessment;

    public void EventApplied(TimeSpan sinceReceived, bool assessed)
    {
        Interlocked.Increment(ref _eventsApplied);
        if (assessed)
        {
            _eventLatency.Record(sinceReceived.TotalMilliseconds);
            _eventToAssessment.Add(sinceReceived.TotalMilliseconds);
        }
    }

    public void DuplicateDelivery()
    {
        Interlocked.Increment(ref _duplicateDeliveries);
    }

    public void Assessed(string agentId, string version, TimeSpan elapsed, bool fired)
    {
        var c = Agent(agentId, version);
        Interlocked.Increment(ref c.Evaluations);
        if (fired)
            Interlocked.Increment(ref c.Fired);
        c.Latency.Add(elapsed.TotalMilliseconds);
        _assessLatency.Record(elapsed.TotalMilliseconds, new KeyValuePair<string, object?>("agent", agentId), new KeyValuePair<string, object?>("version", version));
    }

    public void AssessFailed(string agentId, string version)
    {
        Interlocked.Increment(ref Agent(agentId, version).Errors);
    }

    /// <summary>A shadow version's verdict next to the delivering version's (null when none served the customer).</summary>
    public void ShadowAgreement(string agentId, string version, bool shadowFired, bool? servingFired)
    {
        var c = Agent(agentId, version);
        switch (shadowFired, servingFired)
        {
            case (_, null): Interlocked.Increment(ref c.WithoutBaseline); break;
            case (true, true): Interlocked.Increment(ref c.BothFired); break;
            case (true, false): Interlocked.Increment(ref c.OnlyShadowFired); break;
            case (false, true): Interlocked.Increment(ref c.OnlyActiveFired); break;
            default: Interlocked.Increment(ref c.NeitherFired); break;
        }
    }

    /// <summary>The customer's consent withheld a field the agent requires: it was not run.</summary>
    public void ConsentBlocked(string agentId, string version) => Interlocked.Increment(ref Agent(agentId, version).ConsentBlocked);

    /// <summary>A brief written by the template because the configured model failed.</summary>
    public void DegradedBrief(string agentId, string version) => Interlocked.Increment(ref Agent(agentId, version).Degraded);

    /// <summary>A brief that cites nothing because the knowledge search failed (the store or the embedding endpoint is down).</summary>
    public void CitationFailed(string agentId, string version) => Interlocked.Increment(ref Agent(agentId, version).CitationFailures);

    public AgentCounters Agent(string agentId, string version) => _agents.GetOrAdd((agentId, version), static _ => new AgentCounters());

    /// <summary>
    /// The counters of a version that has run in this process, else zeros: a read (health) creates nothing, so it adds no
    /// entry the process keeps and no series every later scrape exports for versions that never ran.
    /// Each counter is read once into a <see cref="AgentCountersSnapshot"/>: figures computed from the live counters read
    /// them several times while turns increment them (an agreement rate of 1.0049, both-fired above the compared total).
    /// </summary>
    public AgentCountersSnapshot Read(string agentId, string version) =>
        (_agents.TryGetValue((agentId, version), out var c) ? c : AgentCounters.None).Snapshot();

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<long>> PerAgent(Func<AgentCounters, long> read)
    {
        foreach (var ((agentId, version), c) in _agents)
            yield return new Measurement<long>(read(c), Labels(agentId, version));
    }

    private IEnumerable<Measurement<long>> ShadowComparisons()
    {
        foreach (var ((agentId, version), c) in _agents)
        {
            if (c.BothFired + c.OnlyShadowFired + c.OnlyActiveFired + c.NeitherFired + c.WithoutBaseline == 0)
                continue;
            yield return new Measurement<long>(Interlocked.Read(ref c.BothFired), [.. Labels(agentId, version), new("outcome", "both_fired")]);
            yield return new Measurement<long>(Interlocked.Read(ref c.OnlyShadowFired), [.. Labels(agentId, version), new("outcome", "only_shadow_fired")]);
            yield return new Measurement<long>(Interlocked.Read(ref c.OnlyActiveFired), [.. Labels(agentId, version), new("outcome", "only_active_fired")]);
            yield return new Measurement<long>(Interlocked.Read(ref c.NeitherFired), [.. Labels(agentId, version), new("outcome", "neither_fired")]);
            yield return new Measurement<long>(Interlocked.Read(ref c.WithoutBaseline), [.. Labels(agentId, version), new("outcome", "no_baseline")]);
        }
    }

    private static KeyValuePair<string, object?>[] Labels(string agentId, string version) => [new("agent", agentId), new("version", version)];

    public sealed class AgentCounters
    {
        /// <summary>Zeros, for a version with no counters (<see cref="Read"/>); never counted into.</summary>
        internal static readonly AgentCounters None = new();

        public long Evaluations;
        public long Fired;
        public long Errors;
        public long BothFired;
        public long OnlyShadowFired;
        public long OnlyActiveFired;
        public long NeitherFired;
        public long WithoutBaseline;
        public long Degraded;
        public long CitationFailures;
        public long ConsentBlocked;

        /// <summary>Recent Assess durations (ms) for the health percentiles.</summary>
        public LatencyReservoir Latency { get; } = new(4096);

        /// <summary>Every counter read once (Interlocked.Read): the figures computed from it agree with one another.</summary>
        public AgentCountersSnapshot Snapshot() => new(
            Interlocked.Read(ref Evaluations), Interlocked.Read(ref Fired), Interlocked.Read(ref Errors),
            Interlocked.Read(ref BothFired), Interlocked.Read(ref OnlyShadowFired), Interlocked.Read(ref OnlyActiveFired),
            Interlocked.Read(ref NeitherFired), Interlocked.Read(ref WithoutBaseline), Interlocked.Read(ref Degraded),
            Interlocked.Read(ref CitationFailures), Interlocked.Read(ref ConsentBlocked), Latency);
    }
}

/// <summary>
/// A version's run counters as read at one moment (<see cref="RuntimeMetrics.AgentCounters.Snapshot"/>). Totals are derived
/// from their parts, never read separately, so the shadow agreement rate cannot pass 1 while turns run.
/// </summary>
public sealed record AgentCountersSnapshot(
    long Evaluations, long Fired, long Errors, long BothFired, long OnlyShadowFired, long OnlyActiveFired, long NeitherFired,
    long WithoutBaseline, long Degraded, long CitationFailures, long ConsentBlocked, LatencyReservoir Latency)
{
    public long Runs => Evaluations + Errors;

    /// <summary>Shadow assessments compared with a serving version's decision: the sum of the four outcomes.</summary>
    public long Compared => BothFired + OnlyShadowFired + OnlyActiveFired + NeitherFired;

    public long ShadowRuns => Compared + WithoutBaseline;

    /// <summary>Share of compared assessments where shadow and serving decided alike, rounded to 4 decimals; null when none was compared.</summary>
    public double? AgreementRate => Compared == 0 ? null : Math.Round((double)(BothFired + NeitherFired) / Compared, 4);
}

/// <summary>A bounded lock-free-ish sample of latencies in milliseconds (the newest overwrite the oldest).</summary>
public sealed class LatencyReservoir(int capacity)
{
    private readonly double[] _values = new double[capacity];
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public void Add(double value)
    {
        var i = Interlocked.Increment(ref _count) - 1;
        _values[i % _values.Length] = value;
    }

    public void Reset() => Interlocked.Exchange(ref _count, 0);

    /// <summary>Percentile (0-100) of what is held, or NaN when empty.</summary>
    public double Percentile(double p)
    {
        var n = (int)Math.Min(Count, _values.Length);
        if (n == 0)
            return double.NaN;
        var copy = _values[..n];
        Array.Sort(copy);
        var rank = Math.Clamp((int)Math.Ceiling(p / 100 * n) - 1, 0, n - 1);
        return copy[rank];
    }
}
