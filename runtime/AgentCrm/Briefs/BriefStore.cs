using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AgentCrm.Audit;
using AgentCrm.Storage;

namespace AgentCrm.Briefs;

public sealed record BriefQuery(string? CustomerId, string? AgentId, string? Scenario, BriefStatus? Status, DateTimeOffset? Since, int Limit, long? AfterSeq);

public sealed record BriefPage(IReadOnlyList<Brief> Items, string? NextCursor);

/// <summary>Briefs in SQLite: the full brief as JSON plus the columns the filters use.</summary>
public sealed class BriefStore(SqliteDatabase database, SqliteWriter writer, AuditLog audit)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Stores a brief and its audit record in one transaction; a brief with the same id is left as it is.</summary>
    public Task<bool> AddAsync(Brief brief, IReadOnlyList<string> eventIds) => writer.WriteAsync(ctx =>
    {
        var cmd = ctx.Command(
            "INSERT OR IGNORE INTO briefs (id, customer_id, agent_id, agent_version, scenario, status, created_at, body) VALUES ($id, $c, $a, $v, $s, $st, $at, $b)",
            "$id", "$c", "$a", "$v", "$s", "$st", "$at", "$b");
        cmd.Parameters["$id"].Value = brief.Id;
        cmd.Parameters["$c"].Value = brief.CustomerId;
        cmd.Parameters["$a"].Value = brief.AgentId;
        cmd.Parameters["$v"].Value = brief.AgentVersion;
        cmd.Parameters["$s"].Value = brief.Scenario;
        cmd.Parameters["$st"].Value = StatusName(brief.Status);
        cmd.Parameters["$at"].Value = brief.CreatedAt.ToUniversalTime().ToString("O");
        cmd.Parameters["$b"].Value = JsonSerializer.Serialize(brief, Json);
        if (cmd.ExecuteNonQuery() == 0)
            return false;
        audit.Append(ctx, $"agent:{brief.AgentId}@{brief.AgentVersion}", "brief.created", $"brief:{brief.Id}", new Dictionary<string, object?>
        {
            ["customerId"] = brief.CustomerId,
            ["contentHash"] = brief.ContentHash,
            ["score"] = brief.Score,
            ["threshold"] = brief.Threshold,
            ["status"] = StatusName(brief.Status),
            ["eventIds"] = eventIds,
        }, brief.CreatedAt);
        return true;
    });

    public Brief? Get(string id)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT body FROM briefs WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        return cmd.ExecuteScalar() is string json ? JsonSerializer.Deserialize<Brief>(json, Json) : null;
    }

    public BriefPage Query(BriefQuery q)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        var where = new List<string>();
        void Filter(string sql, string name, object? value)
        {
            if (value is null)
                return;
            where.Add(sql);
            cmd.Parameters.AddWithValue(name, value);
        }
        Filter("customer_id = $c", "$c", q.CustomerId);
        Filter("agent_id = $a", "$a", q.AgentId);
        Filter("scenario = $s", "$s", q.Scenario);
        Filter("status = $st", "$st", q.Status is { } st ? StatusName(st) : null);
        // Shadow briefs are never delivered: they show only when asked for by status.
        if (q.Status is null)
            where.Add("status <> 'shadow'");
        Filter("created_at >= $since", "$since", q.Since?.ToUniversalTime().ToString("O"));
        Filter("seq < $after", "$after", q.AfterSeq);
        cmd.CommandText = $"SELECT seq, body FROM briefs {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY seq DESC LIMIT $limit";
        cmd.Parameters.AddWithValue("$limit", q.Limit + 1);
        var items = new List<Brief>();
        long lastSeq = 0;
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            if (items.Count == q.Limit)
                return new(items, EncodeCursor(lastSeq));
            lastSeq = reader.GetInt64(0);
            items.Add(JsonSerializer.Deserialize<Brief>(reader.GetString(1), Json)!);
        }
        return new(items, null);
    }

    public long Count(string? agentId = null, string? version = null)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM briefs WHERE ($a IS NULL OR agent_id = $a) AND ($v IS NULL OR agent_version = $v)";
        cmd.Parameters.AddWithValue("$a", (object?)agentId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$v", (object?)version ?? DBNull.Value);
        return (long)cmd.ExecuteScalar()!;
    }

    public static string StatusName(BriefStatus s) => JsonNamingPolicy.CamelCase.ConvertName(s.ToString());

    public static string EncodeCursor(long seq) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"b:{seq}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool TryDecodeCursor(string cursor, out long seq)
    {
        seq = 0;
        try
        {
            var s = cursor.Replace('-', '+').Replace('_', '/');
            s = s.PadRight(s.Length + (4 - s.Length % 4) % 4, '=');
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(s));
            return text.StartsWith("b:", StringComparison.Ordinal) && long.TryParse(text[2..], out seq) && seq > 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
