using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Audit;

/// <summary>
/// What the records say about rows that change after they are written, held against those rows: the chain proves the records
/// unchanged, this proves what users see is what was recorded. A brief's stored body (text, score, reasons, citations, status
/// and review) must hash to the <c>bodyHash</c> of its last <c>brief.created</c>, <c>brief.vetoed</c> or <c>brief.approved</c>
/// record, and its status column be the status that record gave it; each live key must have a <c>key.created</c> as its last
/// record whose role, and <c>keyDigest</c> (over name, role and secret hash), it still has. Records of builds from before
/// <c>bodyHash</c> and <c>keyDigest</c> are held to the status and role they carry alone. One read, in the chain's transaction:
/// a brief and its record are written in one transaction, so a verify never sees one without the other.
/// </summary>
public static class AuditedState
{
    /// <summary>The most differences one verification names (it counts them all).</summary>
    public const int MaxDifferences = 20;

    /// <summary>The digest records carry: <c>sha256:</c> and the SHA-256 of <paramref name="text"/>'s UTF-8, as contentHash is written.</summary>
    public static string Digest(string text) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>A key's digest in its <c>key.created</c> record: its name, role and secret's hash, which a direct edit of the row changes.</summary>
    public static string KeyDigest(string name, string role, string keyHash) => Digest($"{name}|{role}|{keyHash}");

    // The last record that set a brief's state (a brief has a few records; audit_subject finds them). json_valid: a record's
    // data edited into something else fails the chain before this runs, but a rewritten chain must not make verify throw.
    private const string BriefsSql = """
        SELECT b.id, b.status, b.body, a.seq,
               CASE WHEN json_valid(a.data) THEN json_extract(a.data, '$.bodyHash') END,
               CASE WHEN json_valid(a.data) THEN coalesce(json_extract(a.data, '$.to'), json_extract(a.data, '$.status')) END,
               b.customer_id, c.seq,
               CASE WHEN json_valid(c.data) THEN json_extract(c.data, '$.customerId') END
        FROM briefs b LEFT JOIN audit a ON a.seq = (
            SELECT max(seq) FROM audit WHERE subject = 'brief:' || b.id AND action IN ('brief.created', 'brief.vetoed', 'brief.approved'))
        -- Its brief.created record, which names its customer: the last one read above for most briefs (not reviewed).
        LEFT JOIN audit c ON c.seq = CASE WHEN a.action = 'brief.created' THEN a.seq
            ELSE (SELECT min(seq) FROM audit WHERE subject = 'brief:' || b.id AND action = 'brief.created') END
        """;

    private const string KeysSql = """
        SELECT k.name, k.role, k.key_hash, a.seq, a.action,
               CASE WHEN json_valid(a.data) THEN json_extract(a.data, '$.role') END,
               CASE WHEN json_valid(a.data) THEN json_extract(a.data, '$.keyDigest') END
        FROM api_keys k LEFT JOIN audit a ON a.seq = (
            SELECT max(seq) FROM audit WHERE subject = 'key:' || k.name AND action IN ('key.created', 'key.revoked'))
        WHERE k.revoked_at IS NULL
        """;

    // Briefs with records whose row is gone (no path of the server deletes a brief), with their first record: the brief: range
    // of audit_subject read alone (it covers subject and seq), each brief found by its unique id.
    private const string RemovedBriefsSql = """
        SELECT substr(subject, 7), min(seq) FROM audit WHERE subject >= 'brief:' AND subject < 'brief;'
        GROUP BY subject HAVING NOT EXISTS (SELECT 1 FROM briefs b WHERE b.id = substr(subject, 7))
        """;

    /// <summary><paramref name="pass"/> (a chain verified in <paramref name="tx"/>) with every row that differs from its last record named.</summary>
    public static AuditVerification Check(SqliteConnection connection, SqliteTransaction tx, AuditVerification pass)
    {
        // An empty log is checked too: briefs and live keys with no record at all are what a log wiped with its head leaves.
        if (!pass.Ok)
            return pass;
        var found = new List<(long Seq, string What)>();
        long count = 0;
        void Differs(long seq, string what)
        {
            count++;
            if (found.Count < MaxDifferences)
                found.Add((seq, what));
        }
        if (HasTable(connection, tx, "briefs"))
        {
            foreach (var row in Read(connection, tx, BriefsSql))
            {
                // A cell edited into another type (CAST(status AS BLOB)) is a difference of its row, named; the others are checked on.
                if ((NotText(row, ["id", "status", "body"]) ?? (row[6] is string ? null : "customer_id is not text")) is { } notText)
                {
                    Differs(row[3] as long? ?? 0, $"brief {Named(row[0])}'s {notText} (it was changed by hand).");
                    continue;
                }
                var (id, status, body) = ((string)row[0]!, (string)row[1]!, (string)row[2]!);
                if (row[3] is not long seq)
                {
                    Differs(0, $"brief {id} has no audit record (it was added to the database directly, or its records were deleted).");
                    continue;
                }
                // The customer decides which CSM reads the brief; its body does not hold it, its brief.created record does.
                if (row[7] is long createdSeq && row[8] is string auditedCustomer && !Equals(row[6], auditedCustomer))
                    Differs(createdSeq, $"brief {id} is on customer {Named(row[6])} but record {createdSeq} audited it for {auditedCustomer} (its customer was changed, which shows it to another CSM).");
                else if (row[4] is string audited && audited != Digest(body))
                    Differs(seq, $"brief {id} differs from what record {seq} audited (its stored body, text, score, reasons, citations or review, was changed).");
                else if (row[5] is string auditedStatus && auditedStatus != status)
                    Differs(seq, $"brief {id} is {status} but record {seq} audited it {auditedStatus} (its status was changed).");
            }
            foreach (var row in Read(connection, tx, RemovedBriefsSql))
                Differs((long)row[1]!, $"brief {Named(row[0])} has records (the first is record {row[1]}) but no row (it was deleted from the database).");
        }
        if (HasTable(connection, tx, "api_keys"))
            foreach (var row in Read(connection, tx, KeysSql))
            {
                if (NotText(row, ["name", "role", "key_hash"]) is { } notText)
                {
                    Differs(row[3] as long? ?? 0, $"key {Named(row[0])}'s {notText} (it was changed by hand).");
                    continue;
                }
                var (name, role, keyHash) = ((string)row[0]!, (string)row[1]!, (string)row[2]!);
                if (row[3] is not long seq)
                    Differs(0, $"key {name} is live but has no audit record (it was added to the database directly, or its records were deleted).");
                else if (row[4] as string == "key.revoked")
                    Differs(seq, $"key {name} is live but record {seq} audited it revoked (its revocation was undone).");
                else if (row[5] is string auditedRole && auditedRole != role)
                    Differs(seq, $"key {name} has role {role} but record {seq} audited role {auditedRole} (its role was changed).");
                else if (row[6] is string digest && digest != KeyDigest(name, role, keyHash))
                    Differs(seq, $"key {name} differs from what record {seq} audited (its secret's hash was changed).");
            }
        if (count == 0)
            return pass;
        var first = found.OrderBy(f => f.Seq == 0 ? long.MaxValue : f.Seq).First();
        var more = count > 1 ? $" {count - 1} more row{(count > 2 ? "s" : "")} differ{(count > 2 ? "" : "s")}{(count > MaxDifferences ? $"; the first {MaxDifferences} are listed" : "")}." : "";
        return pass with
        {
            Ok = false,
            BrokenAt = first.Seq == 0 ? null : first.Seq,
            Reason = first.What + more,
            Differences = found.Select(f => f.What).ToList(),
        };
    }

    /// <summary>Which of a row's first cells (<paramref name="columns"/>) are not text, as "status is not text", or null when all are.</summary>
    private static string? NotText(object?[] row, string[] columns)
    {
        var which = columns.Where((_, i) => row[i] is not string).ToList();
        return which.Count == 0 ? null : $"{string.Join(" and ", which)} {(which.Count == 1 ? "is" : "are")} not text";
    }

    /// <summary>A row's name as a message gives it: its text, or a blob's bytes read as UTF-8 (what SQLite compares it as).</summary>
    private static string Named(object? cell) => cell switch
    {
        string text => text,
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        _ => Convert.ToString(cell, System.Globalization.CultureInfo.InvariantCulture) ?? "(none)",
    };

    private static bool HasTable(SqliteConnection connection, SqliteTransaction tx, string name)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = $n";
        cmd.Parameters.AddWithValue("$n", name);
        return (long)cmd.ExecuteScalar()! == 1;
    }

    private static IEnumerable<object?[]> Read(SqliteConnection connection, SqliteTransaction tx, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        var row = new object?[reader.FieldCount];
        while (reader.Read())
        {
            for (var i = 0; i < row.Length; i++)
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            yield return row;
        }
    }
}
