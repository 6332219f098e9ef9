using AgentCrm.Audit;
using AgentCrm.Storage;

namespace AgentCrm.Access;

/// <summary>Which customer accounts each CSM is assigned: the bound of what a CSM may read.</summary>
public sealed class AccountAssignments(SqliteDatabase database, SqliteWriter writer, AuditLog audit, TimeProvider time)
{
    /// <summary>Replaces the CSM's accounts with <paramref name="customerIds"/>.</summary>
    public Task AssignAsync(string csmId, IReadOnlyList<string> customerIds, string actor, CancellationToken cancellationToken = default) =>
        writer.WriteAsync(ctx =>
        {
            ctx.Execute("DELETE FROM csm_accounts WHERE csm_id = $c", ("$c", csmId));
            foreach (var id in customerIds.Distinct(StringComparer.Ordinal))
                ctx.Execute("INSERT INTO csm_accounts (csm_id, customer_id) VALUES ($c, $id)", ("$c", csmId), ("$id", id));
            audit.Append(ctx, actor, "csm.accounts.assigned", $"csm:{csmId}", new Dictionary<string, object?> { ["accounts"] = customerIds }, time.GetUtcNow());
        }).WaitAsync(cancellationToken);

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
