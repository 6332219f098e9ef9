using System.Collections.Concurrent;
using System.Text.Json;
using AgentCrm.Agents.Consent;
using AgentCrm.Audit;
using AgentCrm.Storage;
using Microsoft.Extensions.Options;

namespace AgentCrm.Customers;

/// <summary>
/// The consent policy for customers without an explicit record (<c>Consent:DefaultGrants</c>). Unset, it
/// allows every category for every purpose; a stricter organisation configures e.g. only
/// <c>{ purpose: customer-success, categories: [contract, usage, support, billing] }</c>.
/// </summary>
public sealed class ConsentOptions
{
    public const string Section = "Consent";

    public List<ConsentGrantOptions>? DefaultGrants { get; set; }

    public ConsentPolicy DefaultPolicy => DefaultGrants is null
        ? ConsentPolicy.AllowAll
        : new ConsentPolicy(DefaultGrants.Select(g => new ConsentGrant(g.Purpose, g.Categories)).ToList(), false);
}

public sealed class ConsentGrantOptions
{
    public string Purpose { get; set; } = "";

    public List<string> Categories { get; set; } = [];
}

public sealed record ConsentRecord(string CustomerId, IReadOnlyList<ConsentGrant> Grants, bool Explicit, DateTimeOffset? UpdatedAt);

/// <summary>
/// Customers' consent records. Reads come from memory (every actor turn asks); a PUT is durable before it
/// answers and replaces the cached policy, so revocation applies from the next turn (and to the briefs of a turn in
/// flight, checked again as they are stored: <see cref="For(WriteContext, string)"/>).
/// </summary>
public sealed class ConsentStore(SqliteDatabase database, SqliteWriter writer, AuditLog audit, TimeProvider time, IOptions<ConsentOptions> options)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly ConcurrentDictionary<string, ConsentPolicy> _cache = new(StringComparer.Ordinal);

    // Counts committed PUTs: a policy read from the database before one committed must not be cached over the one it set
    // (a turn's first read racing a revocation would otherwise put the old grants back until a restart).
    private long _puts;

    public ConsentPolicy Default => options.Value.DefaultPolicy;

    public ConsentPolicy For(string customerId)
    {
        if (_cache.TryGetValue(customerId, out var cached))
            return cached;
        var puts = Interlocked.Read(ref _puts);
        var record = Read(customerId);
        var policy = record is null ? Default : new ConsentPolicy(record.Grants, true);
        if (_cache.Count > 200_000)
            _cache.Clear();
        if (Interlocked.Read(ref _puts) != puts)
            return _cache.TryGetValue(customerId, out var newer) ? newer : policy;
        var kept = _cache.GetOrAdd(customerId, policy);
        // A PUT that committed meanwhile (its entry perhaps cleared with the rest of the cache before this add): take this
        // read back out, only if it is still this read's, so the next turn reads the database again.
        if (Interlocked.Read(ref _puts) != puts)
            _cache.TryRemove(KeyValuePair.Create(customerId, policy));
        return kept;
    }

    /// <summary>
    /// The policy in force inside a write: a PUT that committed meanwhile, or that runs ahead in the same transaction, is
    /// seen. A turn checks its briefs against it as they are stored, so a withdrawal that answered during the turn keeps them out.
    /// </summary>
    public ConsentPolicy For(WriteContext ctx, string customerId)
    {
        var read = ctx.Command("SELECT grants FROM consents WHERE customer_id = $c", "$c");
        read.Parameters["$c"].Value = customerId;
        return read.ExecuteScalar() is string json ? new ConsentPolicy(JsonSerializer.Deserialize<List<ConsentGrant>>(json, Json)!, true) : Default;
    }

    /// <summary>
    /// Drops the customer's cached policy, so the next read is the stored one: for a turn that found, as it saved, consent
    /// other than the one it ran on, so that its run again does not start from the same cached policy.
    /// </summary>
    public void Forget(string customerId) => _cache.TryRemove(customerId, out _);

    public ConsentRecord Get(string customerId) =>
        Read(customerId) ?? new ConsentRecord(customerId, Default.Grants, false, null);

    public async Task<ConsentRecord> PutAsync(string customerId, IReadOnlyList<ConsentGrant> grants, string actor, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var json = JsonSerializer.Serialize(grants, Json);
        await writer.WriteAsync(ctx =>
        {
            ctx.Execute("INSERT INTO consents (customer_id, grants, updated_at) VALUES ($c, $g, $u) ON CONFLICT(customer_id) DO UPDATE SET grants = excluded.grants, updated_at = excluded.updated_at",
                ("$c", customerId), ("$g", json), ("$u", now.ToString("O")));
            audit.Append(ctx, actor, "consent.updated", $"customer:{customerId}", new Dictionary<string, object?> { ["grants"] = grants }, now);
            ctx.AfterCommit(() =>
            {
                Interlocked.Increment(ref _puts);
                _cache[customerId] = new ConsentPolicy(grants, true);
            });
        }).WaitAsync(cancellationToken);
        return new ConsentRecord(customerId, grants, true, now);
    }

    private ConsentRecord? Read(string customerId)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT grants, updated_at FROM consents WHERE customer_id = $c";
        cmd.Parameters.AddWithValue("$c", customerId);
        using var reader = cmd.ExecuteReader();
        if (!reader.Read())
            return null;
        // In UTC, as the API writes every time: a grant an earlier build stored kept the offset it was sent with (+05:30).
        var grants = JsonSerializer.Deserialize<List<ConsentGrant>>(reader.GetString(0), Json)!
            .Select(g => g.ExpiresAt is { } at ? g with { ExpiresAt = at.ToUniversalTime() } : g).ToList();
        return new ConsentRecord(customerId, grants, true,
            DateTimeOffset.Parse(reader.GetString(1), System.Globalization.CultureInfo.InvariantCulture));
    }
}

internal sealed class ConsentOptionsValidator : IValidateOptions<ConsentOptions>
{
    public ValidateOptionsResult Validate(string? name, ConsentOptions o)
    {
        var errors = new List<string>();
        var categories = Agents.Customers.FieldCatalog.Categories.ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < (o.DefaultGrants?.Count ?? 0); i++)
        {
            var g = o.DefaultGrants![i];
            if (string.IsNullOrWhiteSpace(g.Purpose))
                errors.Add($"Consent:DefaultGrants:{i}:Purpose is required (a manifest purpose, or * for any).");
            else if (g.Purpose != ConsentGrant.Any && !Agents.ManifestReader.IsPurpose(g.Purpose))
                errors.Add($"Consent:DefaultGrants:{i}:Purpose '{g.Purpose}' is not a purpose name (lower-case letters, digits and -, as manifests declare), or * for any.");
            if (g.Categories.Count == 0)
                errors.Add($"Consent:DefaultGrants:{i}:Categories needs at least one category.");
            foreach (var c in g.Categories.Where(c => c != ConsentGrant.Any && !categories.Contains(c)))
                errors.Add($"Consent:DefaultGrants:{i}:Categories has unknown category '{c}'; allowed: {string.Join(", ", categories.Order())}, or *.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
