using System.Globalization;
using System.Text.Json;
using AgentCrm.Audit;
using AgentCrm.Briefs;
using AgentCrm.Server;
using AgentCrm.Storage;

namespace AgentCrm.Agents;

/// <summary>
/// The registry's tables: <c>agent_versions</c> (one row per version and its state), <c>agent_transitions</c> (every
/// change, with who made it, each also an audit record), <c>withdrawn_versions</c> and the change counter in <c>meta</c>
/// that lets a registry notice what another process (the CLI) changed. Writes run in the caller's transaction.
/// </summary>
internal sealed class RegistryTables(SqliteDatabase database, AuditLog audit)
{
    private const string VersionKey = "registry.version";

    /// <summary>The change counter: bumped by every transition.</summary>
    public long ReadVersion() => MetaValues.ReadLong(database, VersionKey);

    /// <summary>The change counter, read in the writer's transaction (which holds the write lock).</summary>
    public static long ReadVersion(WriteContext ctx) =>
        ctx.ExecuteInt64("SELECT CAST(value AS INTEGER) FROM meta WHERE key = $k", ("$k", VersionKey)) ?? 0;

    /// <summary>Counts a change, in its transaction: every registry of the directory, in any process, reloads at its next check.</summary>
    private static void Bump(WriteContext ctx) =>
        ctx.Execute("INSERT INTO meta (key, value) VALUES ($k, '1') ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1", ("$k", VersionKey));

    public Dictionary<(string, string), AgentVersionRecord> ReadVersions()
    {
        var records = new Dictionary<(string, string), AgentVersionRecord>();
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT manifest, content_hash, state, created_at, updated_at, canary_percent FROM agent_versions";
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            var manifest = JsonSerializer.Deserialize<AgentManifest>(reader.GetString(0), ManifestReader.Json)!;
            var record = new AgentVersionRecord(manifest, reader.GetString(1), Enum.Parse<AgentState>(reader.GetString(2), ignoreCase: true),
                DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture),
                DateTimeOffset.Parse(reader.GetString(4), CultureInfo.InvariantCulture), reader.GetInt32(5));
            records[(manifest.Id, manifest.Version)] = record;
        }
        return records;
    }

    /// <summary>The newest agent transition's seq (0 when none).</summary>
    public long TransitionsSeq()
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT coalesce(max(seq), 0) FROM agent_transitions";
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>Who unregistered <paramref name="agentId"/> after transition <paramref name="seq"/>, read in the writer's transaction (which holds the write lock); null if nobody did.</summary>
    public static string? UnregisteredAfter(WriteContext ctx, string agentId, long seq)
    {
        var cmd = ctx.Command("SELECT actor FROM agent_transitions WHERE agent_id = $a AND version IS NULL AND seq > $s ORDER BY seq LIMIT 1", "$a", "$s");
        cmd.Parameters["$a"].Value = agentId;
        cmd.Parameters["$s"].Value = seq;
        return cmd.ExecuteScalar() as string;
    }

    /// <summary>
    /// The newest transition of <paramref name="agentId"/> before <paramref name="version"/> was last promoted (any time when null;
    /// re-activations from retired by a rollback are not promotions) in which a version left the active state serving every
    /// customer, or an unregister of the agent: false when there is none, else <paramref name="left"/> is that version, null for
    /// an unregister. A canary that left (pulled by a rollback, or retired beside the primary by a promotion) never replaced
    /// anything, so it is not among them.
    /// </summary>
    public bool TryLeftActiveBefore(string agentId, string? version, out string? left)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT version FROM agent_transitions
            WHERE agent_id = $a AND ((from_state = 'active' AND to_state <> 'active' AND coalesce(canary_percent, 100) >= 100) OR version IS NULL)
              AND seq < coalesce((SELECT max(seq) FROM agent_transitions
                                  WHERE agent_id = $a AND version = $v AND to_state = 'active' AND from_state <> 'retired'), 9223372036854775807)
            ORDER BY seq DESC LIMIT 1
            """;
        cmd.Parameters.AddWithValue("$a", agentId);
        cmd.Parameters.AddWithValue("$v", (object?)version ?? DBNull.Value);
        using var reader = cmd.ExecuteReader();
        left = null;
        if (!reader.Read())
            return false;
        left = reader.IsDBNull(0) ? null : reader.GetString(0);
        return true;
    }

    /// <summary>Whether <paramref name="agentId"/>@<paramref name="version"/> was taken back (rolled back, suspended, unregistered) and not active since.</summary>
    public bool IsWithdrawn(string agentId, string version)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT 1 FROM withdrawn_versions WHERE agent_id = $a AND version = $v";
        cmd.Parameters.AddWithValue("$a", agentId);
        cmd.Parameters.AddWithValue("$v", version);
        return cmd.ExecuteScalar() is not null;
    }

    /// <summary>The content hash <paramref name="agentId"/>@<paramref name="version"/> is stored with, read in the writer's transaction; null when it is not stored.</summary>
    public static string? ContentHashOf(WriteContext ctx, string agentId, string version)
    {
        var cmd = ctx.Command("SELECT content_hash FROM agent_versions WHERE agent_id = $a AND version = $v", "$a", "$v");
        cmd.Parameters["$a"].Value = agentId;
        cmd.Parameters["$v"].Value = version;
        return cmd.ExecuteScalar() as string;
    }

    public static void Insert(WriteContext ctx, AgentManifest manifest, string hash, DateTimeOffset at)
    {
        var cmd = ctx.Command(
            "INSERT INTO agent_versions (agent_id, version, kind, manifest, content_hash, state, created_at, updated_at) VALUES ($a, $v, $k, $m, $h, $s, $c, $c)",
            "$a", "$v", "$k", "$m", "$h", "$s", "$c");
        cmd.Parameters["$a"].Value = manifest.Id;
        cmd.Parameters["$v"].Value = manifest.Version;
        cmd.Parameters["$k"].Value = manifest.Kind;
        cmd.Parameters["$m"].Value = JsonSerializer.Serialize(manifest, ManifestReader.Json);
        cmd.Parameters["$h"].Value = hash;
        cmd.Parameters["$s"].Value = AgentRegistry.Name(AgentState.Registered);
        cmd.Parameters["$c"].Value = at.ToString("O");
        cmd.ExecuteNonQuery();
    }

    public static void SetState(WriteContext ctx, AgentVersionRecord r, AgentState to, int canary, DateTimeOffset at) =>
        ctx.Execute("UPDATE agent_versions SET state = $s, canary_percent = $c, updated_at = $u WHERE agent_id = $a AND version = $v",
            ("$s", AgentRegistry.Name(to)), ("$c", canary), ("$u", at.ToString("O")), ("$a", r.AgentId), ("$v", r.Version));

    /// <summary>Records a version as taken back: its briefs held for review are no longer delivered, and leave the review queue.</summary>
    public static void Withdraw(WriteContext ctx, AgentVersionRecord r, DateTimeOffset at)
    {
        ctx.Execute("INSERT OR REPLACE INTO withdrawn_versions (agent_id, version, at) VALUES ($a, $v, $at)", ("$a", r.AgentId), ("$v", r.Version), ("$at", at.ToString("O")));
        HeldForReview.Withdraw(ctx, r.AgentId, r.Version);
    }

    /// <summary>A version active again: its held briefs are delivered again, and those without a verdict are back in the review queue.</summary>
    public static void Reinstate(WriteContext ctx, AgentVersionRecord r)
    {
        if (ctx.Execute("DELETE FROM withdrawn_versions WHERE agent_id = $a AND version = $v", ("$a", r.AgentId), ("$v", r.Version)) > 0)
            HeldForReview.Reinstate(ctx, r.AgentId, r.Version);
    }

    /// <summary>One version's transition: its row in <c>agent_transitions</c>, the change counter, and an audit record.</summary>
    public void Transition(WriteContext ctx, string agentId, string version, AgentState? from, AgentState to, string actor, DateTimeOffset at, string hash, int canaryPercent = 100, string? reason = null)
    {
        var cmd = ctx.Command(
            "INSERT INTO agent_transitions (agent_id, version, from_state, to_state, actor, at, canary_percent) VALUES ($a, $v, $f, $t, $w, $at, $c)",
            "$a", "$v", "$f", "$t", "$w", "$at", "$c");
        cmd.Parameters["$a"].Value = agentId;
        cmd.Parameters["$v"].Value = version;
        cmd.Parameters["$f"].Value = from is { } f ? AgentRegistry.Name(f) : DBNull.Value;
        cmd.Parameters["$t"].Value = AgentRegistry.Name(to);
        cmd.Parameters["$w"].Value = actor;
        cmd.Parameters["$at"].Value = at.ToString("O");
        cmd.Parameters["$c"].Value = canaryPercent;
        cmd.ExecuteNonQuery();
        Bump(ctx);
        audit.Append(ctx, actor, from is null ? "agent.registered" : $"agent.{AgentRegistry.Name(to)}", $"agent:{agentId}@{version}",
            new Dictionary<string, object?> { ["from"] = from is { } f2 ? AgentRegistry.Name(f2) : null, ["to"] = AgentRegistry.Name(to), ["contentHash"] = hash, ["canaryPercent"] = canaryPercent, ["reason"] = reason }, at);
    }

    /// <summary>The agent-level transition an unregister writes (no version): where rollback history ends.</summary>
    public void Unregistered(WriteContext ctx, string agentId, string actor, DateTimeOffset at)
    {
        ctx.Execute("INSERT INTO agent_transitions (agent_id, version, from_state, to_state, actor, at) VALUES ($a, NULL, NULL, $t, $w, $at)",
            ("$a", agentId), ("$t", AgentRegistry.Name(AgentState.Retired)), ("$w", actor), ("$at", at.ToString("O")));
        Bump(ctx);
        audit.Append(ctx, actor, "agent.unregistered", $"agent:{agentId}", new Dictionary<string, object?>(), at);
    }
}
