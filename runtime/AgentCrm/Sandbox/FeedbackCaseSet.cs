using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AgentCrm.Agents;
using AgentCrm.Briefs;
using AgentCrm.Sandbox.Cases;
using AgentCrm.Storage;

namespace AgentCrm.Sandbox;

/// <summary>
/// The labeled cases reviewers' verdicts made for one agent (<c>feedback:&lt;agentId&gt;</c>): the snapshot fields the brief
/// was written from, labeled by the verdict (approval = positive; veto = negative unless it gave the correct label).
/// </summary>
internal sealed record FeedbackCaseSet(string Name, string Hash, IReadOnlyList<Case> Cases, DateTimeOffset CreatedAt)
{
    public int Positives => Cases.Count(c => c.Label);

    public CaseSet ToCaseSet() => new(Name, Hash, Cases, CaseSetStore.FeedbackKind);

    /// <summary>The agent's feedback cases in the order they were made, or null when it has none.</summary>
    public static FeedbackCaseSet? Load(SqliteDatabase database, string agentId)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT brief_id, customer_id, label, verdict, as_of, fields, created_at FROM feedback_cases WHERE agent_id = $a ORDER BY seq";
        cmd.Parameters.AddWithValue("$a", agentId);
        using var reader = cmd.ExecuteReader();
        var cases = new List<Case>();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var newest = DateTimeOffset.MinValue;
        while (reader.Read())
        {
            var fields = new Dictionary<string, SnapshotField>(StringComparer.Ordinal);
            using (var doc = JsonDocument.Parse(reader.GetString(5)))
                foreach (var p in doc.RootElement.EnumerateObject())
                    fields[p.Name] = StoredFields.Field(p.Name, p.Value);
            var asOf = DateTimeOffset.Parse(reader.GetString(4), CultureInfo.InvariantCulture);
            cases.Add(new Case(reader.GetString(0), new CustomerSnapshot(reader.GetString(1), asOf, fields), reader.GetInt64(2) == 1, reader.GetString(3)));
            hash.AppendData(Encoding.UTF8.GetBytes($"{reader.GetString(0)}|{reader.GetInt64(2)}|{reader.GetString(5)}\n"));
            var created = DateTimeOffset.Parse(reader.GetString(6), CultureInfo.InvariantCulture);
            if (created > newest)
                newest = created;
        }
        return cases.Count == 0 ? null : new FeedbackCaseSet(CaseSetStore.FeedbackPrefix + agentId, "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset()), cases, newest);
    }
}
