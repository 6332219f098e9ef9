using AgentCrm.Agents.Customers;

namespace AgentCrm.Agents.Consent;

/// <summary>One grant: the customer allows processing of these data categories for this purpose, until it expires.</summary>
/// <param name="Purpose">The purpose agents declare in their manifest (<c>*</c> = any purpose).</param>
/// <param name="Categories">Data categories of <see cref="FieldCatalog"/> (<c>*</c> = every category).</param>
/// <param name="ExpiresAt">When the grant lapses; null = until revoked.</param>
public sealed record ConsentGrant(string Purpose, IReadOnlyList<string> Categories, DateTimeOffset? ExpiresAt = null)
{
    public const string Any = "*";

    public bool Covers(string purpose, string category, DateTimeOffset at)
    {
        if (!(Purpose == Any || string.Equals(Purpose, purpose, StringComparison.Ordinal)) || !(ExpiresAt is null || at < ExpiresAt))
            return false;
        // A loop, not Any(lambda): asked for every field of every agent run on every event.
        for (var i = 0; i < Categories.Count; i++)
            if (Categories[i] == Any || string.Equals(Categories[i], category, StringComparison.Ordinal))
                return true;
        return false;
    }
}

/// <summary>A customer's consent: the grants in force (an explicit record, or the configured default).</summary>
public sealed record ConsentPolicy(IReadOnlyList<ConsentGrant> Grants, bool Explicit)
{
    /// <summary>Everything for every purpose (the default when none is configured).</summary>
    public static ConsentPolicy AllowAll { get; } = new([new ConsentGrant(ConsentGrant.Any, [ConsentGrant.Any])], false);

    public bool Allows(string purpose, string field, DateTimeOffset at) =>
        FieldCatalog.CategoryOf(field) is { } category && AllowsCategory(purpose, category, at);

    /// <summary>Whether an event of <paramref name="eventType"/> may be shown whole for <paramref name="purpose"/>: every category its body holds is allowed.</summary>
    public bool AllowsEvent(string purpose, string eventType, DateTimeOffset at) =>
        FieldCatalog.EventCategories.TryGetValue(eventType, out var categories) && categories.All(c => AllowsCategory(purpose, c, at));

    private bool AllowsCategory(string purpose, string category, DateTimeOffset at)
    {
        for (var i = 0; i < Grants.Count; i++)
            if (Grants[i].Covers(purpose, category, at))
                return true;
        return false;
    }

    /// <summary>
    /// What the agent may see: every field it reads that the grants allow for its purpose. When a field
    /// in <see cref="AgentManifest.Reads"/> is withheld the agent is blocked (it must not run on this
    /// customer); withheld <see cref="AgentManifest.OptionalReads"/> are simply left out.
    /// </summary>
    public ConsentDecision Decide(AgentManifest manifest, DateTimeOffset at)
    {
        // Run for every agent on every event: sized once, and the lists that stay empty (nearly always) not made at all.
        var allowed = new List<string>(manifest.Reads.Count + manifest.OptionalReads.Count);
        List<string>? withheld = null, dropped = null;
        foreach (var field in manifest.Reads)
        {
            if (Allows(manifest.Purpose, field, at))
                allowed.Add(field);
            else
                (withheld ??= []).Add(field);
        }
        foreach (var field in manifest.OptionalReads)
        {
            if (Allows(manifest.Purpose, field, at))
                allowed.Add(field);
            else
                (dropped ??= []).Add(field);
        }
        return new ConsentDecision(allowed, (IReadOnlyList<string>?)withheld ?? [], (IReadOnlyList<string>?)dropped ?? []);
    }
}

/// <summary>The consent gate's verdict for one agent and one customer.</summary>
/// <param name="Allowed">Fields the agent may read.</param>
/// <param name="Withheld">Required fields the customer withholds: the agent is not run.</param>
/// <param name="Dropped">Optional fields withheld: the agent runs without them.</param>
public sealed record ConsentDecision(IReadOnlyList<string> Allowed, IReadOnlyList<string> Withheld, IReadOnlyList<string> Dropped)
{
    public bool Blocked => Withheld.Count > 0;
}
