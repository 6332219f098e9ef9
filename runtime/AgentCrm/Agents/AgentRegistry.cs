using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text.Json;
using AgentCrm.Audit;
using AgentCrm.Storage;

namespace AgentCrm.Agents;

public sealed record RegisterResult(AgentVersionRecord Record, bool Created);

/// <summary>
/// The explicit registry of agent versions (hot-plug without start-up scanning). Every change is
/// durable before it is visible; <see cref="Current"/> is swapped atomically so the next actor turn sees
/// the new set and a turn in flight keeps the one it started with. Another process (the CLI) may change
/// the same database: <see cref="ReloadIfChangedAsync"/> notices through a version counter.
/// </summary>
public sealed partial class AgentRegistry
{
    private readonly RegistryTables _tables;
    private readonly SqliteWriter _writer;
    private readonly TimeProvider _time;
    private readonly ILogger<AgentRegistry> _logger;
    private readonly Dictionary<string, IAgentKind> _kinds;
    private readonly LiveAgents _live;
    private readonly SemaphoreSlim _mutex = new(1, 1);
    // Changed under the mutex, read without it (lists, lookups, health): a concurrent dictionary, so a read during a
    // registration never meets a dictionary being resized (a plain one could throw or lose entries to the reader).
    private ConcurrentDictionary<(string, string), AgentVersionRecord> _records = new();
    private long _loadedVersion = -1;
    // Cooldown days by mark owner (an agent id: the longest of its stored versions; "id@version": that version's), rebuilt
    // whenever the records are (a version is added or the registry reloaded; a version's manifest never changes).
    private volatile FrozenDictionary<string, double> _cooldowns = FrozenDictionary<string, double>.Empty;

    public AgentRegistry(SqliteDatabase database, SqliteWriter writer, AuditLog audit, TimeProvider time, IEnumerable<IAgentKind> kinds, ILogger<AgentRegistry> logger)
    {
        _tables = new RegistryTables(database, audit);
        _writer = writer;
        _time = time;
        _logger = logger;
        _kinds = kinds.ToDictionary(k => k.Name, StringComparer.Ordinal);
        _live = new LiveAgents(_kinds, time, logger);
    }

    public AgentSet Current => _live.Current;

    /// <inheritdoc cref="LiveAgents.Enter"/>
    public AgentSetLease Enter() => _live.Enter();

    public IReadOnlyCollection<string> Kinds => _kinds.Keys;

    /// <summary>The kind named <paramref name="name"/>, or null when this build has none of that name.</summary>
    public IAgentKind? Kind(string name) => _kinds.GetValueOrDefault(name);

    public bool Loaded => _loadedVersion >= 0;

    /// <summary>
    /// Loads the registry. On a first start registers and activates every built-in agent. On a directory that already holds
    /// the agent, a built-in version this build ships and the directory lacks is registered (not promoted: a CSM's briefs
    /// change only through the gate) by <see cref="UpgradeActor"/>, so an upgraded deployment gets the build's fixes to
    /// evaluate — unless ops unregistered the agent (left so), or that id@version is stored with other content (a warning:
    /// a version's content never changes).
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        // Read before the load: an unregister another process commits after it refuses a shipped version's registration.
        var loadedAt = _tables.TransitionsSeq();
        Load();
        foreach (var kind in _kinds.Values)
        {
            if (kind.BuiltIn is not { } builtIn)
                continue;
            if (!_records.Keys.Any(k => k.Item1 == builtIn.Id))
            {
                await RegisterAsync(builtIn, "system", cancellationToken, submitted: false);
                await PromoteAsync(builtIn.Id, builtIn.Version, "system", cancellationToken);
                LogBuiltIn(builtIn.Id, builtIn.Version);
            }
            else if (!_records.ContainsKey((builtIn.Id, builtIn.Version)) || _records[(builtIn.Id, builtIn.Version)].ContentHash != ManifestReader.ContentHash(builtIn))
                await RegisterShippedAsync(builtIn, loadedAt, cancellationToken);
        }
    }

    /// <summary>Who registers a built-in version a later build ships on a directory an earlier build started.</summary>
    public const string UpgradeActor = "system:upgrade";

    private async Task RegisterShippedAsync(AgentManifest builtIn, long loadedAt, CancellationToken cancellationToken)
    {
        if (Unregistered(builtIn.Id))
            return;
        try
        {
            if ((await RegisterAsync(builtIn, UpgradeActor, cancellationToken, unlessUnregisteredAfter: loadedAt, submitted: false)).Created)
                LogBuiltInUpgrade(builtIn.Id, builtIn.Version);
        }
        catch (AgentConflictException ex) when (ex.Field is null)
        {
            // Unregistered by another process since the load: left so.
        }
        catch (AgentConflictException)
        {
            LogBuiltInConflict(builtIn.Id, builtIn.Version, _records.TryGetValue((builtIn.Id, builtIn.Version), out var stored) ? stored.ContentHash : "?",
                ManifestReader.ContentHash(builtIn));
        }
    }

    /// <summary>Whether the agent's latest end was an unregister by ops, with no version live since.</summary>
    private bool Unregistered(string agentId)
    {
        if (_records.Values.Any(r => r.AgentId == agentId && r.State != AgentState.Retired))
            return false;
        PreviousActive(agentId, null, out var unregistered, out _);
        return unregistered;
    }

    public IReadOnlyList<AgentVersionRecord> List() =>
        _records.Values.OrderBy(r => r.AgentId, StringComparer.Ordinal).ThenBy(r => r.CreatedAt).ToList();

    public IReadOnlyList<AgentVersionRecord> Versions(string agentId) =>
        _records.Values.Where(r => r.AgentId == agentId).OrderBy(r => r.CreatedAt).ToList();

    /// <summary>
    /// Validates the manifest with its kind and stores it as <c>registered</c>; a version already stored with the same content
    /// is answered unchanged (<see cref="RegisterResult.Created"/> false) without the checks added for new manifests
    /// (<see cref="INewManifestCheck"/>, and with <paramref name="submitted"/> <see cref="ManifestReader.CheckSubmitted"/>), so a
    /// deploy re-applying the manifests it stored under an earlier build still succeeds. <paramref name="submitted"/> is false
    /// for a version built from a stored one (a fit), whose generic fields it inherits, and for a built-in version. With <paramref name="unlessUnregisteredAfter"/>
    /// (a <see cref="TransitionsSeq"/> read when the work that produced the manifest began, e.g. a fit), a new version is refused
    /// (<see cref="AgentConflictException"/>) if its agent was unregistered after that transition: checked in the transaction that
    /// inserts it, so an unregister that commits meanwhile — from this process or another (the CLI) — is never missed.
    /// With <paramref name="moveIfTaken"/> the version was chosen for the caller (a fit's next minor version), not asked for: if
    /// another process (a CLI fit beside the server, a registration) stored that version with other content, the manifest is
    /// registered under the next minor version above it that is not stored and that <paramref name="moveIfTaken"/> does not say
    /// another fit holds, decided in the transaction that inserts it (the result's record names the version registered).
    /// <paramref name="registered"/> is written in the transaction that stores the version, or that finds it stored with this
    /// content (a fit's job records which version is its own).
    /// </summary>
    public async Task<RegisterResult> RegisterAsync(AgentManifest manifest, string actor, CancellationToken cancellationToken = default, long? unlessUnregisteredAfter = null,
        bool submitted = true, Func<WriteContext, string, bool>? moveIfTaken = null, Action<WriteContext, string>? registered = null)
    {
        ManifestReader.Validate(manifest);
        if (!_kinds.TryGetValue(manifest.Kind, out var kind))
            throw new ManifestException("kind", $"Unknown kind '{manifest.Kind}'; registered kinds: {string.Join(", ", _kinds.Keys)}.");
        RegisterResult? result = null;
        try
        {
            return result = await RegisterCheckedAsync(manifest, kind, actor, cancellationToken, unlessUnregisteredAfter, submitted, moveIfTaken, registered);
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
            _live.ReleaseUnused(_records.Values);
        }
        finally
        {
            _mutex.Release();
        }
    }

    /// <summary>A registered version, or null.</summary>
    public AgentVersionRecord? TryFind(string agentId, string version) => _records.GetValueOrDefault((agentId, version));

    /// <summary>
    /// The longest cooldown any stored version of agent <paramref name="owner"/> declares (retired ones too: a rollback may serve
    /// them again), or, for <c>id@version</c>, that version's; null when none is stored. A lookup in a map built when the records
    /// change, without allocating: every customer turn that saves marks asks, once per mark.
    /// </summary>
    public double? LongestCooldownDays(ReadOnlySpan<char> owner) =>
        _cooldowns.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(owner, out var days) ? days : null;

    private void IndexCooldowns()
    {
        var map = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (_, r) in _records)
        {
            var days = r.Manifest.CooldownDays;
            map[$"{r.AgentId}@{r.Version}"] = days;
            if (!map.TryGetValue(r.AgentId, out var longest) || days > longest)
                map[r.AgentId] = days;
        }
        _cooldowns = map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private async Task<RegisterResult> RegisterCheckedAsync(AgentManifest manifest, IAgentKind kind, string actor, CancellationToken cancellationToken, long? unlessUnregisteredAfter,
        bool submitted, Func<WriteContext, string, bool>? moveIfTaken, Action<WriteContext, string>? registered)
    {
        var hash = ManifestReader.ContentHash(manifest);
        if (registered is null && await StoredAsync(manifest, hash, cancellationToken) is { } unchanged)
            return new(unchanged, false);
        if (submitted)
            ManifestReader.CheckSubmitted(manifest);
        if (kind is INewManifestCheck check)
            check.CheckNew(manifest);
        else
            kind.Create(manifest);

        await _mutex.WaitAsync(cancellationToken);
        try
        {
            ReloadIfChangedLocked();
            if (_records.TryGetValue((manifest.Id, manifest.Version), out var existing))
            {
                // The same content: answered as it is (with a callback, found again in a transaction that runs it).
                if (existing.ContentHash == hash)
                {
                    if (registered is null)
                        return new(existing, false);
                }
                else if (moveIfTaken is null)
                    throw Taken(manifest.Id, manifest.Version, existing.ContentHash);
            }
            var now = _time.GetUtcNow();
            // Decided again in the transaction (it holds the write lock): another process may have stored the version since the load.
            var (stored, storedHash, created) = await _writer.WriteAsync(ctx =>
            {
                if (unlessUnregisteredAfter is { } seq && RegistryTables.UnregisteredAfter(ctx, manifest.Id, seq) is { } by)
                    throw new AgentConflictException($"{manifest.Id} was unregistered by {by} after the work that produced {manifest.Id}@{manifest.Version} began; the version is not registered.");
                var (candidate, candidateHash) = (manifest, hash);
                while (RegistryTables.ContentHashOf(ctx, candidate.Id, candidate.Version) is { } taken)
                {
                    // The same content under this version: registered already (by this very work before a restart, or another process).
                    if (taken == candidateHash)
                    {
                        registered?.Invoke(ctx, candidate.Version);
                        return (candidate, candidateHash, false);
                    }
                    if (moveIfTaken is null)
                        throw Taken(candidate.Id, candidate.Version, taken);
                    do
                        candidate = candidate with { Version = NextMinor(candidate.Version) };
                    while (moveIfTaken(ctx, candidate.Version));
                    candidateHash = ManifestReader.ContentHash(candidate);
                }
                RegistryTables.Insert(ctx, candidate, candidateHash, now);
                registered?.Invoke(ctx, candidate.Version);
                _tables.Transition(ctx, candidate.Id, candidate.Version, null, AgentState.Registered, actor, now, candidateHash, reason: candidate.Version == manifest.Version ? null
                    : $"{manifest.Id}@{manifest.Version}, the version chosen for it, was taken meanwhile by another fit or a registration");
                return (candidate, candidateHash, true);
            });
            if (!created)
            {
                // Stored by another process: read back as the registry holds it.
                ReloadIfChangedLocked();
                return new(_records.GetValueOrDefault((stored.Id, stored.Version)) ?? new AgentVersionRecord(stored, storedHash, AgentState.Registered, now, now), false);
            }
            var record = new AgentVersionRecord(stored, storedHash, AgentState.Registered, now, now);
            _records[(stored.Id, stored.Version)] = record;
            IndexCooldowns();
            return new(record, true);
        }
        finally
        {
            _mutex.Release();
        }
    }

    private static AgentConflictException Taken(string agentId, string version, string storedHash) =>
        new($"{agentId}@{version} is already registered with different content ({storedHash}); versions are immutable, register a new version.", "version");

    /// <summary>One minor version above <paramref name="version"/> (<c>1.5.0</c> → <c>1.6.0</c>; a suffix is dropped).</summary>
    public static string NextMinor(string version)
    {
        var parsed = System.Version.TryParse(version.Split('-')[0], out var v) ? v : new System.Version(0, 0, 0);
        return $"{parsed.Major}.{parsed.Minor + 1}.0";
    }

    /// <summary>The stored version with <paramref name="manifest"/>'s id, version and content hash; null when there is none.</summary>
    private async Task<AgentVersionRecord?> StoredAsync(AgentManifest manifest, string hash, CancellationToken cancellationToken)
    {
        await _mutex.WaitAsync(cancellationToken);
        try
        {
            ReloadIfChangedLocked();
            return _records.TryGetValue((manifest.Id, manifest.Version), out var existing) && existing.ContentHash == hash ? existing : null;
        }
        finally
        {
            _mutex.Release();
        }
    }

    /// <summary>The newest agent transition's seq (0 when none): pass it to <see cref="RegisterAsync"/> to refuse a version whose agent is unregistered after it.</summary>
    public long TransitionsSeq() => _tables.TransitionsSeq();

    /// <summary>
    /// Makes a version active. With <paramref name="canaryPercent"/> 100 it becomes the agent's only
    /// active version (others are retired); below 100 it serves that share of customers beside the
    /// current primary version. The promotion gate is checked by the caller (<see cref="AgentCrm.Sandbox.Lifecycle"/>).
    /// </summary>
    public async Task<AgentVersionRecord> PromoteAsync(string agentId, string version, string actor, CancellationToken cancellationToken = default, int canaryPercent = 100)
    {
        if (CanaryPercentError(canaryPercent, nameof(canaryPercent)) is { } error)
            throw new ArgumentOutOfRangeException(nameof(canaryPercent), canaryPercent, error);
        return await ChangeAsync(async () =>
        {
            var target = Find(agentId, version);
            var others = _records.Values.Where(r => r.AgentId == agentId && r.Version != version && r.State == AgentState.Active).ToList();
            if (target.State == AgentState.Active && target.CanaryPercent == canaryPercent)
            {
                // Already serving that share. At 100 it is then the only active version, as after any promotion at 100: a canary
                // beside it is retired (qa45b F4). The version itself gets no transition: it was not promoted again, and a
                // promotion's transition would move where the rollback history looks back from.
                if (canaryPercent < 100 || others.Count == 0)
                    return target;
                await ApplyAsync(others.Select(r => new Change(r, LifecycleAction.Retire, r.CanaryPercent)).ToList(), actor,
                    $"promote: {agentId}@{version} serves every customer; canary {string.Join(", ", others.Select(r => r.Version))} retired");
                return _records[(agentId, version)];
            }
            AgentTransitions.Ensure(LifecycleAction.Promote, target);
            var changes = new List<Change>();
            if (canaryPercent >= 100)
                changes.AddRange(others.Select(r => new Change(r, LifecycleAction.Retire, r.CanaryPercent)));
            else
            {
                if (target.State == AgentState.Active && target.CanaryPercent >= 100)
                    throw new AgentConflictException($"{agentId}@{version} is the active version, serving every customer; a canary shares customers between it and a newer version: promote that one with canaryPercent (the CLI's --canary).");
                if (!others.Any(r => r.CanaryPercent >= 100))
                    throw new AgentConflictException($"{agentId} has no active version to share customers with; promote {version} with canaryPercent 100 (the CLI's default).");
                changes.AddRange(others.Where(r => r.CanaryPercent < 100).Select(r => new Change(r, LifecycleAction.Retire, r.CanaryPercent)));
            }
            changes.Add(new Change(target, LifecycleAction.Promote, canaryPercent));
            return (await ApplyAsync(changes, actor)).Last();
        }, cancellationToken);
    }

    /// <summary>The one rule for a canary share (the API, the CLI and the registry apply it); <paramref name="name"/> is the field or flag to name.</summary>
    public static string? CanaryPercentError(int percent, string name) => percent is >= 1 and <= 100 ? null : $"{name} must be between 1 and 100.";

    /// <summary>Runs a version live without delivering its briefs; refused (409) for an active or retired version.</summary>
    public Task<AgentVersionRecord> ShadowAsync(string agentId, string version, string actor, CancellationToken cancellationToken = default) =>
        TransitionAsync(agentId, version, LifecycleAction.Shadow, actor, cancellationToken);

    /// <summary>
    /// Stores a version's sandbox report (<paramref name="writeReport"/>) and, in the same transaction, marks the version
    /// evaluated (registered → evaluated; other states keep theirs): a report is never stored without its mark, nor the mark
    /// without its report. Not the caller's token: a report replayed is stored whether or not its client stays. With
    /// <paramref name="unlessUnregisteredAfter"/> (a <see cref="TransitionsSeq"/> read when the evaluation began) neither is
    /// stored if the agent was unregistered after it (<see cref="AgentConflictException"/>): checked in their transaction, so an
    /// unregister another process (the server, beside a CLI evaluation) commits meanwhile is never missed.
    /// </summary>
    public Task RecordEvaluationAsync(string agentId, string version, string actor, Action<WriteContext> writeReport, long? unlessUnregisteredAfter = null) =>
        TransitionAsync(agentId, version, LifecycleAction.Evaluate, actor, CancellationToken.None, onlyIfAllowed: true, also: ctx =>
        {
            if (unlessUnregisteredAfter is { } seq && RegistryTables.UnregisteredAfter(ctx, agentId, seq) is { } by)
                throw new AgentConflictException($"{agentId} was unregistered while {agentId}@{version} was evaluated (by {by}); no report stored.");
            writeReport(ctx);
        });

    /// <summary>
    /// Undoes the latest promotion. During a canary that is the canary: it is retired and the primary version
    /// keeps serving every customer (returned). Otherwise the version the current one replaced is re-activated
    /// (returned) and the current one is retired.
    /// </summary>
    public Task<AgentVersionRecord> RollbackAsync(string agentId, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(async () =>
        {
            if (!_records.Keys.Any(k => k.Item1 == agentId))
                throw new AgentNotFoundException($"No agent '{agentId}' is registered.");
            var actives = _records.Values.Where(r => r.AgentId == agentId && r.State == AgentState.Active).ToList();
            var primary = actives.FirstOrDefault(r => r.CanaryPercent >= 100);
            var canaries = actives.Where(r => r.CanaryPercent < 100).ToList();
            if (primary is not null && canaries.Count > 0)
            {
                await ApplyAsync(canaries.Select(r => new Change(r, LifecycleAction.Retire, r.CanaryPercent, Withdraw: true)).ToList(), actor,
                    $"rollback: canary {string.Join(", ", canaries.Select(c => c.Version))} pulled, {primary.Version} keeps serving");
                return _records[(agentId, primary.Version)];
            }
            // No primary beside a canary (a directory from a build that left a suspended primary's canary at its share): the
            // canary is the latest promotion, and what ran before it is the target.
            var current = primary ?? canaries.FirstOrDefault();
            var previous = PreviousActive(agentId, current, out var unregistered, out var notRetired)
                ?? throw new AgentConflictException(NoRollbackTarget(agentId, current, unregistered, notRetired));
            var changes = actives.Select(r => new Change(r, LifecycleAction.Retire, r.CanaryPercent, Withdraw: true)).ToList();
            changes.Add(new Change(Find(agentId, previous), LifecycleAction.Rollback, 100));
            var from = string.Join(", ", actives.Select(r => r.Version));
            return (await ApplyAsync(changes, actor, $"rollback: {(from.Length > 0 ? from : "no version active")} rolled back to {previous}")).Last();
        }, cancellationToken);

    /// <summary>Why there is nothing to roll back to, and what to do instead.</summary>
    private static string NoRollbackTarget(string agentId, AgentVersionRecord? current, bool unregistered, AgentVersionRecord? notRetired) =>
        (unregistered, current, notRetired) switch
        {
            (true, null, _) => $"{agentId} was unregistered, and unregister is final: rollback re-activates none of the versions from before it. Register a new version to run the agent again.",
            (true, { } c, _) => $"{agentId}@{c.Version} is the first version since {agentId} was unregistered; there is no earlier version to roll back to (unregister is final).",
            (_, _, { } n) => $"{agentId} has no previously active version to roll back to: {agentId}@{n.Version} is {Name(n.State)} (it was the one active before " +
                $"{(current is null ? "now" : $"{agentId}@{current.Version}")}); promote it to run it again.",
            _ => $"{agentId} has no previously active version to roll back to.",
        };

    /// <summary>
    /// Stops a version delivering (active → suspended) and re-activates the version that was active before
    /// it, if any, or else gives a canary every customer; returns that fallback (null when none). The reason goes into the
    /// audit record.
    /// </summary>
    public Task<AgentVersionRecord?> SuspendAsync(string agentId, string version, string actor, string reason, CancellationToken cancellationToken = default) =>
        ChangeAsync(async () =>
        {
            var target = Find(agentId, version);
            // Auto-suspension may race with ops: a version no longer active has nothing to suspend.
            if (!AgentTransitions.Allows(LifecycleAction.Suspend, target.State))
                return (AgentVersionRecord?)null;
            var changes = new List<Change> { new(target, LifecycleAction.Suspend, target.CanaryPercent) };
            AgentVersionRecord? fallback = null;
            var othersActive = _records.Values.Any(r => r.AgentId == agentId && r.Version != version && r.State == AgentState.Active && r.CanaryPercent >= 100);
            var canary = _records.Values.Where(r => r.AgentId == agentId && r.Version != version && r.State == AgentState.Active && r.CanaryPercent < 100)
                .OrderByDescending(r => r.UpdatedAt).FirstOrDefault();
            // A suspended canary leaves the primary serving; a suspended primary hands over to the one it replaced, beside
            // which a canary keeps its share; without one, the canary takes every customer (it would anyway: routing sends
            // a customer to the primary only while there is one), and says so in its share.
            if (!othersActive && PreviousActive(agentId, target, out _, out _) is { } previous)
            {
                fallback = Find(agentId, previous);
                changes.Add(new Change(fallback, LifecycleAction.Rollback, 100));
            }
            else if (!othersActive && canary is not null)
            {
                fallback = canary;
                changes.Add(new Change(canary, LifecycleAction.Promote, 100));
            }
            var applied = await ApplyAsync(changes, actor, reason);
            return fallback is null ? null : applied.Last();
        }, cancellationToken);

    /// <summary>
    /// One version, one action; already in the action's state is a no-op, <paramref name="onlyIfAllowed"/> makes a disallowed
    /// start one too. <paramref name="also"/> is written in the transition's transaction, or alone when there is none.
    /// </summary>
    private Task<AgentVersionRecord> TransitionAsync(string agentId, string version, LifecycleAction action, string actor, CancellationToken cancellationToken,
        bool onlyIfAllowed = false, Action<WriteContext>? also = null) =>
        ChangeAsync(async () =>
        {
            var target = Find(agentId, version);
            if (target.State == AgentTransitions.Target(action) || (onlyIfAllowed && !AgentTransitions.Allows(action, target.State)))
            {
                if (also is not null)
                    await _writer.WriteAsync(also);
                return target;
            }
            return (await ApplyAsync([new Change(target, action, target.CanaryPercent)], actor, also: also is null ? null : (ctx, _) => also(ctx))).Last();
        }, cancellationToken);

    /// <summary>
    /// The version <paramref name="current"/> replaced, if it can serve again: the last version that left the active state
    /// (serving every customer) before <paramref name="current"/> was last promoted (any time when null), when it is retired.
    /// That one only: one that is not retired now (suspended: <paramref name="notRetired"/>; or <paramref name="current"/>
    /// itself, resumed with nothing active) means <paramref name="current"/> replaced nothing that can serve, and the history is
    /// never walked past it — behind it lies the retirement a rollback wrote for the version it undid (qa45b F1). Re-activations
    /// by a rollback (from retired) do not count as promotions, and a promotion writes what it retires before its activation,
    /// so a rolled-back version or a pulled canary is never a later rollback's target: repeated rollbacks walk back through the
    /// promotions, and stop at the first. History stops at an unregister (<paramref name="unregistered"/>).
    /// </summary>
    private string? PreviousActive(string agentId, AgentVersionRecord? current, out bool unregistered, out AgentVersionRecord? notRetired)
    {
        (unregistered, notRetired) = (false, null);
        if (!_tables.TryLeftActiveBefore(agentId, current?.Version, out var left))
            return null;
        if (left is null)
        {
            unregistered = true;
            return null;
        }
        if (left == current?.Version || !_records.TryGetValue((agentId, left), out var r))
            return null;
        if (AgentTransitions.Allows(LifecycleAction.Rollback, r.State))
            // rev45a: retired by a rollback (taken back, not superseded) since it left: ops rolled it back; never a target.
            return _tables.IsWithdrawn(agentId, left) ? null : left;
        notRetired = r;
        return null;
    }

    /// <summary>
    /// Retires every version of an agent: no further briefs; turns in flight finish. Final: an agent-level
    /// transition (no version) ends its rollback history, so no rollback re-activates what ran before.
    /// </summary>
    public Task<IReadOnlyList<AgentVersionRecord>> UnregisterAsync(string agentId, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(async () =>
        {
            var versions = _records.Values.Where(r => r.AgentId == agentId).ToList();
            if (versions.Count == 0)
                throw new AgentNotFoundException($"No agent '{agentId}' is registered.");
            var changes = versions.Where(r => r.State != AgentState.Retired).Select(r => new Change(r, LifecycleAction.Retire, r.CanaryPercent, Withdraw: true)).ToList();
            // Versions superseded earlier are withdrawn too: after an unregister the agent delivers nothing more.
            var superseded = versions.Where(r => r.State == AgentState.Retired).ToList();
            var alreadyUnregistered = changes.Count == 0 && PreviousActive(agentId, null, out var ended, out _) is null && ended;
            await ApplyAsync(changes, actor, also: alreadyUnregistered ? null : (ctx, at) =>
            {
                _tables.Unregistered(ctx, agentId, actor, at);
                foreach (var r in superseded)
                    RegistryTables.Withdraw(ctx, r, at);
            });
            return Versions(agentId);
        }, cancellationToken);

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

    /// <summary>
    /// Refuses work for a version of an agent ops unregistered, with nothing registered since (<see cref="AgentConflictException"/>):
    /// unregister is final, none of its versions can be promoted or rolled back to again, so an evaluation of one would serve nothing.
    /// Read after picking up another process's changes (a CLI unregister beside the server).
    /// </summary>
    public async Task EnsureNotUnregisteredAsync(string agentId, CancellationToken cancellationToken = default)
    {
        await _mutex.WaitAsync(cancellationToken);
        try
        {
            ReloadIfChangedLocked();
            if (Unregistered(agentId))
                throw new AgentConflictException($"{agentId} was unregistered, and unregister is final: none of its versions can be promoted again, so an evaluation would serve nothing. Register a new version to evaluate it.");
        }
        finally
        {
            _mutex.Release();
        }
    }

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

    /// <summary>Decisions of one lifecycle change at most, each after another process changed the registry under the one before.</summary>
    private const int MaxDecisions = 5;

    /// <summary>
    /// Runs a lifecycle change under the mutex: <paramref name="decideAndApply"/> decides from the records as loaded and applies
    /// (<see cref="ApplyAsync"/>), which refuses to write if another process (the CLI beside the server) changed the registry
    /// since they were loaded; it is then decided again from what that process wrote (a promote after its unregister is
    /// refused, a promote after its promote retires the version it made active).
    /// </summary>
    private async Task<T> ChangeAsync<T>(Func<Task<T>> decideAndApply, CancellationToken cancellationToken)
    {
        await _mutex.WaitAsync(cancellationToken);
        try
        {
            for (var decision = 1; ; decision++)
            {
                ReloadIfChangedLocked();
                try
                {
                    return await decideAndApply();
                }
                catch (RegistryChangedException) when (decision < MaxDecisions)
                {
                }
                catch (RegistryChangedException)
                {
                    throw new AgentConflictException($"Another process changed the agents each time this change was about to be written ({MaxDecisions} times); nothing was changed. Try again.");
                }
            }
        }
        finally
        {
            _mutex.Release();
        }
    }

    /// <summary>The registry's change counter moved between the load a change was decided from and its transaction.</summary>
    private sealed class RegistryChangedException : Exception;

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
    private async Task<List<AgentVersionRecord>> ApplyAsync(List<Change> changes, string actor, string? reason = null, Action<WriteContext, DateTimeOffset>? also = null)
    {
        foreach (var change in changes)
            AgentTransitions.Ensure(change.Action, change.Record);
        var now = _time.GetUtcNow();
        var decidedOn = _loadedVersion;
        // Not the caller's token: a queued write commits whether or not its client stays, so the registry waits for it (and
        // holds the mutex) until it has; the next change used to plan from the state before it (two versions left active).
        var changed = await _writer.WriteAsync(ctx =>
        {
            // Decided from the records as loaded: another process (the CLI) that changed the registry since would be undone
            // (a promote over its unregister, two versions active), so the change is decided again from what it did.
            if (RegistryTables.ReadVersion(ctx) != decidedOn)
                throw new RegistryChangedException();
            foreach (var change in changes)
            {
                var (r, to, canary) = (change.Record, change.To, change.Canary);
                RegistryTables.SetState(ctx, r, to, canary, now);
                _tables.Transition(ctx, r.AgentId, r.Version, r.State, to, actor, now, r.ContentHash, canary, reason);
                if (change.Withdraw || to == AgentState.Suspended)
                    RegistryTables.Withdraw(ctx, r, now);
                else if (to == AgentState.Active)
                    RegistryTables.Reinstate(ctx, r);
            }
            also?.Invoke(ctx, now);
            return RegistryTables.ReadVersion(ctx);
        });
        var updated = new List<AgentVersionRecord>();
        foreach (var (r, to, canary) in changes.Select(c => (c.Record, c.To, c.Canary)))
        {
            var u = r with { State = to, UpdatedAt = now, CanaryPercent = canary };
            _records[(r.AgentId, r.Version)] = u;
            updated.Add(u);
            LogTransition(r.AgentId, r.Version, Name(r.State), Name(to), actor);
        }
        // Nobody changed the registry between the records' load and this change's commit: they are what is stored.
        _loadedVersion = changed;
        await _live.DrainAsync(_live.Publish(_records.Values));
        _live.ReleaseUnused(_records.Values);
        return updated;
    }

    private void ReloadIfChangedLocked()
    {
        if (_tables.ReadVersion() != _loadedVersion)
            Load();
    }

    private void Load()
    {
        var version = _tables.ReadVersion();
        _records = new ConcurrentDictionary<(string, string), AgentVersionRecord>(_tables.ReadVersions());
        IndexCooldowns();
        _loadedVersion = version;
        // Another process's change (a CLI unregister) retires versions too: what the kinds hold for them (a plugin's load
        // context) is released once the set they ran in has drained, as after this process's own changes (qa42b #4).
        _ = ReleaseAfterAsync(_live.DrainAsync(_live.Publish(_records.Values)));
    }

    private async Task ReleaseAfterAsync(Task drained)
    {
        await drained;
        await ReleaseUnusedAsync();
    }

    public static string Name(AgentState state) => JsonNamingPolicy.CamelCase.ConvertName(state.ToString());

    [LoggerMessage(Level = LogLevel.Information, Message = "Built-in agent {AgentId}@{Version} registered and activated")]
    private partial void LogBuiltIn(string agentId, string version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Built-in agent {AgentId}@{Version}, shipped by this build, registered (not active): evaluate and promote it to use it")]
    private partial void LogBuiltInUpgrade(string agentId, string version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Built-in agent {AgentId}@{Version} shipped by this build is not registered: the directory holds {AgentId}@{Version} with other content ({StoredHash}, this build's {ShippedHash}); versions are immutable, so the stored one runs on")]
    private partial void LogBuiltInConflict(string agentId, string version, string storedHash, string shippedHash);

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent {AgentId}@{Version}: {From} -> {To} by {Actor}")]
    private partial void LogTransition(string agentId, string version, string from, string to, string actor);
}
