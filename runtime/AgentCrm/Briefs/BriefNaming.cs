using System.Text.Json;
using System.Text.RegularExpressions;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Briefs;

/// <summary>
/// A brief rendered without the customer's name, from what it stores. The composer puts the name (<see cref="Brief.CustomerName"/>,
/// the snapshot's <c>profile.name</c>) into the headline and body where a brief written without it has the customer's id
/// (<see cref="BriefComposer"/>); a chat model writing the brief, and an agent's own headline or reason (a rules template's
/// <c>{profile.name}</c>), quote the same text. So the stored name is replaced by the id wherever it stands as a whole
/// (not inside a longer word; any case; any white space between its words), the identity fields the agent read are left
/// out of <see cref="Brief.Inputs"/> and of its reasons' values, and <see cref="Brief.CustomerName"/> is null. Briefs
/// stored by earlier builds carry the same fields, so they read the same way.
/// </summary>
internal static class BriefNaming
{
    public const string NameField = "profile.name";

    private const string IdentityCategory = "identity";

    public static Brief Unnamed(Brief brief)
    {
        var name = brief.CustomerName ?? (brief.Inputs.TryGetValue(NameField, out var input) ? Text(input) : null);
        var pattern = Pattern(name);
        string Scrub(string text) => pattern is null ? text : pattern.Replace(text, _ => brief.CustomerId);
        object? ScrubValue(object? value) => pattern is not null && Text(value) is { } text && pattern.IsMatch(text) ? Scrub(text) : value;
        return brief with
        {
            CustomerName = null,
            Headline = Scrub(brief.Headline),
            Body = Scrub(brief.Body),
            Reasons = [.. brief.Reasons.Select(r => r with
            {
                Value = IsIdentity(r.Field) ? null : ScrubValue(r.Value),
                Explanation = Scrub(r.Explanation),
            })],
            Inputs = brief.Inputs.Where(f => !IsIdentity(f.Key)).ToDictionary(f => f.Key, f => ScrubValue(f.Value), StringComparer.Ordinal),
        };
    }

    private static bool IsIdentity(string field) => FieldCatalog.CategoryOf(field) == IdentityCategory;

    /// <summary>The name as a whole, in any case, its words apart by any white space; null when there is no name.</summary>
    private static Regex? Pattern(string? name)
    {
        var words = name?.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (words.Length == 0)
            return null;
        var body = string.Join(@"\s+", words.Select(Regex.Escape));
        return new Regex($@"(?<![\p{{L}}\p{{N}}_]){body}(?![\p{{L}}\p{{N}}_])",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    private static string? Text(object? value) => value switch
    {
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
        _ => null,
    };
}
