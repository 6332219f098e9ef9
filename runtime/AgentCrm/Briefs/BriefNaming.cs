using System.Text.Json;
using System.Text.RegularExpressions;
using AgentCrm.Agents;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Briefs;

/// <summary>
/// A brief rendered without the customer's name, from what it stores. The composer puts the name (<see cref="Brief.CustomerName"/>,
/// the snapshot's <c>profile.name</c>) into the headline and body where a brief written without it has the customer's id
/// (<see cref="BriefComposer"/>). A brief whose text is the composer's template (the agent's version known, the stored text
/// rendered again from the brief's own score, reasons, next step and citations) is rendered again with the id — exactly
/// where the name stood, so a name that is also an ordinary word ("Renewal", "Usage") leaves the template's words and
/// the reasons alone (verify28). Text the server did not compose — a chat model's, an agent's own headline — has the
/// stored name replaced by the id wherever it stands as a whole (not inside a longer word; any case; any white space
/// between its words), as in the values the agent read; in an agent's reasons and next step only where it stands as
/// written (a rules template's <c>{profile.name}</c> quotes it so; "usage fell" is not the customer "Usage"). The identity fields the agent read are left out of <see cref="Brief.Inputs"/>
/// and of its reasons' values, and <see cref="Brief.CustomerName"/> is null. Briefs stored by earlier builds carry the
/// same fields, so they read the same way.
/// </summary>
internal static class BriefNaming
{
    public const string NameField = "profile.name";

    private const string IdentityCategory = "identity";

    public static Brief Unnamed(Brief brief, AgentManifest? manifest = null)
    {
        var name = brief.CustomerName ?? (brief.Inputs.TryGetValue(NameField, out var input) ? Text(input) : null);
        var anyCase = Pattern(name, RegexOptions.IgnoreCase);
        var asWritten = Pattern(name, RegexOptions.None);
        string Scrub(Regex? pattern, string text) => pattern is null ? text : pattern.Replace(text, _ => brief.CustomerId);
        object? ScrubValue(object? value) => anyCase is not null && Text(value) is { } text && anyCase.IsMatch(text) ? Scrub(anyCase, text) : value;
        var reasons = brief.Reasons.Select(r => r with
        {
            Value = IsIdentity(r.Field) ? null : ScrubValue(r.Value),
            Explanation = Scrub(asWritten, r.Explanation),
        }).ToList();
        var (headline, body) = name is not null && anyCase is not null && manifest is not null && Retemplated(brief, manifest, name, reasons, anyCase, asWritten) is { } again
            ? again
            : (Scrub(anyCase, brief.Headline), Scrub(anyCase, brief.Body));
        return brief with
        {
            CustomerName = null,
            Headline = headline,
            Body = body,
            Reasons = reasons,
            Inputs = brief.Inputs.Where(f => !IsIdentity(f.Key)).ToDictionary(f => f.Key, f => ScrubValue(f.Value), StringComparer.Ordinal),
        };
    }

    /// <summary>
    /// The template's headline and body rendered with the customer's id, for the parts of <paramref name="brief"/> that are
    /// the template's text rendered with <paramref name="name"/>; null when neither is (a chat model's or an agent's own).
    /// </summary>
    private static (string Headline, string Body)? Retemplated(Brief brief, AgentManifest manifest, string name, IReadOnlyList<Reason> unnamedReasons, Regex anyCase, Regex? asWritten)
    {
        var sources = BriefComposer.Sources(brief.Citations, brief.CitationsFailed);
        if (!brief.Body.EndsWith(sources, StringComparison.Ordinal))
            return null;
        var core = brief.Body[..^sources.Length];
        var mark = core.LastIndexOf("\n" + BriefComposer.NextStepMark, StringComparison.Ordinal);
        var nextStep = mark < 0 ? "" : core[(mark + 1 + BriefComposer.NextStepMark.Length)..];
        var named = BriefComposer.Template(manifest, name, new Assessment(brief.Score, true, brief.Reasons, nextStep), brief.Citations, brief.CitationsFailed);
        var bodyIsTemplate = named.Body == brief.Body;
        var headlineIsTemplate = named.Headline == brief.Headline;
        if (!bodyIsTemplate && !headlineIsTemplate)
            return null;
        var unnamed = BriefComposer.Template(manifest, brief.CustomerId,
            new Assessment(brief.Score, true, unnamedReasons, asWritten is null ? nextStep : asWritten.Replace(nextStep, _ => brief.CustomerId)), brief.Citations, brief.CitationsFailed);
        return (headlineIsTemplate ? unnamed.Headline : anyCase.Replace(brief.Headline, _ => brief.CustomerId),
            bodyIsTemplate ? unnamed.Body : anyCase.Replace(brief.Body, _ => brief.CustomerId));
    }

    private static bool IsIdentity(string field) => FieldCatalog.CategoryOf(field) == IdentityCategory;

    /// <summary>The name as a whole (in any case with <see cref="RegexOptions.IgnoreCase"/>), its words apart by any white space; null when there is no name.</summary>
    private static Regex? Pattern(string? name, RegexOptions options)
    {
        var words = name?.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (words.Length == 0)
            return null;
        var body = string.Join(@"\s+", words.Select(Regex.Escape));
        return new Regex($@"(?<![\p{{L}}\p{{N}}_]){body}(?![\p{{L}}\p{{N}}_])",
            options | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    private static string? Text(object? value) => value switch
    {
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
        _ => null,
    };
}
