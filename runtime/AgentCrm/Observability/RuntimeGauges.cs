using System.Diagnostics.Metrics;
using AgentCrm.Actors;
using AgentCrm.Agents;
using AgentCrm.Briefs;
using AgentCrm.Customers;
using AgentCrm.Intake;
using AgentCrm.Sandbox;
using AgentCrm.Storage;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Observability;

/// <summary>
/// The instruments an on-call engineer needs beside <see cref="RuntimeMetrics"/>'s. They read what the runtime already
/// keeps (the inbox head and the dispatcher's watermark, the writer's counters, the log's size, the registry, the actor
/// host) when a collection asks, so the event path is unchanged; the two queries count small tables (dead letters,
/// running jobs). Briefs are counted as their commits are announced.
/// </summary>
internal sealed class RuntimeGauges(IMeterFactory meters, IServiceProvider services) : IHostedService
{
    private static readonly string[] StatusNames = Enum.GetValues<BriefStatus>().Select(BriefStore.StatusName).ToArray();
    private BriefStore? _briefs;
    private BriefResponseStore? _responses;
    private Counter<long> _written = null!;
    private Counter<long> _reviewed = null!;
    private Counter<long> _responded = null!;

    /// <summary>
    /// Creates the instruments once the host starts, after its options are validated: resolving the services they read any
    /// earlier (when the exporter is built, as the app is) would construct them first, and one bad setting would be reported
    /// alone instead of every bad setting at once. Listeners see instruments published late.
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var inbox = services.GetRequiredService<EventStore>();
        var dispatcher = services.GetRequiredService<EventDispatcher>();
        var deadLetters = services.GetRequiredService<DeadLetterStore>();
        var database = services.GetRequiredService<SqliteDatabase>();
        var writer = services.GetRequiredService<SqliteWriter>();
        var registry = services.GetRequiredService<AgentRegistry>();
        // Built now, not by the first customer turn: its series exported from the start (duplicate deliveries) are there
        // before the first event.
        _ = services.GetRequiredService<RuntimeMetrics>();
        var meter = meters.Create(RuntimeMetrics.MeterName);
        meter.CreateObservableCounter("agentcrm.events.accepted", () => inbox.AcceptedTotal,
            description: "Events stored in the inbox since the data directory was created (duplicates not counted).");
        // Counted, not the head minus the watermark: a duplicate takes a sequence number it never keeps, so that difference
        // read 47 with one event pending after a replay of 45.
        meter.CreateObservableGauge("agentcrm.inbox.lag", () => Query(() => inbox.LastCommittedSeq <= dispatcher.Watermark ? 0 : inbox.CountAfter(dispatcher.Watermark)),
            description: "Accepted events not yet processed (stored after the dispatcher's watermark).");
        meter.CreateObservableGauge("agentcrm.dead_letters", () => Query(deadLetters.Count),
            description: "Accepted events whose turn kept failing (GET /v1/dead-letters).");
        meter.CreateObservableCounter("agentcrm.storage.commits", () => writer.Commits, description: "Group commits of the single writer.");
        meter.CreateObservableCounter("agentcrm.storage.failed_commits", () => writer.FailedCommits, description: "Group commits that failed as a whole (a full or failing disk fails each); their callers were answered with an error.");
        meter.CreateObservableCounter("agentcrm.storage.operations", () => writer.Operations, description: "Write operations committed (several per commit).");
        meter.CreateObservableCounter("agentcrm.storage.busy", () => writer.BusyTime.TotalSeconds, "s", "Time the writer spent running batches: near 1 s per second means writes queue.");
        meter.CreateObservableCounter("agentcrm.storage.commit_time", () => writer.CommitTime.TotalSeconds, "s", "Time spent in COMMIT (the log write and its fsync).");
        meter.CreateObservableCounter("agentcrm.storage.log_restarts", () => writer.Restarts, description: "Times the writer restarted an overgrown write-ahead log.");
        meter.CreateObservableGauge("agentcrm.storage.wal_size", () => FileSize(database.FilePath + "-wal"), "By", "Size of the SQLite write-ahead log.");
        meter.CreateObservableGauge("agentcrm.storage.database_size", () => FileSize(database.FilePath), "By", "Size of the SQLite database file.");
        meter.CreateObservableGauge("agentcrm.agents.live", () => LiveAgents(registry), description: "Agent versions running, by state.");
        if (services.GetRequiredService<IActorHost>() is EmbeddedActorHost host)
        {
            meter.CreateObservableGauge("agentcrm.actors.active", () => host.ActiveActivations, description: "Actor activations held in memory by the embedded host.");
            meter.CreateObservableCounter("agentcrm.actors.turns", () => host.TurnsRun, description: "Actor turns run by the embedded host.");
        }
        Agents.Plugins.PluginGauges.Add(meter, services.GetRequiredService<Agents.Plugins.PluginKind>());
        meter.CreateObservableGauge("agentcrm.jobs.running", () => RunningJobs(database), description: "Sandbox jobs (evaluations, fits) running, by kind.");
        _written = meter.CreateCounter<long>("agentcrm.briefs.written", description: "Briefs stored, by agent version and the status they were stored with.");
        _reviewed = meter.CreateCounter<long>("agentcrm.briefs.reviewed", description: "Reviewer verdicts that changed a brief, by agent version and verdict.");
        _responded = meter.CreateCounter<long>("agentcrm.briefs.responses", description: "CSM responses to briefs, by agent version and kind: acknowledged, useful, notUseful (a changed feedback counts again).");
        _briefs = services.GetRequiredService<BriefStore>();
        _briefs.Changed += OnBriefChanged;
        _responses = services.GetRequiredService<BriefResponseStore>();
        _responses.Responded += OnResponded;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (_briefs is { } briefs)
            briefs.Changed -= OnBriefChanged;
        if (_responses is { } responses)
            responses.Responded -= OnResponded;
        return Task.CompletedTask;
    }

    // On the writer's thread, after the commit: a counter add, no allocation.
    private void OnBriefChanged(Brief brief, long seq, long position)
    {
        KeyValuePair<string, object?> agent = new("agent", brief.AgentId), version = new("version", brief.AgentVersion);
        if (brief.Review is { } review)
            _reviewed.Add(1, agent, version, new("verdict", review.Verdict));
        else
            _written.Add(1, agent, version, new("status", StatusNames[(int)brief.Status]));
    }

    private void OnResponded(Brief brief, string kind) =>
        _responded.Add(1, new("agent", brief.AgentId), new("version", brief.AgentVersion), new KeyValuePair<string, object?>("kind", kind));

    private static IEnumerable<Measurement<long>> Query(Func<long> count)
    {
        long value;
        try
        {
            value = count();
        }
        catch (SqliteException)
        {
            // Storage unavailable: no sample this time (GET /readyz says why).
            yield break;
        }
        yield return new Measurement<long>(value);
    }

    private static long FileSize(string path)
    {
        var file = new FileInfo(path);
        return file.Exists ? file.Length : 0;
    }

    private static IEnumerable<Measurement<int>> LiveAgents(AgentRegistry registry) =>
        registry.Current.Live.GroupBy(a => AgentRegistry.Name(a.Record.State))
            .Select(g => new Measurement<int>(g.Count(), new KeyValuePair<string, object?>("state", g.Key)));

    private static List<Measurement<long>> RunningJobs(SqliteDatabase database)
    {
        var running = new List<Measurement<long>>();
        try
        {
            using var connection = database.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT kind, count(*) FROM jobs WHERE state = 'running' GROUP BY kind";
            var counts = new Dictionary<string, long>(StringComparer.Ordinal);
            using (var reader = cmd.ExecuteReader())
                while (reader.Read())
                    counts[reader.GetString(0)] = reader.GetInt64(1);
            // Every kind, 0 when none runs: an alert on `== 0` or `absent()` needs the series before the first job.
            foreach (var kind in SandboxJobs.Kinds.Union(counts.Keys))
                running.Add(new Measurement<long>(counts.GetValueOrDefault(kind), new KeyValuePair<string, object?>("kind", kind)));
        }
        catch (SqliteException)
        {
            // As above: no sample.
        }
        return running;
    }
}
