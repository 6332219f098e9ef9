using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using AgentCrm.Audit;
using AgentCrm.Storage;

namespace AgentCrm.Access;

public sealed record ApiKeyInfo(string Name, string Role, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

public sealed record CreatedApiKey(string Key, ApiKeyInfo Info);

public sealed class ApiKeyException(string message) : Exception(message);

/// <summary>
/// API keys: random 256-bit secrets shown once at creation; only their SHA-256 is stored. A key has a
/// name and one role; for a CSM the name is the CSM id that account assignments refer to. At most one
/// key per name is live: a name whose key was revoked takes a new key (a leaked CSM key is replaced
/// under the same CSM id, keeping its accounts), and the revoked key stays revoked and listed.
/// Lookups are cached for <see cref="CacheTime"/>, so a key revoked by the CLI in another process stops
/// working on a running server within that time (at once when revoked in this process).
/// </summary>
public sealed partial class ApiKeyStore
{
    public const string Prefix = "acrm_";
    public static readonly TimeSpan CacheTime = TimeSpan.FromSeconds(2);

    private const string Columns = "name, role, prefix, created_at, revoked_at";

    private readonly ConcurrentDictionary<string, (ApiKeyInfo? Key, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);
    private readonly SqliteDatabase _database;
    private readonly SqliteWriter _writer;
    private readonly AuditLog _audit;
    private readonly TimeProvider _time;

    public ApiKeyStore(SqliteDatabase database, SqliteWriter writer, AuditLog audit, TimeProvider time) =>
        (_database, _writer, _audit, _time) = (database, writer, audit, time);

    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    /// <summary>What a key name is, for the messages that refuse one (the CLI's usage error and the store's own check).</summary>
    internal const string NameRule = "1-64 characters: ASCII letters, digits and . _ @ -, starting with a letter or digit";

    public async Task<CreatedApiKey> CreateAsync(string name, string role, string actor, CancellationToken cancellationToken = default)
    {
        if (!IsValidName(name))
            throw new ApiKeyException($"'{name}' is not a valid key name: {NameRule}.");
        if (!Roles.IsKnown(role))
            throw new ApiKeyException($"Unknown role '{role}'; roles: {string.Join(", ", Roles.All)}.");
        var key = Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = _time.GetUtcNow();
        var info = new ApiKeyInfo(name, role, key[..(Prefix.Length + 6)], now, null);
        var keyHash = Hash(key);
        var created = await _writer.WriteAsync(ctx =>
        {
            var read = ctx.Command("SELECT prefix, revoked_at FROM api_keys WHERE name = $n", "$n");
            read.Parameters["$n"].Value = name;
            string? replaced = null;
            using (var reader = read.ExecuteReader())
                if (reader.Read())
                {
                    if (reader.IsDBNull(1))
                        return false;
                    replaced = reader.GetString(0);
                }
            if (replaced is not null)
            {
                ctx.Execute($"INSERT INTO api_keys_replaced (key_hash, {Columns}) SELECT key_hash, {Columns} FROM api_keys WHERE name = $n", ("$n", name));
                ctx.Execute("DELETE FROM api_keys WHERE name = $n", ("$n", name));
            }
            if (ctx.Execute(
                    "INSERT INTO api_keys (name, role, key_hash, prefix, created_at) VALUES ($n, $r, $h, $p, $c) ON CONFLICT(name) DO NOTHING",
                    ("$n", name), ("$r", role), ("$h", keyHash), ("$p", info.Prefix), ("$c", now.ToString("O"))) == 0)
                return false;
            var data = new Dictionary<string, object?> { ["role"] = role, ["prefix"] = info.Prefix, ["keyDigest"] = AuditedState.KeyDigest(name, role, keyHash) };
            if (replaced is not null)
                data["replacesRevoked"] = replaced;
            _audit.Append(ctx, actor, "key.created", $"key:{name}", data, now);
            return true;
        }).WaitAsync(cancellationToken);
        if (!created)
            throw new ApiKeyException($"A live key named '{name}' already exists; revoke it first (its name then takes a new key) or choose another name.");
        return new CreatedApiKey(key, info);
    }

    public async Task<ApiKeyInfo> RevokeAsync(string name, string actor, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var revoked = await _writer.WriteAsync(ctx =>
        {
            if (ctx.Execute("UPDATE api_keys SET revoked_at = $t WHERE name = $n AND revoked_at IS NULL", ("$t", now.ToString("O")), ("$n", name)) == 0)
                return false;
            _audit.Append(ctx, actor, "key.revoked", $"key:{name}", new Dictionary<string, object?>(), now);
            return true;
        }).WaitAsync(cancellationToken);
        _cache.Clear();
        var info = Query($"SELECT {Columns} FROM api_keys WHERE name = $n", ("$n", name)).FirstOrDefault() ?? throw new ApiKeyException($"No key named '{name}'.");
        if (!revoked && info.RevokedAt is null)
            throw new ApiKeyException($"Key '{name}' could not be revoked.");
        return info;
    }

    /// <summary>Every key by name, oldest first within a name (revoked keys whose name took a new key included).</summary>
    public IReadOnlyList<ApiKeyInfo> List() =>
        Query($"SELECT {Columns} FROM api_keys UNION ALL SELECT {Columns} FROM api_keys_replaced ORDER BY name, created_at");

    /// <summary>The live key a presented secret belongs to, or null (unknown or revoked).</summary>
    public ApiKeyInfo? Find(string presented)
    {
        if (!presented.StartsWith(Prefix, StringComparison.Ordinal) || presented.Length > 128)
            return null;
        var hash = Hash(presented);
        var now = _time.GetUtcNow();
        if (_cache.TryGetValue(hash, out var hit) && hit.Until > now)
            return hit.Key;
        var found = Query($"SELECT {Columns} FROM api_keys WHERE key_hash = $h AND revoked_at IS NULL", ("$h", hash)).FirstOrDefault();
        if (_cache.Count > 10_000)
            _cache.Clear();
        _cache[hash] = (found, now + CacheTime);
        return found;
    }

    private List<ApiKeyInfo> Query(string sql, params (string Name, object Value)[] args)
    {
        using var connection = _database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (n, v) in args)
            cmd.Parameters.AddWithValue(n, v);
        using var reader = cmd.ExecuteReader();
        var list = new List<ApiKeyInfo>();
        while (reader.Read())
            list.Add(Read(reader));
        return list;
    }

    private static ApiKeyInfo Read(Microsoft.Data.Sqlite.SqliteDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2),
        DateTimeOffset.Parse(reader.GetString(3), System.Globalization.CultureInfo.InvariantCulture),
        reader.IsDBNull(4) ? null : DateTimeOffset.Parse(reader.GetString(4), System.Globalization.CultureInfo.InvariantCulture));

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}\z")]
    private static partial Regex NamePattern();
}
