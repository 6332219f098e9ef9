using AgentCrm.Audit;
using AgentCrm.Storage;

namespace AgentCrm.Access;

/// <summary>One CSM's accounts as of <see cref="Version"/>, the assignments' change counter (<see cref="AccountAssignments.Version"/>).</summary>
public sealed record CsmAccountSet(long Version, IReadOnlySet<string> Accounts);

/// <summary>Which customer accounts each CSM is assigned: the bound of what a CSM may read.</summary>
public sealed class AccountAssignments(SqliteDatabase database, SqliteWriter writer, AuditLog audit, TimeProvider time)
{
    private const string VersionKey = "csm_accounts.version";

    /// <summary>
    /// A CSM's accounts were replaced by this process, with the change counter that write set: raised on the writer's thread
    /// after the commit, before any later write's, so a brief committed after the change is judged by the new accounts.
    /// A change by another process on the data directory (<c>agentcrm csms accounts set</c>) shows in <see cref="Version"/> only.
    /// </summary>
    public event Action<string, CsmAccountSet>? Assigned;

    /// <summary>
    /// Replaces the CSM's accounts with <paramref name="customerIds"/>. An account given now records the brief stream's head
    /// (<c>given_at</c>, in this write), one they keep the head it was given at: a stream that reads again after a change
    /// another process made sends an account's briefs from when it became the CSM's, none written before (qa36a: the CLI's
    /// change sent a CSM every brief of the account since their stream's last, another CSM's among them), and none lost to a
    /// later change of the same CSM's (one head for the CSM, the latest change's, would skip the briefs an earlier change gave).
    /// </summary>
    public Task AssignAsync(string csmId, IReadOnlyList<string> customerIds, string actor, CancellationToken cancellationToken = default) =>
        writer.WriteAsync(ctx =>
        {
            var accounts = customerIds.ToHashSet(StringComparer.Ordinal);
            ctx.Execute("DELETE FROM csm_accounts WHERE csm_id = $c AND customer_id NOT IN (SELECT value FROM json_each($ids))",
                ("$c", csmId), ("$ids", System.Text.Json.JsonSerializer.Serialize(accounts)));
            var head = ctx.ExecuteInt64("SELECT coalesce(max(change_seq), 0) FROM briefs")!.Value;
            foreach (var id in accounts)
                ctx.Execute("INSERT INTO csm_accounts (csm_id, customer_id, given_at) VALUES ($c, $id, $head) ON CONFLICT (csm_id, customer_id) DO NOTHING",
                    ("$c", csmId), ("$id", id), ("$head", head));
            audit.Append(ctx, actor, "csm.accounts.assigned", $"csm:{csmId}", new Dictionary<string, object?> { ["accounts"] = customerIds }, time.GetUtcNow());
            var version = ctx.ExecuteInt64(
                "INSERT INTO meta (key, value) VALUES ($k, '1') ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING CAST(value AS INTEGER)",
                ("$k", VersionKey))!.Value;
            ctx.AfterCommit(() => Assigned?.Invoke(csmId, new CsmAccountSet(version, accounts)));
        }).WaitAsync(cancellationToken);

    /// <summary>The assignments' change counter: every change, by any process on the data directory, moves it (0 before the first).</summary>
    public long Version() => Server.MetaValues.ReadLong(database, VersionKey);

    /// <summary>The CSM's accounts and the change counter they are as of, read together.</summary>
    public CsmAccountSet AccountSet(string csmId)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction(deferred: true);
        using var version = connection.CreateCommand();
        version.Transaction = transaction;
        version.CommandText = "SELECT value FROM meta WHERE key = $k";
        version.Parameters.AddWithValue("$k", VersionKey);
        var counter = version.ExecuteScalar() is string s ? long.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : 0;
        using var cmd = connection.CreateCommand();
        cmd.Transaction = transaction;
        cmd.CommandText = "SELECT customer_id FROM csm_accounts WHERE csm_id = $c";
        cmd.Parameters.AddWithValue("$c", csmId);
        using var reader = cmd.ExecuteReader();
        var accounts = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
            accounts.Add(reader.GetString(0));
        return new CsmAccountSet(counter, accounts);
    }

    public IReadOnlyList<string> Accounts(string csmId)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT customer_id FROM csm_accounts WHERE csm_id = $c ORDER BY customer_id";
        cmd.Parameters.AddWithValue("$c", csmId);
        using var reader = cmd.ExecuteReader();
        var list = new List<string>();
        while (reader.Read())
            list.Add(reader.GetString(0));
        return list;
    }

    /// <summary>Whether <paramref name="csmId"/> has any account assigned (ids are case-sensitive).</summary>
    public bool HasAccounts(string csmId)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT 1 FROM csm_accounts WHERE csm_id = $c LIMIT 1";
        cmd.Parameters.AddWithValue("$c", csmId);
        return cmd.ExecuteScalar() is not null;
    }

    /// <summary>The CSM ids with at least one account assigned, in order (the names a mistyped one is compared with).</summary>
    public IReadOnlyList<string> CsmIds()
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT DISTINCT csm_id FROM csm_accounts ORDER BY csm_id";
        using var reader = cmd.ExecuteReader();
        var list = new List<string>();
        while (reader.Read())
            list.Add(reader.GetString(0));
        return list;
    }

    public bool IsAssigned(string csmId, string customerId)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT 1 FROM csm_accounts WHERE csm_id = $c AND customer_id = $id";
        cmd.Parameters.AddWithValue("$c", csmId);
        cmd.Parameters.AddWithValue("$id", customerId);
        return cmd.ExecuteScalar() is not null;
    }

    /// <summary>True when <paramref name="caller"/> may read the customer's briefs and snapshot.</summary>
    public bool CanRead(Caller caller, string customerId) => !caller.ScopedToAccounts || IsAssigned(caller.Name, customerId);
}
