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
/// unique name and one role; for a CSM the name is the CSM id that account assignments refer to.
/// Lookups are cached for <see cref="CacheTime"/>, so a key revoked by the CLI in another process stops
/// working on a running server within that time (at once when revoked in this process).
/// </summary>
public sealed partial class ApiKeyStore(SqliteDatabase database, SqliteWriter writer, AuditLog audit, TimeProvider time)
{
    public const string Prefix = "acrm_";
    public static readonly TimeSpan CacheTime = TimeSpan.FromSeconds(2);
    private readonly ConcurrentDictionary<string, (ApiKeyInfo? Key, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);

    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    public async Task<CreatedApiKey> CreateAsync(string name, string role, string actor, CancellationToken cancellationToken = default)
    {
        if (!IsValidName(name))
            throw new ApiKeyException($"'{name}' is not a valid key name: 1-64 characters, letters, digits and . _ @ -, starting with a letter or digit.");
        if (!Roles.IsKnown(role))
            throw new ApiKeyException($"Unknown role '{role}'; roles: {string.Join(", ", Roles.All)}.");
        var key = Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = time.GetUtcNow();
        var info = new ApiKeyInfo(name, role, key[..(Prefix.Length + 6)], now, null);
        var created = await writer.WriteAsync(ctx =>
        {
            var inserted = ctx.Execute(
                "INSERT INTO api_keys (name, role, key_hash, prefix, created_at) VALUES ($n, $r, $h, $p, $c) ON CONFLICT(name) DO NOTHING",
                ("$n", name), ("$r", role), ("$h", Hash(key)), ("$p", info.Prefix), ("$c", now.ToString("O")));
            if (inserted == 0)
                return false;
            audit.Append(ctx, actor, "key.created", $"key:{name}", new Dictionary<string, object?> { ["role"] = role, ["prefix"] = info.Prefix }, now);
            return true;
        }).WaitAsync(cancellationToken);
        if (!created)
            throw new ApiKeyException($"A key named '{name}' already exists; revoke it or choose another name.");
        return new CreatedApiKey(key, info);
    }

    public async Task<ApiKeyInfo> RevokeAsync(string name, string actor, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var revoked = await writer.WriteAsync(ctx =>
        {
            if (ctx.Execute("UPDATE api_keys SET revoked_at = $t WHERE name = $n AND revoked_at IS NULL", ("$t", now.ToString("O")), ("$n", name)) == 0)
                return false;
            audit.Append(ctx, actor, "key.revoked", $"key:{name}", new Dictionary<string, object?>(), now);
            return true;
        }).WaitAsync(cancellationToken);
        _cache.Clear();
        var info = List().FirstOrDefault(k => k.Name == name) ?? throw new ApiKeyException($"No key named '{name}'.");
        if (!revoked && info.RevokedAt is null)
            throw new ApiKeyException($"Key '{name}' could not be revoked.");
        return info;
    }

    public IReadOnlyList<ApiKeyInfo> List()
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT name, role, prefix, created_at, revoked_at FROM api_keys ORDER BY name";
        using var reader = cmd.ExecuteReader();
        var list = new List<ApiKeyInfo>();
        while (reader.Read())
            list.Add(Read(reader));
        return list;
    }

    /// <summary>The live key a presented secret belongs to, or null (unknown or revoked).</summary>
    public ApiKeyInfo? Find(string presented)
    {
        if (!presented.StartsWith(Prefix, StringComparison.Ordinal) || presented.Length > 128)
            return null;
        var hash = Hash(presented);
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(hash, out var hit) && hit.Until > now)
            return hit.Key;
        ApiKeyInfo? found = null;
        using (var connection = database.Open())
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "SELECT name, role, prefix, created_at, revoked_at FROM api_keys WHERE key_hash = $h AND revoked_at IS NULL";
            cmd.Parameters.AddWithValue("$h", hash);
            using var reader = cmd.ExecuteReader();
            if (reader.Read())
                found = Read(reader);
        }
        if (_cache.Count > 10_000)
            _cache.Clear();
        _cache[hash] = (found, now + CacheTime);
        return found;
    }

    private static ApiKeyInfo Read(Microsoft.Data.Sqlite.SqliteDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2),
        DateTimeOffset.Parse(reader.GetString(3), System.Globalization.CultureInfo.InvariantCulture),
        reader.IsDBNull(4) ? null : DateTimeOffset.Parse(reader.GetString(4), System.Globalization.CultureInfo.InvariantCulture));

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")]
    private static partial Regex NamePattern();
}
