using System.Collections.Concurrent;
using System.Text.Json;
using AgentCrm.Audit;
using AgentCrm.Storage;

namespace AgentCrm.Agents;

public sealed class AgentNotFoundException(string message) : Exception(message);

public sealed class AgentConflictException(string message) : Exception(message);

public sealed record RegisterResult(AgentVersionRecord Record, bool Created);

/// <summary>
/// The explicit registry of agent versions (hot-plug without start-up scanning). Every change is
/// durable before it is visible; <see cref="Current"/> is swapped atomically so the next actor turn sees
/// the new set and a turn in flight keeps the one it started with. Another process (the CLI) may change
/// the same database: <see cref="ReloadIfChangedAsync"/> notices through a version counter.
/// </summary>
public sealed partial class AgentRegistry
{
    private const string VersionKey = "registry.version";
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);
    private readonly SqliteDatabase _database;
    private readonly SqliteWriter _writer;
    private readonly AuditLog _audit;
    private readonly TimeProvider _time;
    private readonly ILogger<AgentRegistry> _logger;
    private readonly Dictionary<string, IAgentKind> _kinds;
    private readonly SemaphoreSlim _mutex = new(1, 1);
    // Changed under the mutex, read without it (lists, lookups, health): a concurrent dictionary, so a read during a
    // registration never meets a dictionary being resized (a plain one could throw or lose entries to the reader).
    private ConcurrentDictionary<(string, string), AgentVersionRecord> _records = new();
    private long _loadedVersion = -1;
    private AgentSet _current = AgentSet.Empty;

    public AgentRegistry(SqliteDatabase database, SqliteWriter writer, AuditLog audit, TimeProvider time, IEnumerable<IAgentKind> kinds, ILogger<AgentRegistry> logger)
    {
        _database = database;
        _writer = writer;
        _audit = audit;
        _time = time;
        _logger = logger;
        _kinds = kinds.ToDictionary(k => k.Name, StringComparer.Ordinal);
    }

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

    public IReadOnlyCollection<string> Kinds => _kinds.Keys;

    public bool Loaded => _loadedVersion >= 0;

    /// <summary>Loads the registry; on a first start registers and activates every built-in agent.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        Load();
        foreach (var kind in _kinds.Values)
            if (kind.BuiltIn is { } builtIn && !_records.Keys.Any(k => k.Item1 == builtIn.Id))
            {
                await RegisterAsync(builtIn, "system", cancellationToken);
                await PromoteAsync(builtIn.Id, builtIn.Version, "system", cancellationToken);
                LogBuiltIn(builtIn.Id, builtIn.Version);
            }
    }

    public IReadOnlyList<AgentVersionRecord> List() =>
        _records.Values.OrderBy(r => r.AgentId, StringComparer.Ordinal).ThenBy(r => r.CreatedAt).ToList();

    public IReadOnlyList<AgentVersionRecord> Versions(string agentId) =>
        _records.Values.Where(r => r.AgentId == agentId).OrderBy(r => r.CreatedAt).ToList();

    /// <summary>
    /// Validates the manifest with its kind and stores it as <c>registered</c>. With <paramref name="unlessUnregisteredAfter"/>
    /// (a <see cref="TransitionsSeq"/> read when the work that produced the manifest began, e.g. a fit), a new version is refused
    /// (<see cref="AgentConflictException"/>) if its agent was unregistered after that transition: checked in the transaction that
    /// inserts it, so an unregister that commits meanwhile — from this process or another (the CLI) — is never missed.
    /// </summary>
    public async Task<RegisterResult> RegisterAsync(AgentManifest manifest, string actor, CancellationToken cancellationToken = default, long? unlessUnregisteredAfter = null)
    {
        ManifestReader.Validate(manifest);
        if (!_kinds.TryGetValue(manifest.Kind, out var kind))
            throw new ManifestException("kind", $"Unknown kind '{manifest.Kind}'; registered kinds: {string.Join(", ", _kinds.Keys)}.");
        RegisterResult? result = null;
        try
        {
            return result = await RegisterCheckedAsync(manifest, kind, actor, cancellationToken, unlessUnregisteredAfter);
        }
        finally
        {
            // Checking the manifest may have loaded what the kind holds per version (a plugin's load context); a version refused,
            // or one that exists retired, holds it for nobody: released now, not at the next registry change.
            if (result is not { Created: true } && kind is IRetainingKind)
                await ReleaseUnusedAsync();
        }
    }

    /// <summary>Lets kinds that hold resources per version drop those no version that is not retired needs, between registry changes.</summary>
    public async Task ReleaseUnusedAsync()
    {
        await _mutex.WaitAsync(CancellationToken.None);
        try
        {
            ReleaseUnused();
        }
        finally
        {
            _mutex.Release();
        }
    }

    /// <summary>A registered version, or null.</summary>
    public AgentVersionRecord? TryFind(string agentId, string version) => _records.GetValueOrDefault((agentId, version));

    private async Task<RegisterResult> RegisterCheckedAsync(AgentManifest manifest, IAgentKind kind, string actor, CancellationToken cancellationToken, long? unlessUnregisteredAfter)
    {
        kind.Create(manifest);
        var hash = ManifestReader.ContentHash(manifest);

        await _mutex.WaitAsync(cancellationToken);
        try
        {
            ReloadIfChangedLocked();
            if (_records.TryGetValue((manifest.Id, manifest.Version), out var existing))
            {
                if (existing.ContentHash == hash)
                    return new(existing, false);
                throw new AgentConflictException($"{manifest.Id}@{manifest.Version} is already registered with different content ({existing.ContentHash}); versions are immutable, register a new version.");
            }
            var now = _time.GetUtcNow();
            var record = new AgentVersionRecord(manifest, hash, AgentState.Registered, now, now);
            await _writer.WriteAsync(ctx =>
            {
                if (unlessUnregisteredAfter is { } seq && UnregisteredAfter(ctx, manifest.Id, seq) is { } by)
                    throw new AgentConflictException($"{manifest.Id} was unregistered by {by} after the work that produced {manifest.Id}@{manifest.Version} began; the version is not registered.");
                var cmd = ctx.Command(
                    "INSERT INTO agent_versions (agent_id, version, kind, manifest, content_hash, state, created_at, updated_at) VALUES ($a, $v, $k, $m, $h, $s, $c, $c)",
                    "$a", "$v", "$k", "$m", "$h", "$s", "$c");
                cmd.Parameters["$a"].Value = manifest.Id;
                cmd.Parameters["$v"].Value = manifest.Version;
                cmd.Parameters["$k"].Value = manifest.Kind;
                cmd.Parameters["$m"].Value = JsonSerializer.Serialize(manifest, ManifestReader.Json);
                cmd.Parameters["$h"].Value = hash;
                cmd.Parameters["$s"].Value = Name(AgentState.Registered);
                cmd.Parameters["$c"].Value = now.ToString("O");
                cmd.ExecuteNonQuery();
                Transition(ctx, manifest.Id, manifest.Version, null, AgentState.Registered, actor, now, hash);
            });
            _records[(manifest.Id, manifest.Version)] = record;
            return new(record, true);
        }
        finally
        {
            _mutex.Release();
        }
    }

    /// <summary>The newest agent transition's seq (0 when none): pass it to <see cref="RegisterAsync"/> to refuse a version whose agent is unregistered after it.</summary>
    public long TransitionsSeq()
    {
        using var connection = _database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT coalesce(max(seq), 0) FROM agent_transitions";
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>Who unregistered <paramref name="agentId"/> after transition <paramref name="seq"/>, read in the writer's transaction (which holds the write lock); null if nobody did.</summary>
    private static string? UnregisteredAfter(WriteContext ctx, string agentId, long seq)
    {
        var cmd = ctx.Command("SELECT actor FROM agent_transitions WHERE agent_id = $a AND version IS NULL AND seq > $s ORDER BY seq LIMIT 1", "$a", "$s");
        cmd.Parameters["$a"].Value = agentId;
        cmd.Parameters["$s"].Value = seq;
        return cmd.ExecuteScalar() as string;
    }

    /// <summary>
    /// Makes a version active. With <paramref name="canaryPercent"/> 100 it becomes the agent's only
    /// active version (others are retired); below 100 it serves that share of customers beside the
    /// current primary version. The promotion gate is checked by the caller (<see cref="AgentCrm.Sandbox.Lifecycle"/>).
    /// </summary>
    public async Task<AgentVersionRecord> PromoteAsync(string agentId, string version, string actor, CancellationToken cancellationToken = default, int canaryPercent = 100)
    {
        if (CanaryPercentError(canaryPercent, nameof(canaryPercent)) is { } error)
            throw new ArgumentOutOfRangeException(nameof(canaryPercent), canaryPercent, error);
        await _mutex.WaitAsync(cancellationToken);
        try
        {
            ReloadIfChangedLocked();
            var target = Find(agentId, version);
            if (target.State == AgentState.Active && target.CanaryPercent == canaryPercent)
                return target;
            AgentTransitions.Ensure(LifecycleAction.Promote, target);
            var others = _records.Values.Where(r => r.AgentId == agentId && r.Version != version && r.State == AgentState.Active).ToList();
            var changes = new List<Change>();
            if (canaryPercent >= 100)
                changes.AddRange(others.Select(r => new Change(r, LifecycleAction.Retire, r.CanaryPercent)));
            else
            {
                if (target.State == AgentState.Active && target.CanaryPercent >= 100)
                    throw new AgentConflictException($"{agentId}@{version} is the active version, serving every customer; a canary shares customers between it and a newer version: promote that one with canaryPercent.");
                if (!others.Any(r => r.CanaryPercent >= 100))
                    throw new AgentConflictException($"{agentId} has no active version to share customers with; promote {version} with canaryPercent 100.");
                changes.AddRange(others.Where(r => r.CanaryPercent < 100).Select(r => new Change(r, LifecycleAction.Retire, r.CanaryPercent)));
            }
            changes.Add(new Change(target, LifecycleAction.Promote, canaryPercent));
            return (await ApplyAsync(changes, actor, cancellationToken)).Last();
        }
        finally
        {
            _mutex.Release();
        }
    }

    /// <summary>The one rule for a canary share (the API, the CLI and the registry apply it); <paramref name="name"/> is the field or flag to name.</summary>
    public static string? CanaryPercentError(int percent, string name) => percent is >= 1 and <= 100 ? null : $"{name} must be between 1 and 100.";

    /// <summary>Runs a version live without delivering its briefs; refused (409) for an active or retired version.</summary>
    public Task<AgentVersionRecord> ShadowAsync(string agentId, string version, string actor, CancellationToken cancellationToken = default) =>
        TransitionAsync(agentId, version, LifecycleAction.Shadow, actor, cancellationToken);

    /// <summary>Records that a version has a sandbox report (registered → evaluated; other states keep theirs).</summary>
    public async Task MarkEvaluatedAsync(string agentId, string version, string actor, CancellationToken cancellationToken = default)
    {
        if (AgentTransitions.Allows(LifecycleAction.Evaluate, Find(agentId, version).State))
            await TransitionAsync(agentId, version, LifecycleAction.Evaluate, actor, cancellationToken, onlyIfAllowed: true);
    }

    /// <summary>
    /// Undoes the latest promotion. During a canary that is the canary: it is retired and the primary version
    /// keeps serving every customer (returned). Otherwise the version the current one replaced is re-activated
    /// (returned) and the current one is retired.
    /// </summary>
    public async Task<AgentVersionRecord> RollbackAsync(string agentId, string actor, CancellationToken cancellationToken = default)
    {
        await _mutex.WaitAsync(cancellationToken);
        try
        {
            ReloadIfChangedLocked();
            if (!_records.Keys.Any(k => k.Item1 == agentId))
                throw new AgentNotFoundException($"No agent '{agentId}' is registered.");
            var actives = _records.Values.Where(r => r.AgentId == agentId && r.State == AgentState.Active).ToList();
            var primary = actives.FirstOrDefault(r => r.CanaryPercent >= 100);
            var canaries = actives.Where(r => r.CanaryPercent < 100).ToList();
            if (primary is not null && canaries.Count > 0)
            {
                await ApplyAsync(canaries.Select(r => new Change(r, LifecycleAction.Retire, r.CanaryPercent, Withdraw: true)).ToList(), actor, cancellationToken);
                return _records[(agentId, primary.Version)];
            }
            var previous = PreviousActive(agentId, primary, out var unregistered)
                ?? throw new AgentConflictException(unregistered
                    ? $"{agentId} was unregistered, and unregister is final: rollback re-activates none of the versions from before it. Register a new version to run the agent again."
                    : $"{agentId} has no previously active version to roll back to.");
            var changes = actives.Select(r => new Change(r, LifecycleAction.Retire, r.CanaryPercent, Withdraw: true)).ToList();
            changes.Add(new Change(Find(agentId, previous), LifecycleAction.Rollback, 100));
            return (await ApplyAsync(changes, actor, cancellationToken)).Last();
        }
        finally
        {
            _mutex.Release();
        }
    }

    /// <summary>
    /// Stops a version delivering (active → suspended) and re-activates the version that was active before
    /// it, if any; returns that fallback (null when none). The reason goes into the audit record.
    /// </summary>
    public async Task<AgentVersionRecord?> SuspendAsync(string agentId, string version, string actor, string reason, CancellationToken cancellationToken = default)
    {
        await _mutex.WaitAsync(cancellationToken);
        try
        {
            ReloadIfChangedLocked();
            var target = Find(agentId, version);
            // Auto-suspension may race with ops: a version no longer active has nothing to suspend.
            if (!AgentTransitions.Allows(LifecycleAction.Suspend, target.State))
                return null;
            var changes = new List<Change> { new(target, LifecycleAction.Suspend, target.CanaryPercent) };
            AgentVersionRecord? fallback = null;
            var othersActive = _records.Values.Any(r => r.AgentId == agentId && r.Version != version && r.State == AgentState.Active && r.CanaryPercent >= 100);
            // A suspended canary leaves the primary serving; a suspended primary hands over to the one it replaced.
            if (!othersActive && PreviousActive(agentId, target, out _) is { } previous)
            {
                fallback = Find(agentId, previous);
                changes.Add(new Change(fallback, LifecycleAction.Rollback, 100));
            }
            var applied = await ApplyAsync(changes, actor, cancellationToken, reason);
            return fallback is null ? null : applied.Last();
        }
        finally
        {
            _mutex.Release();
        }
    }

    /// <summary>One version, one action; already in the action's state is a no-op, <paramref name="onlyIfAllowed"/> makes a disallowed start one too.</summary>
    private async Task<AgentVersionRecord> TransitionAsync(string agentId, string version, LifecycleAction action, string actor, CancellationToken cancellationToken, bool onlyIfAllowed = false)
    {
        await _mutex.WaitAsync(cancellationToken);
        try
        {
            ReloadIfChangedLocked();
            var target = Find(agentId, version);
            if (target.State == AgentTransitions.Target(action) || (onlyIfAllowed && !AgentTransitions.Allows(action, target.State)))
                return target;
            return (await ApplyAsync([new Change(target, action, target.CanaryPercent)], actor, cancellationToken)).Last();
        }
        finally
        {
            _mutex.Release();
        }
    }

    /// <summary>
    /// The version <paramref name="current"/> replaced: the newest retired version that left the active state
    /// before <paramref name="current"/> was last promoted (any time when null). Re-activations by a rollback
    /// (from retired) do not count as promotions, and a promotion writes what it retires before its activation,
    /// so a rolled-back version or a pulled canary is never a later rollback's target: repeated rollbacks walk
    /// back through the promotions, and stop at the first. History stops at an unregister (<paramref name="unregistered"/>).
    /// </summary>
    private string? PreviousActive(string agentId, AgentVersionRecord? current, out bool unregistered)
    {
        unregistered = false;
        using var connection = _database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT version FROM agent_transitions
            WHERE agent_id = $a AND ((from_state = 'active' AND to_state <> 'active') OR version IS NULL)
              AND seq < coalesce((SELECT max(seq) FROM agent_transitions
                                  WHERE agent_id = $a AND version = $v AND to_state = 'active' AND from_state <> 'retired'), 9223372036854775807)
            ORDER BY seq DESC
            """;
        cmd.Parameters.AddWithValue("$a", agentId);
        cmd.Parameters.AddWithValue("$v", (object?)current?.Version ?? DBNull.Value);
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
            if (reader.IsDBNull(0))
            {
                unregistered = true;
                return null;
            }
            else if (reader.GetString(0) != current?.Version && _records.TryGetValue((agentId, reader.GetString(0)), out var r)
                && AgentTransitions.Allows(LifecycleAction.Rollback, r.State))
                return reader.GetString(0);
        return null;
    }

    /// <summary>
    /// Retires every version of an agent: no further briefs; turns in flight finish. Final: an agent-level
    /// transition (no version) ends its rollback history, so no rollback re-activates what ran before.
    /// </summary>
    public async Task<IReadOnlyList<AgentVersionRecord>> UnregisterAsync(string agentId, string actor, CancellationToken cancellationToken = default)
    {
        await _mutex.WaitAsync(cancellationToken);
        try
        {
            ReloadIfChangedLocked();
            var versions = _records.Values.Where(r => r.AgentId == agentId).ToList();
            if (versions.Count == 0)
                throw new AgentNotFoundException($"No agent '{agentId}' is registered.");
            var changes = versions.Where(r => r.State != AgentState.Retired).Select(r => new Change(r, LifecycleAction.Retire, r.CanaryPercent, Withdraw: true)).ToList();
            // Versions superseded earlier are withdrawn too: after an unregister the agent delivers nothing more.
            var superseded = versions.Where(r => r.State == AgentState.Retired).ToList();
            var alreadyUnregistered = changes.Count == 0 && PreviousActive(agentId, null, out var ended) is null && ended;
            await ApplyAsync(changes, actor, cancellationToken, also: alreadyUnregistered ? null : (ctx, at) =>
            {
                Unregistered(ctx, agentId, actor, at);
                foreach (var r in superseded)
                    Withdraw(ctx, r, at);
            });
            return Versions(agentId);
        }
        finally
        {
            _mutex.Release();
        }
    }

    /// <summary>An instance of a version, from its kind (for the sandbox; live turns use <see cref="Current"/>).</summary>
    public IAgent CreateAgent(AgentVersionRecord record) =>
        _kinds.TryGetValue(record.Manifest.Kind, out var kind)
            ? kind.Create(record.Manifest)
            : throw new ManifestException("kind", $"Kind '{record.Manifest.Kind}' is not in this build.");

    public AgentVersionRecord Find(string agentId, string version) =>
        TryFind(agentId, version) is { } r
            ? r
            : throw new AgentNotFoundException(_records.Keys.Any(k => k.Item1 == agentId)
                ? $"Agent '{agentId}' has no version '{version}'."
                : $"No agent '{agentId}' is registered.");

    /// <summary>Picks up changes another process made to the same database.</summary>
    public async Task ReloadIfChangedAsync(CancellationToken cancellationToken = default)
    {
        await _mutex.WaitAsync(cancellationToken);
        try
        {
            ReloadIfChangedLocked();
        }
        finally
        {
            _mutex.Release();
        }
    }

    /// <summary>Records a version as taken back: its briefs held for review are no longer delivered.</summary>
    private static void Withdraw(WriteContext ctx, AgentVersionRecord r, DateTimeOffset at) =>
        ctx.Execute("INSERT OR REPLACE INTO withdrawn_versions (agent_id, version, at) VALUES ($a, $v, $at)", ("$a", r.AgentId), ("$v", r.Version), ("$at", at.ToString("O")));

    /// <summary>One version's part in a lifecycle change: the action it undergoes and its canary share afterwards.</summary>
    /// <param name="Record">The version.</param>
    /// <param name="Action">What happens to it.</param>
    /// <param name="Canary">Its canary share afterwards.</param>
    /// <param name="Withdraw">
    /// The version is taken back, not superseded (rolled back, unregistered, suspended): its briefs held for review are no
    /// longer delivered (<c>withdrawn_versions</c>, read by the review queue). A superseded version's held briefs stay.
    /// </param>
    private sealed record Change(AgentVersionRecord Record, LifecycleAction Action, int Canary, bool Withdraw = false)
    {
        public AgentState To => AgentTransitions.Target(Action);
    }

    /// <summary>Checks every change against the transition table, then writes them in one transaction, in order.</summary>
    private async Task<List<AgentVersionRecord>> ApplyAsync(List<Change> changes, string actor, CancellationToken cancellationToken, string? reason = null, Action<WriteContext, DateTimeOffset>? also = null)
    {
        foreach (var change in changes)
            AgentTransitions.Ensure(change.Action, change.Record);
        var now = _time.GetUtcNow();
        await _writer.WriteAsync(ctx =>
        {
            foreach (var change in changes)
            {
                var (r, to, canary) = (change.Record, change.To, change.Canary);
                ctx.Execute("UPDATE agent_versions SET state = $s, canary_percent = $c, updated_at = $u WHERE agent_id = $a AND version = $v",
                    ("$s", Name(to)), ("$c", canary), ("$u", now.ToString("O")), ("$a", r.AgentId), ("$v", r.Version));
                Transition(ctx, r.AgentId, r.Version, r.State, to, actor, now, r.ContentHash, canary, reason);
                if (change.Withdraw || to == AgentState.Suspended)
                    Withdraw(ctx, r, now);
                else if (to == AgentState.Active)
                    ctx.Execute("DELETE FROM withdrawn_versions WHERE agent_id = $a AND version = $v", ("$a", r.AgentId), ("$v", r.Version));
            }
            also?.Invoke(ctx, now);
        }).WaitAsync(cancellationToken);
        var updated = new List<AgentVersionRecord>();
        foreach (var (r, to, canary) in changes.Select(c => (c.Record, c.To, c.Canary)))
        {
            var u = r with { State = to, UpdatedAt = now, CanaryPercent = canary };
            _records[(r.AgentId, r.Version)] = u;
            updated.Add(u);
            LogTransition(r.AgentId, r.Version, Name(r.State), Name(to), actor);
        }
        _loadedVersion = ReadVersion();
        await DrainAsync(Publish());
        ReleaseUnused();
        return updated;
    }

    /// <summary>Lets kinds that hold resources per version (plugin load contexts) drop those of retired versions; runs once no turn uses the previous set.</summary>
    private void ReleaseUnused()
    {
        var inUse = _records.Values.Where(r => r.State != AgentState.Retired).Select(r => r.Manifest).ToList();
        foreach (var kind in _kinds.Values.OfType<IRetainingKind>())
            kind.Retain(inUse);
    }

    private void Transition(WriteContext ctx, string agentId, string version, AgentState? from, AgentState to, string actor, DateTimeOffset at, string hash, int canaryPercent = 100, string? reason = null)
    {
        var cmd = ctx.Command(
            "INSERT INTO agent_transitions (agent_id, version, from_state, to_state, actor, at) VALUES ($a, $v, $f, $t, $w, $at)",
            "$a", "$v", "$f", "$t", "$w", "$at");
        cmd.Parameters["$a"].Value = agentId;
        cmd.Parameters["$v"].Value = version;
        cmd.Parameters["$f"].Value = from is { } f ? Name(f) : DBNull.Value;
        cmd.Parameters["$t"].Value = Name(to);
        cmd.Parameters["$w"].Value = actor;
        cmd.Parameters["$at"].Value = at.ToString("O");
        cmd.ExecuteNonQuery();
        var bump = ctx.Command("INSERT INTO meta (key, value) VALUES ($k, '1') ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1", "$k");
        bump.Parameters["$k"].Value = VersionKey;
        bump.ExecuteNonQuery();
        _audit.Append(ctx, actor, from is null ? "agent.registered" : $"agent.{Name(to)}", $"agent:{agentId}@{version}",
            new Dictionary<string, object?> { ["from"] = from is { } f2 ? Name(f2) : null, ["to"] = Name(to), ["contentHash"] = hash, ["canaryPercent"] = canaryPercent, ["reason"] = reason }, at);
    }

    /// <summary>The agent-level transition an unregister writes (no version): where rollback history ends.</summary>
    private void Unregistered(WriteContext ctx, string agentId, string actor, DateTimeOffset at)
    {
        ctx.Execute("INSERT INTO agent_transitions (agent_id, version, from_state, to_state, actor, at) VALUES ($a, NULL, NULL, $t, $w, $at)",
            ("$a", agentId), ("$t", Name(AgentState.Retired)), ("$w", actor), ("$at", at.ToString("O")));
        _audit.Append(ctx, actor, "agent.unregistered", $"agent:{agentId}", new Dictionary<string, object?>(), at);
    }

    private void ReloadIfChangedLocked()
    {
        if (ReadVersion() != _loadedVersion)
            Load();
    }

    private long ReadVersion()
    {
        using var connection = _database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT value FROM meta WHERE key = $k";
        cmd.Parameters.AddWithValue("$k", VersionKey);
        return cmd.ExecuteScalar() is string s ? long.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    private void Load()
    {
        var version = ReadVersion();
        var records = new Dictionary<(string, string), AgentVersionRecord>();
        using (var connection = _database.Open())
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "SELECT manifest, content_hash, state, created_at, updated_at, canary_percent FROM agent_versions";
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                var manifest = JsonSerializer.Deserialize<AgentManifest>(reader.GetString(0), ManifestReader.Json)!;
                var record = new AgentVersionRecord(manifest, reader.GetString(1), Enum.Parse<AgentState>(reader.GetString(2), ignoreCase: true),
                    DateTimeOffset.Parse(reader.GetString(3), System.Globalization.CultureInfo.InvariantCulture),
                    DateTimeOffset.Parse(reader.GetString(4), System.Globalization.CultureInfo.InvariantCulture), reader.GetInt32(5));
                records[(manifest.Id, manifest.Version)] = record;
            }
        }
        _records = new ConcurrentDictionary<(string, string), AgentVersionRecord>(records);
        _loadedVersion = version;
        _ = DrainAsync(Publish());
    }

    /// <summary>Waits (bounded) for turns still running on the replaced set.</summary>
    private async Task DrainAsync(AgentSet replaced)
    {
        var drained = replaced.ReplaceAndDrainAsync();
        if (await Task.WhenAny(drained, Task.Delay(DrainTimeout, _time)) != drained)
            LogDrainTimeout(DrainTimeout.TotalSeconds);
    }

    /// <summary>Swaps in the set of active versions; returns the one it replaced.</summary>
    private AgentSet Publish()
    {
        var live = new List<LiveAgent>();
        foreach (var r in _records.Values.Where(r => r.State is AgentState.Active or AgentState.Shadow).OrderBy(r => r.AgentId, StringComparer.Ordinal).ThenBy(r => r.Version, StringComparer.Ordinal))
        {
            if (!_kinds.TryGetValue(r.Manifest.Kind, out var kind))
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

    public static string Name(AgentState state) => JsonNamingPolicy.CamelCase.ConvertName(state.ToString());

    [LoggerMessage(Level = LogLevel.Information, Message = "Built-in agent {AgentId}@{Version} registered and activated")]
    private partial void LogBuiltIn(string agentId, string version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent {AgentId}@{Version}: {From} -> {To} by {Actor}")]
    private partial void LogTransition(string agentId, string version, string from, string to, string actor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Turns on the previous agent set did not finish within {Seconds} s; the change is in effect for new turns")]
    private partial void LogDrainTimeout(double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Agent {AgentId}@{Version} cannot be created and does not run: {Reason}")]
    private partial void LogCannotRun(string agentId, string version, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {AgentId}@{Version} has kind {Kind}, which this build does not have; it does not run")]
    private partial void LogUnknownKind(string agentId, string version, string kind);
}
