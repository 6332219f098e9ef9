using AgentCrm.Agents.Rules.Expressions;

namespace AgentCrm.Agents;

/// <summary>
/// How long a submitted manifest's free texts and lists may be, counted as the published schema counts them (texts in
/// Unicode code points, lists in entries): a scenario of 100,000 characters, a 1 MB description or 100,000 reads would
/// otherwise be stored, hashed, listed and shown on every request. Checked on manifests submitted from now on (not on
/// stored versions, which registered under no such limit); <see cref="ManifestSchema"/> states the same numbers.
/// </summary>
public static class ManifestLimits
{
    public const int MaxScenarioLength = 200;
    public const int MaxDescriptionLength = 4_000;
    public const int MaxKnowledgeQueryLength = 1_000;

    /// <summary>Entries in reads, and in optionalReads: far more than the fields the server derives and case mappings supply.</summary>
    public const int MaxReads = 500;

    /// <summary>Throws a <see cref="ManifestException"/> naming every field over its limit.</summary>
    public static void Check(AgentManifest m)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Text(string field, string? value, int max)
        {
            if (value is not null && ExpressionLimits.Characters(value) is var length && length > max)
                errors[field] = [$"{field} has at most {max} characters (this one has {length})."];
        }
        void List(string field, int count)
        {
            if (count > MaxReads)
                errors[field] = [$"{field} has at most {MaxReads} entries (this one has {count})."];
        }
        Text("scenario", m.Scenario, MaxScenarioLength);
        Text("description", m.Description, MaxDescriptionLength);
        Text("knowledgeQuery", m.KnowledgeQuery, MaxKnowledgeQueryLength);
        List("reads", m.Reads.Count);
        List("optionalReads", m.OptionalReads.Count);
        if (errors.Count > 0)
            throw new ManifestException(errors);
    }
}
