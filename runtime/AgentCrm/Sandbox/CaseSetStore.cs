using System.Globalization;
using System.Text.RegularExpressions;
using AgentCrm.Agents;
using AgentCrm.Sandbox.Cases;
using AgentCrm.Storage;
using Microsoft.Extensions.Options;

namespace AgentCrm.Sandbox;

/// <summary>
/// Named case sets. The source files are kept (a tabular CSV and its mapping, or NDJSON events and a
/// labels CSV) and parsed again on use, so a case set is exactly what was uploaded. A set is parsed in
/// full before it is stored: a bad file stores nothing. A parsed case takes some 4 KB, two orders of magnitude more
/// than its row, so sets are parsed one at a time (an add or a load waits for the parse before it) and only
/// <see cref="SandboxOptions.ParsedCasesKept"/> cases of them stay parsed between uses (<see cref="ParsedCaseSets"/>).
/// </summary>
public sealed partial class CaseSetStore(SqliteDatabase database, SqliteWriter writer, TimeProvider time, IOptions<SandboxOptions> options, Audit.AuditLog audit)
{
    private readonly ParsedCaseSets _parsed = new(options.Value.ParsedCasesKept, BuiltIns.Select(b => b.Name));
    private readonly SemaphoreSlim _parsing = new(1, 1);

    /// <summary>The largest case set (its two files together), <see cref="SandboxOptions.MaxCaseSetBytes"/>.</summary>
    public long MaxBytes { get; } = options.Value.MaxCaseSetBytes;

    /// <summary>Cases kept parsed beside the shipped sets' (at most <see cref="SandboxOptions.ParsedCasesKept"/>).</summary>
    public long ParsedCasesKept => _parsed.Cases;

    /// <summary>How long after a large set's use the memory it held is given back (its user has let go of it by then).</summary>
    private static readonly TimeSpan ReturnDelay = TimeSpan.FromSeconds(2);

    /// <summary>Parsed cases let go of before their memory is worth a full collection (a small set's is not).</summary>
    private const long ReturnAfterCases = 20_000;

    /// <summary>At most one such collection per interval: it pauses every thread, the actors' included.</summary>
    private static readonly TimeSpan ReturnInterval = TimeSpan.FromMinutes(1);

    private long _droppedCases;
    private int _returning;
    private DateTimeOffset _lastReturn = DateTimeOffset.MinValue;

    /// <summary>
    /// Gives the memory of parsed sets not kept (too large, or dropped from the cache) back to the system, shortly, once
    /// their users are done (after an add, and when a job ends). The GC runs only as the process allocates, so an idle server
    /// kept hundreds of MB of parses it no longer referenced; one compacting collection after a large parse returns them —
    /// only once at least <see cref="ReturnAfterCases"/> cases were let go of, and at most once per <see cref="ReturnInterval"/>.
    /// </summary>
    public void ReturnMemory()
    {
        if (Volatile.Read(ref _droppedCases) < ReturnAfterCases || Interlocked.Exchange(ref _returning, 1) == 1)
            return;
        _ = Task.Run(async () =>
        {
            var sinceLast = time.GetUtcNow() - _lastReturn;
            await Task.Delay(sinceLast < ReturnInterval ? ReturnInterval - sinceLast : ReturnDelay, time);
            Interlocked.Exchange(ref _droppedCases, 0);
            _lastReturn = time.GetUtcNow();
            Volatile.Write(ref _returning, 0);
            System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        });
    }

    private void Keep(CaseSet set) => Interlocked.Add(ref _droppedCases, _parsed.Keep(set));

    /// <summary>Case sets named <c>feedback:&lt;agentId&gt;</c> are made by reviewers' verdicts, not uploaded.</summary>
    public const string FeedbackPrefix = "feedback:";
    public const string FeedbackKind = "feedback";

    /// <summary>Case sets named <c>upload:&lt;first 12 hex of the hash&gt;</c> are case files uploaded to evaluate on.</summary>
    public const string UploadPrefix = "upload:";

    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    /// <summary>The form of a case set name (<see cref="IsValidName"/>), in words.</summary>
    public const string NameRule = "a case set name is 1-64 characters: lower-case letters, digits and . _ : -, starting with a letter or digit";

    /// <summary>
    /// Why a case set cannot be registered under <paramref name="name"/> (its form, or a name reserved for the sets the runtime
    /// makes), or null. <paramref name="upload"/>: an uploaded case file, which is stored under an <c>upload:</c> name.
    /// Known from the name alone, so the CLI refuses it before it opens the data directory.
    /// </summary>
    public static string? NameProblem(string name, bool upload = false) =>
        !IsValidName(name) ? NameRule
        : name.StartsWith(FeedbackPrefix, StringComparison.Ordinal) ? $"names starting with '{FeedbackPrefix}' are reserved for the case sets reviewers' verdicts make"
        : HoldOutName().IsMatch(name) ? "names ending in ':holdout-<seed>' are reserved for the part of a case set a fit held out"
        : !upload && name.StartsWith(UploadPrefix, StringComparison.Ordinal) ? $"names starting with '{UploadPrefix}' are reserved for uploaded case files (POST …/evaluate with a case file)"
        : null;

    /// <summary>
    /// Stores an uploaded case file (tabular CSV + mapping, or NDJSON timeline + labels) under its content
    /// name, <c>upload:</c> and the first 12 hex digits of its hash: the same content again reuses the stored
    /// set; another content whose hash starts the same throws <see cref="CaseSetConflictException"/>. Uploaded to evaluate an
    /// agent of <paramref name="agentKind"/>, a file of another scenario is refused before it is stored (<see cref="CaseSetScenarioException"/>).
    /// </summary>
    public Task<CaseSetInfo> AddUploadAsync(string kind, byte[] data, string dataName, byte[] aux, string auxName, string? agentKind = null, CancellationToken cancellationToken = default, string? actor = null) =>
        AddUploadAsync(kind, data, dataName, aux, auxName, agentKind is null ? null : (Action<CaseSet>)(set => CaseSetScenario.Ensure(agentKind, set)), cancellationToken, actor);

    /// <summary>
    /// As above, uploaded to evaluate the version of <paramref name="agent"/>: a file of another scenario than the one its
    /// manifest states (or its kind's) is refused before it is stored.
    /// </summary>
    public Task<CaseSetInfo> AddUploadAsync(string kind, byte[] data, string dataName, byte[] aux, string auxName, AgentManifest agent, CancellationToken cancellationToken, string? actor = null) =>
        AddUploadAsync(kind, data, dataName, aux, auxName, (Action<CaseSet>)(set => CaseSetScenario.Ensure(agent, set)), cancellationToken, actor);

    /// <summary><paramref name="actor"/>: who uploaded it, audited (<c>caseset.added</c>) when the upload is stored (not when the same content is reused).</summary>
    private async Task<CaseSetInfo> AddUploadAsync(string kind, byte[] data, string dataName, byte[] aux, string auxName, Action<CaseSet>? ensureScenario, CancellationToken cancellationToken, string? actor)
    {
        EnsureSize(data, dataName, aux);
        var hash = CaseSetHash.Of(data, aux);
        var name = UploadPrefix + hash["sha256:".Length..][..12];
        if (Find(name) is { } stored)
        {
            if (stored.Hash != hash)
                throw new CaseSetConflictException($"Case set '{name}' already holds another upload ({stored.Hash}); this one is {hash}.");
            if (stored.Kind != kind)
                await RefuseOtherKindAsync(stored, kind, data, dataName, aux, auxName, cancellationToken);
            if (ensureScenario is not null && Load(name) is { } set)
                ensureScenario(set);
            return stored;
        }
        return (await AddAsync(name, kind, data, dataName, aux, auxName, cancellationToken, upload: true, ensureScenario, actor: actor)).Set;
    }

    /// <summary>
    /// The same bytes stored as another kind (a timeline's labels sent as a tabular set's mapping, say): answered as if
    /// nothing were stored, so the answer does not depend on what is. Parsed as what they were sent as, which names the
    /// file at fault; in the unlikely case they are valid as both, the name is taken by the other kind.
    /// </summary>
    private async Task RefuseOtherKindAsync(CaseSetInfo stored, string kind, byte[] data, string dataName, byte[] aux, string auxName, CancellationToken cancellationToken)
    {
        CaseSet set;
        await _parsing.WaitAsync(cancellationToken);
        try
        {
            set = Parse(stored.Name, kind, data, dataName, aux, auxName);
        }
        finally
        {
            _parsing.Release();
        }
        Interlocked.Add(ref _droppedCases, set.Cases.Count);
        ReturnMemory();
        throw new CaseSetConflictException($"Case set '{stored.Name}' holds these files as a {stored.Kind} set; sent as {kind} files they are another set. "
            + $"Send them as the {stored.Kind} set they are, or evaluate on '{stored.Name}' by name.");
    }

    /// <summary>
    /// Registers a named case set. A name holds one content for good (reports name the set's hash and must stay
    /// replayable): the same content again is <see cref="CaseSetAdded.Unchanged"/>; another content under a taken
    /// name throws <see cref="CaseSetConflictException"/> (remove the set first, where it can be removed).
    /// </summary>
    public Task<CaseSetAdded> AddTabularAsync(string name, byte[] csv, string csvName, byte[] mapping, string mappingName, CancellationToken cancellationToken = default, string? actor = null) =>
        AddAsync(name, CaseSetKinds.Tabular, csv, csvName, mapping, mappingName, cancellationToken, actor: actor);

    /// <inheritdoc cref="AddTabularAsync"/>
    public Task<CaseSetAdded> AddTimelineAsync(string name, byte[] events, string eventsName, byte[] labels, string labelsName, CancellationToken cancellationToken = default, string? actor = null) =>
        AddAsync(name, CaseSetKinds.Timeline, events, eventsName, labels, labelsName, cancellationToken, actor: actor);

    /// <summary><paramref name="actor"/>: who added it, audited (<c>caseset.added</c>) in the write that stores it; null for the runtime's own sets.</summary>
    private async Task<CaseSetAdded> AddAsync(string name, string kind, byte[] data, string dataName, byte[] aux, string auxName, CancellationToken cancellationToken,
        bool upload = false, Action<CaseSet>? ensureScenario = null, bool shipped = false, string? actor = null)
    {
        if (NameProblem(name, upload) is { } nameProblem)
            throw new CaseSetException(name, null, null, nameProblem);
        // The shipped sets are what they are, whatever the limit on uploads.
        if (!shipped)
            EnsureSize(data, dataName, aux);
        CaseSet set;
        await _parsing.WaitAsync(cancellationToken);
        try
        {
            set = Parse(name, kind, data, dataName, aux, auxName);
        }
        finally
        {
            _parsing.Release();
        }
        ensureScenario?.Invoke(set);
        // Stopped while parsing (Ctrl+C, a client gone): nothing is stored. Past this point the write is queued and commits
        // whoever waits for it, so it is waited for to the end: a caller told "not added" must not find it added.
        cancellationToken.ThrowIfCancellationRequested();
        var info = new CaseSetInfo(name, kind, set.Hash, set.Cases.Count, set.Positives, time.GetUtcNow());
        // Insert-if-absent and the read of what holds the name are one write, so two adds of one name cannot both win.
        var stored = await writer.WriteAsync(ctx =>
        {
            var inserted = ctx.Execute(
                """
                INSERT INTO case_sets (name, kind, hash, cases, positives, data_name, data, aux_name, aux, created_at) VALUES ($n, $k, $h, $c, $p, $dn, $d, $an, $a, $t)
                ON CONFLICT(name) DO NOTHING
                """,
                ("$n", name), ("$k", kind), ("$h", set.Hash), ("$c", set.Cases.Count), ("$p", set.Positives), ("$dn", dataName), ("$d", data),
                ("$an", auxName), ("$a", aux), ("$t", info.CreatedAt.ToString("O")));
            if (inserted == 1)
            {
                if (actor is not null)
                    audit.Append(ctx, actor, "caseset.added", $"caseset:{name}",
                        new Dictionary<string, object?> { ["kind"] = kind, ["hash"] = set.Hash, ["cases"] = set.Cases.Count, ["positives"] = set.Positives }, info.CreatedAt);
                return null;
            }
            var read = ctx.Command($"{InfoColumns} WHERE name = $n", "$n");
            read.Parameters["$n"].Value = name;
            using var reader = read.ExecuteReader();
            reader.Read();
            return ReadInfo(reader);
        });
        if (stored is null)
        {
            Keep(set);
            ReturnMemory();
            return new CaseSetAdded(info, Unchanged: false);
        }
        Interlocked.Add(ref _droppedCases, set.Cases.Count);
        ReturnMemory();
        if (stored.Hash == set.Hash)
            return new CaseSetAdded(stored, Unchanged: true);
        throw new CaseSetConflictException(BuiltIns.Any(b => b.Name == name)
            ? $"Case set '{name}' ships with AgentCrm ({stored.Hash}, {stored.Cases} cases) and cannot be replaced; this content is {set.Hash}: register it under another name."
            : $"Case set '{name}' already holds other content ({stored.Hash}, {stored.Cases} cases; reports name that hash); this content is {set.Hash}: "
              + $"remove the set first (`agentcrm cases remove {name}` or DELETE /v1/cases/{name}) or register it under another name.");
    }

    /// <summary>
    /// Removes a stored case set (uploaded files pile up otherwise); false when no set has that name. Reports made
    /// on it keep its name and hash. Sets made from reviewers' verdicts and the shipped sets (registered again at
    /// every start) cannot be removed: <see cref="CaseSetProtectedException"/>.
    /// </summary>
    public async Task<bool> RemoveAsync(string name, CancellationToken cancellationToken = default, string? actor = null)
    {
        if (name.StartsWith(FeedbackPrefix, StringComparison.Ordinal))
            throw new CaseSetProtectedException($"Case set '{name}' is made from reviewers' verdicts; it cannot be removed.");
        if (BuiltIns.Any(b => b.Name == name))
            throw new CaseSetProtectedException($"Case set '{name}' ships with AgentCrm and is registered again at every start; it cannot be removed.");
        var removed = await writer.WriteAsync(ctx =>
        {
            var deleted = ctx.Execute("DELETE FROM case_sets WHERE name = $n", ("$n", name)) > 0;
            if (deleted && actor is not null)
                audit.Append(ctx, actor, "caseset.removed", $"caseset:{name}", new Dictionary<string, object?>(), time.GetUtcNow());
            return deleted;
        });
        _parsed.Forget(name);
        return removed;
    }

    /// <summary>
    /// The parsed case set, or null when no set has that name. <c>NAME:holdout-SEED</c> is the part of NAME a fit with
    /// that seed held out (what its report names): derived again, the same cases and hash, so it can be replayed.
    /// A set not kept parsed waits for any other parse first; <see cref="LoadAsync"/> does so off the caller's thread, and
    /// stops waiting when cancelled.
    /// </summary>
    public CaseSet? Load(string name) => Load(name, CancellationToken.None);

    /// <inheritdoc cref="Load(string)"/>
    public Task<CaseSet?> LoadAsync(string name, CancellationToken cancellationToken = default) =>
        Task.Run(() => Load(name, cancellationToken), cancellationToken);

    private CaseSet? Load(string name, CancellationToken cancellationToken)
    {
        // A set stored under such a name (by an earlier build, before the names were reserved) keeps its content.
        if (LoadStored(name, cancellationToken) is { } stored)
            return stored;
        if (HoldOutName().Match(name) is { Success: true } holdOut
            && int.TryParse(holdOut.Groups["seed"].Value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var seed))
            return Load(holdOut.Groups["base"].Value, cancellationToken) is { } whole ? Splits.HoldOutCases.Of(whole, new Fitting.FitOptions { Seed = seed }) : null;
        return null;
    }

    /// <summary>
    /// A case set to run on (evaluate, fit), or null with the reason: no such set, a stored set that no longer reads
    /// (stored by an earlier build whose rules were looser), or a set without cases (e.g. the held-out part of a tiny set).
    /// </summary>
    public CaseSet? LoadToRun(string name, out string problem)
    {
        problem = "";
        CaseSet? set;
        try
        {
            set = Load(name);
        }
        catch (CaseSetException ex)
        {
            problem = $"The stored case set '{name}' no longer reads: {ex.Message} Add it again, corrected.";
            return null;
        }
        if (set is null)
            problem = $"No case set '{name}' is registered.";
        else if (set.Cases.Count == 0)
            problem = $"Case set '{name}' has no cases.";
        return set is { Cases.Count: > 0 } ? set : null;
    }

    /// <summary>A stored set: the parsed one kept, else parsed from its files once no other parse runs.</summary>
    private CaseSet? LoadStored(string name, CancellationToken cancellationToken)
    {
        if (name.StartsWith(FeedbackPrefix, StringComparison.Ordinal))
            return FeedbackCaseSet.Load(database, name[FeedbackPrefix.Length..])?.ToCaseSet();
        // The hash first: a set kept parsed is found without reading its files (up to MaxBytes) from the database.
        if (Find(name) is not { } info)
            return null;
        if (_parsed.Get(name, info.Hash) is { } kept)
            return kept;
        _parsing.Wait(cancellationToken);
        try
        {
            // Parsed meanwhile by the load that had the turn before this one.
            if (_parsed.Get(name, info.Hash) is { } parsed)
                return parsed;
            using var connection = database.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT kind, hash, data_name, data, aux_name, aux FROM case_sets WHERE name = $n";
            cmd.Parameters.AddWithValue("$n", name);
            using var reader = cmd.ExecuteReader();
            if (!reader.Read())
                return null;
            var set = Parse(name, reader.GetString(0), (byte[])reader[3], reader.GetString(2), (byte[])reader[5], reader.GetString(4), stored: true);
            Keep(set);
            return set;
        }
        finally
        {
            _parsing.Release();
        }
    }

    /// <summary>A stored (uploaded or named) set's summary, or null.</summary>
    public CaseSetInfo? Find(string name)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"{InfoColumns} WHERE name = $n";
        cmd.Parameters.AddWithValue("$n", name);
        using var reader = cmd.ExecuteReader();
        return reader.Read() ? ReadInfo(reader) : null;
    }

    private const string InfoColumns = "SELECT name, kind, hash, cases, positives, created_at FROM case_sets";

    private static CaseSetInfo ReadInfo(Microsoft.Data.Sqlite.SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetInt32(4), DateTimeOffset.Parse(r.GetString(5), CultureInfo.InvariantCulture));

    public IReadOnlyList<CaseSetInfo> List()
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"{InfoColumns} ORDER BY name";
        using var reader = cmd.ExecuteReader();
        var list = new List<CaseSetInfo>();
        while (reader.Read())
            list.Add(ReadInfo(reader));
        reader.Close();
        cmd.CommandText = "SELECT DISTINCT agent_id FROM feedback_cases ORDER BY agent_id";
        using var agents = cmd.ExecuteReader();
        var ids = new List<string>();
        while (agents.Read())
            ids.Add(agents.GetString(0));
        foreach (var id in ids)
            if (FeedbackCaseSet.Load(database, id) is { } set)
                list.Add(new CaseSetInfo(set.Name, FeedbackKind, set.Hash, set.Cases.Count, set.Positives, set.CreatedAt));
        return list;
    }

    /// <summary>Registers the case sets that ship with AgentCrm (sandbox/data + sandbox/mappings beside the executable) if missing.</summary>
    public async Task SeedBuiltInsAsync(CancellationToken cancellationToken = default)
    {
        var present = List().Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, csv, mapping) in BuiltIns)
        {
            var csvPath = Path.Combine(AppContext.BaseDirectory, csv);
            var mappingPath = Path.Combine(AppContext.BaseDirectory, mapping);
            if (present.Contains(name) || !File.Exists(csvPath) || !File.Exists(mappingPath))
                continue;
            await AddAsync(name, CaseSetKinds.Tabular, await File.ReadAllBytesAsync(csvPath, cancellationToken), Path.GetFileName(csvPath),
                await File.ReadAllBytesAsync(mappingPath, cancellationToken), Path.GetFileName(mappingPath), cancellationToken, shipped: true);
        }
    }

    /// <summary>The shipped case sets: name, data file and mapping, relative to the executable.</summary>
    public static readonly IReadOnlyList<(string Name, string Data, string Mapping)> BuiltIns =
    [
        ("telco-churn", "sandbox/data/churn/ibm-telco/Telco-Customer-Churn.csv", "sandbox/mappings/telco-churn.yaml"),
        ("iranian-churn", "sandbox/data/churn/uci-iranian-churn/Customer_Churn.csv", "sandbox/mappings/iranian-churn.yaml"),
        ("claudette-tos", "sandbox/data/compliance/claudette-tos/tos_unfair_clauses_en.csv", "sandbox/mappings/claudette-tos.yaml"),
        ("canada-tenders", "sandbox/data/tender/canada-buyandsell/buyandsell_tenders_2010_2014.csv", "sandbox/mappings/canada-tenders.yaml"),
        ("cuad", "sandbox/data/compliance/cuad/cuad_subset_documents.csv", "sandbox/mappings/cuad.yaml"),
    ];

    /// <summary>Refuses a case set whose files together pass <see cref="MaxBytes"/>, before anything is parsed or stored.</summary>
    private void EnsureSize(byte[] data, string dataName, byte[] aux) => EnsureSize((long)data.Length + aux.Length, dataName);

    /// <summary>The same refusal from the files' sizes, before they are read (the CLI: a file of gigabytes is not loaded to be refused).</summary>
    public void EnsureSize(FileInfo data, FileInfo aux) => EnsureSize(data.Length + aux.Length, data.Name);

    private void EnsureSize(long bytes, string dataName)
    {
        if (bytes > MaxBytes)
            throw new CaseSetException(dataName, null, null, TooLarge(bytes, MaxBytes));
    }

    /// <summary>The refusal of a case set of <paramref name="bytes"/>, over HTTP (413) and in the CLI alike.</summary>
    public static string TooLarge(long bytes, long max) =>
        $"the case set is {bytes} bytes with its mapping or labels; a case set is at most {max} bytes (Sandbox:MaxCaseSetBytes). Nothing was stored.";

    /// <summary><paramref name="stored"/>: a set read back from the database, read leniently (<see cref="CaseSetLoader.LoadTabular(Stream, string, Stream, string, string?, bool)"/>).</summary>
    private static CaseSet Parse(string name, string kind, byte[] data, string dataName, byte[] aux, string auxName, bool stored = false)
    {
        using var d = new MemoryStream(data, writable: false);
        using var a = new MemoryStream(aux, writable: false);
        return kind == CaseSetKinds.Timeline
            ? CaseSetLoader.LoadTimeline(d, dataName, a, auxName, name)
            : CaseSetLoader.LoadTabular(d, dataName, a, auxName, name, stored);
    }

    [GeneratedRegex(@"^[a-z0-9][a-z0-9._:-]{0,63}\z")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^(?<base>.+):holdout-(?<seed>-?[0-9]{1,10})\z")]
    private static partial Regex HoldOutName();
}
