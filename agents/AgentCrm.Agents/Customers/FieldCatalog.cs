namespace AgentCrm.Agents.Customers;

/// <summary>
/// Which snapshot fields exist and which data category (the consent unit) each belongs to. A field is
/// <c>prefix.name</c>; the prefix decides the category, so case mappings and new signals can add fields
/// (e.g. <c>usage.secondsOfUse</c>) without a code change, while an unknown prefix is rejected.
/// </summary>
public static class FieldCatalog
{
    /// <summary>Field-name prefix → data category.</summary>
    public static readonly IReadOnlyDictionary<string, string> Prefixes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["profile"] = "identity",
        ["demographics"] = "demographics",
        ["tenure"] = "contract",
        ["contract"] = "contract",
        ["services"] = "services",
        ["usage"] = "usage",
        ["logins"] = "usage",
        ["tickets"] = "support",
        ["support"] = "support",
        ["billing"] = "billing",
        ["nps"] = "feedback",
        ["web"] = "web",
        ["events"] = "activity",
        ["documents"] = "documents",
        ["news"] = "news",
    };

    /// <summary>
    /// Event type → the data categories its attributes hold, all of which consent must allow before a raw event is shown
    /// (as a brief's evidence): it carries more than the fields counted from it (an NPS event cited by
    /// <c>events.count30d.nps</c>, an activity count, holds the score and comment, which are feedback). A profile holds
    /// the customer's start (<c>tenure.*</c>, contract) beside identity; a web visit the visitor's e-mail; an e-mail's
    /// subject, addresses and text are more than activity.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string[]> EventCategories = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["profile"] = ["identity", "contract"],
        ["contract"] = ["contract"],
        ["invoice"] = ["billing"],
        ["payment"] = ["billing"],
        ["usage"] = ["usage"],
        ["login"] = ["usage"],
        ["support_ticket"] = ["support"],
        ["nps"] = ["feedback"],
        ["web_visit"] = ["web", "identity"],
        ["email"] = ["activity", "identity"],
        ["document"] = ["documents"],
        ["news"] = ["news"],
    };

    /// <summary>The data categories consent grants name.</summary>
    public static IEnumerable<string> Categories => Prefixes.Values.Distinct(StringComparer.Ordinal);

    /// <summary>The category of a field, or null when the name is not <c>knownPrefix.name</c>.</summary>
    public static string? CategoryOf(string field)
    {
        var dot = field.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == field.Length - 1)
            return null;
        foreach (var c in field.AsSpan(dot + 1))
            if (!char.IsAsciiLetterOrDigit(c) && c != '.' && c != '_')
                return null;
        // Looked up by span: the consent gate asks this for every field an agent reads, on every event.
        return PrefixLookup.TryGetValue(field.AsSpan(0, dot), out var category) ? category : null;
    }

    private static readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> PrefixLookup =
        ((Dictionary<string, string>)Prefixes).GetAlternateLookup<ReadOnlySpan<char>>();

    public static bool IsValid(string field) => CategoryOf(field) is not null;

    /// <summary>The fields the snapshot builder derives as texts; every other field it derives is a number (booleans 0/1).</summary>
    private static readonly HashSet<string> TextFields = new(StringComparer.Ordinal)
    {
        "profile.name", "profile.segment", "profile.domain", "contract.type", "contract.status", "web.intentCategories7d", "web.intentBurstCategories", "web.intentBurstSince",
        "documents.text", "documents.docType", "documents.title", "news.title", "news.buyer", "news.description", "news.date",
    };

    /// <summary>
    /// The kind of value a field always holds when the snapshot builder derives it (and a case mapping that supplies it
    /// must keep: <c>tickets.open</c> is a number, <c>profile.name</c> a text); null for a field only case mappings
    /// supply (<c>services.internet</c>), whose kind each mapping declares.
    /// </summary>
    public static FieldKind? KindOf(string field) =>
        !SnapshotBuilder.Derives(field) ? null : TextFields.Contains(field) ? FieldKind.Text : FieldKind.Number;
}
