namespace AgentCrm.Knowledge.Text;

/// <summary>
/// Query-side expansion from everyday words to the vocabulary regulations and procurement guides use ("delete" →
/// "erasure", "hacked" → "breach", "regulator" → "supervisory authority"). Questions come in plain language while the
/// text says it formally, and neither BM25 nor hashed n-grams can bridge "wipe" and "erasure". The list maps lay terms
/// to the terms of the bundled documents' headings (GDPR articles, the 18F guide's chapters); it is not fitted to any
/// query set. Only queries are expanded, so stored vectors and the index stay as they are. Keys are compared after the
/// same lower-casing and plural folding as every other word (<see cref="WordScanner"/>).
/// </summary>
internal static class QueryExpansion
{
    private static readonly Dictionary<string, string> Terms = Build(new Dictionary<string, string[]>
    {
        // Erasure, rectification, restriction, portability, objection (GDPR Chapter III).
        ["erasure erase"] = ["delete", "deleting", "deletion", "remove", "removal", "wipe", "purge", "forget", "forgotten"],
        ["rectification rectify"] = ["correct", "correction", "fix", "inaccurate", "incorrect", "amend"],
        ["restriction restrict"] = ["pause", "freeze", "suspend", "halt", "block"],
        ["contest accuracy"] = ["dispute", "disputed"],
        ["portability"] = ["export", "download", "migrate", "switch", "port"],
        ["object direct marketing"] = ["unsubscribe", "promotion", "promotional", "newsletter", "spam", "advertising"],
        ["access"] = ["see", "view", "lookup"],
        // Breaches, security, supervision, remedies, fines.
        ["breach"] = ["hack", "hacked", "leak", "leaked", "stolen", "compromised", "incident", "intrusion"],
        ["notification notify communication"] = ["alert", "warn", "tell"],
        ["encryption security pseudonymisation"] = ["encrypt", "encrypted", "hashing", "protect", "protecting", "safeguard"],
        ["supervisory authority"] = ["regulator", "watchdog", "dpa"],
        ["complaint lodge"] = ["complain"],
        ["judicial remedy compensation"] = ["sue", "lawsuit", "court", "litigation"],
        ["compensation liability"] = ["damage", "harm"],
        ["administrative fine"] = ["penalty", "sanction"],
        // Roles and duties.
        ["processor"] = ["vendor", "supplier", "subcontractor", "outsource", "outsourced"],
        ["joint controller"] = ["together", "jointly", "co"],
        ["data protection"] = ["privacy"],
        ["designation designate"] = ["appoint", "hire", "nominate"],
        ["impact assessment"] = ["audit", "evaluation"],
        ["monitoring systematic"] = ["tracking", "track", "surveillance", "monitor"],
        ["automated decision profiling"] = ["algorithm", "algorithmic", "automatic", "ai", "machine"],
        ["child parental responsibility"] = ["kid", "minor", "teenager", "teen", "parent", "parental"],
        ["consent"] = ["agree", "permission", "approval", "approve", "opt"],
        ["employment"] = ["staff", "employee", "worker", "hr", "workplace"],
        ["transfer third country"] = ["abroad", "overseas", "offshore"],
        ["information"] = ["info", "detail"],
        // Procurement and delivery (18F guide).
        ["buy commercial"] = ["purchase", "procure", "shelf", "cots", "vendor"],
        ["build custom"] = ["develop", "in-house"],
        // Not "customer": in a CRM nearly every question names the customer, so it would pull every query towards the guide.
        ["end user"] = ["people", "citizen"],
        ["open"] = ["openly", "public", "publish"],
        ["market research"] = ["survey", "researching"],
    });

    /// <summary>The query followed by the formal terms its words stand for (unchanged when none apply).</summary>
    public static string Expand(string query)
    {
        Span<char> buffer = stackalloc char[WordScanner.MaxWordLength];
        var scanner = new WordScanner(query, buffer);
        List<string>? added = null;
        while (scanner.Next(out var word))
        {
            if (Lookup.TryGetValue(word, out var formal) && !(added ??= []).Contains(formal))
            {
                added.Add(formal);
            }
        }

        return added is null ? query : $"{query} {string.Join(' ', added)}";
    }

    private static readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> Lookup = Terms.GetAlternateLookup<ReadOnlySpan<char>>();

    private static Dictionary<string, string> Build(Dictionary<string, string[]> groups)
    {
        var terms = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (formal, lay) in groups)
        {
            foreach (var word in lay)
            {
                // Keys go through the scanner so "kids" and "kid", "Leaked" and "leaked" meet; a word in two groups gets both.
                foreach (var key in Tokenizer.Words(word))
                {
                    terms[key] = terms.TryGetValue(key, out var existing) ? $"{existing} {formal}" : formal;
                }
            }
        }

        return terms;
    }
}
