using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AgentCrm.Storage;

namespace AgentCrm.Audit;

/// <summary>
/// Append-only audit records, each hash-chained to the one before it: hash = SHA-256 over the canonical
/// line "seq|at|actor|action|subject|data|prevHash". Appends run inside group-commit operations and read
/// the previous hash inside the same transaction, so a rolled-back operation never breaks the chain.
/// </summary>
public sealed class AuditLog
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";
    private static readonly JsonSerializerOptions DataJson = new(JsonSerializerDefaults.Web);

    public void Append(WriteContext ctx, string actor, string action, string subject, IReadOnlyDictionary<string, object?> data, DateTimeOffset at)
    {
        var last = ctx.Command("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
        long seq = 1;
        var prev = Genesis;
        using (var reader = last.ExecuteReader())
            if (reader.Read())
            {
                seq = reader.GetInt64(0) + 1;
                prev = reader.GetString(1);
            }
        var when = at.ToUniversalTime().ToString("O");
        var json = JsonSerializer.Serialize(data, DataJson);
        var hash = Hash(seq, when, actor, action, subject, json, prev);
        var insert = ctx.Command(
            "INSERT INTO audit (seq, at, actor, action, subject, data, prev_hash, hash) VALUES ($s, $at, $a, $ac, $su, $d, $p, $h)",
            "$s", "$at", "$a", "$ac", "$su", "$d", "$p", "$h");
        insert.Parameters["$s"].Value = seq;
        insert.Parameters["$at"].Value = when;
        insert.Parameters["$a"].Value = actor;
        insert.Parameters["$ac"].Value = action;
        insert.Parameters["$su"].Value = subject;
        insert.Parameters["$d"].Value = json;
        insert.Parameters["$p"].Value = prev;
        insert.Parameters["$h"].Value = hash;
        insert.ExecuteNonQuery();
    }

    public static string Hash(long seq, string at, string actor, string action, string subject, string data, string prev) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{seq}|{at}|{actor}|{action}|{subject}|{data}|{prev}")));
}
