using System.Text.Json;
using System.Text.RegularExpressions;
using AgentCrm.Agents;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Briefs;

/// <summary>
/// A brief rendered without the customer's identity, from what it stores. The composer puts the name (<see cref="Brief.CustomerName"/>,
/// the snapshot's <c>profile.name</c>) into the headline and body where a brief written without it has the customer's id
/// (<see cref="BriefComposer"/>), and an agent may have put any identity field it read (<c>profile.*</c>) into its own texts.
/// An agent whose texts are functions of the fields it read (<see cref="ITextsFromFields"/>: a rules manifest's templates)
/// writes its reasons, headline and next step again from the brief's inputs without the identity fields, as it would have
/// written them without them (<c>{lower(profile.name)}</c>, <c>{concat(profile.name, 'Corp')}</c> and <c>{profile.domain}</c>
/// alike) — when its rendering of the inputs is what the brief holds; a brief an earlier build wrote otherwise is scrubbed. A
/// brief whose text is the composer's template (the agent's version known, the stored text rendered again from the brief's
/// own score, reasons, next step and citations) is rendered again with the id — exactly where the name stood, so a name
/// that is also an ordinary word ("Renewal", "Usage") leaves the template's words and the reasons alone (verify28). Text
/// the server cannot write again — a chat model's, a plugin's or a built-in agent's own — has each identity value the brief
/// holds replaced by the id wherever it stands as a whole (not inside a longer word; any case; any white space between its
/// words; the longest first, so a domain holding the name goes whole), as in the values the agent read; in an agent's reasons
/// and next step only where it stands as written (a template's <c>{profile.name}</c> quotes it so; "usage fell" is not the
/// customer "Usage"). The identity fields the agent read are left out of <see cref="Brief.Inputs"/> and of its reasons'
/// values, and <see cref="Brief.CustomerName"/> is null. Briefs stored by earlier builds carry the same fields, so they read
/// the same way.
/// </summary>
internal static partial class BriefNaming
{
    public const string NameField = "profile.name";

    private const string IdentityCategory = "identity";

    private const string SegmentField = "profile.segment";

    public static Brief Unnamed(Brief brief, AgentManifest? manifest = null, ITextsFromFields? writer = null, NamelessTexts? cache = null)
        => Unnamed(brief, [], manifest, writer, cache);

    /// <summary>
    /// A brief composed for a customer whose consent withheld identity when it was written: the agent never read the name, but
    /// its texts may quote it from a field it did read (a document's title, a notice's buyer) — replaced, with the other
    /// other identity values the agent could have quoted (<see cref="Quotable"/>), as in text the server did not write (qa44c F1).
    /// </summary>
    public static Brief WrittenWithout(Brief brief, QuotableIdentity quotable, AgentManifest manifest) =>
        quotable.Values is { Count: > 0 } known ? Unnamed(brief, known, manifest, null, null) : brief;

    /// <summary>
    /// What an agent that did not read identity made, before a brief (a chat model writing it, the citations' searches) is
    /// made of it: the <paramref name="quotable"/> identity values replaced by the id where the agent quoted them, as in
    /// <see cref="WrittenWithout"/> — in any case in values and its own headline, as written or in capitals in its reasons and
    /// next step.
    /// </summary>
    public static Assessment Unquoted(Assessment assessment, QuotableIdentity quotable)
    {
        if (Pattern(quotable.Values, RegexOptions.IgnoreCase) is not { } anyCase || Pattern(quotable.Values, RegexOptions.None) is not { } asWritten)
            return assessment;
        string Id(Regex pattern, string text) => Replace(pattern, text, quotable.CustomerId);
        return assessment with
        {
            Reasons = [.. assessment.Reasons.Select(r => r with { Value = r.Value is string text ? Id(anyCase, text) : r.Value, Explanation = Id(asWritten, r.Explanation) })],
            NextStep = Id(asWritten, assessment.NextStep),
            Headline = Id(anyCase, assessment.Headline),
        };
    }

    /// <summary>
    /// The identity values of <paramref name="snapshot"/> that a text field the agent read (<paramref name="seen"/>) holds, in any
    /// case — a value of <see cref="MinAnywhere"/> letters and digits or more in any form (its letters and digits in a row, as a
    /// file name or a slug writes it: "acme_corporation_msa.pdf", rev44d M2), a shorter one as a whole word: only those can the
    /// agent have quoted; another ("Usage", "Ramp") in its text is its own word (rev44a M2). Found once per brief (the scan reads
    /// every text field the agent read, a document's text included) and given to both <see cref="Unquoted"/> and
    /// <see cref="WrittenWithout"/>.
    /// </summary>
    public static QuotableIdentity Quotable(CustomerSnapshot snapshot, CustomerSnapshot seen)
    {
        static string Bare(string text) => string.Concat(text.Where(char.IsLetterOrDigit)).ToLowerInvariant();
        var values = snapshot.Fields.Where(f => IsIdentity(f.Key) && f.Key != SegmentField).Select(f => f.Value.Text).OfType<string>().Where(v => !string.IsNullOrWhiteSpace(v)).ToList();
        var texts = seen.Fields.Values.Select(f => f.Text).OfType<string>().ToList();
        var bare = texts.ConvertAll(Bare);
        return new(snapshot.CustomerId, [.. values.Where(v => Bare(v) is { Length: >= MinAnywhere } b
            ? bare.Exists(t => t.Contains(b, StringComparison.Ordinal))
            : Pattern([v], RegexOptions.IgnoreCase) is { } pattern && texts.Exists(pattern.IsMatch))]);
    }

    /// <summary>
    /// <paramref name="text"/> with each match of <paramref name="pattern"/> replaced by the customer's <paramref name="id"/>, but
    /// where it lies within the id written there ("acme-1" holds the name "Acme" as a word: left, not "acme-1-1"; rev44a M1) —
    /// not where the id lies within it (the id "acme" of "Acme Corporation", rev44d M1).
    /// </summary>
    private static string Replace(Regex pattern, string text, string id)
    {
        var spans = new List<(int Start, int End)>();
        for (var at = text.IndexOf(id, StringComparison.OrdinalIgnoreCase); at >= 0 && id.Length > 0; at = text.IndexOf(id, at + 1, StringComparison.OrdinalIgnoreCase))
            spans.Add((at, at + id.Length));
        return pattern.Replace(text, m => spans.Exists(s => s.Start <= m.Index && m.Index + m.Length <= s.End) ? m.Value : id);
    }

    private static Brief Unnamed(Brief brief, IReadOnlyList<string> known, AgentManifest? manifest, ITextsFromFields? writer, NamelessTexts? cache)
    {
        var identity = IdentityValues(brief, known);
        var anyCase = Pattern(identity, RegexOptions.IgnoreCase);
        var asWritten = Pattern(identity, RegexOptions.None);
        string Scrub(Regex? pattern, string text) => pattern is null ? text : Replace(pattern, text, brief.CustomerId);
        object? ScrubValue(object? value) => anyCase is not null && Text(value) is { } text && anyCase.IsMatch(text) ? Scrub(anyCase, text) : value;
        var inputs = brief.Inputs.Where(f => !IsIdentity(f.Key)).ToDictionary(f => f.Key, f => ScrubValue(f.Value), StringComparer.Ordinal);
        var nextStep = NextStep(brief);
        var rewrite = identity.Count > 0 && manifest is not null && writer is not null
            ? cache?.GetOrAdd(brief.Id, manifest, () => Rewritten(brief, inputs, manifest, writer)) ?? Rewritten(brief, inputs, manifest, writer)
            : Rewrite.None;
        var (rewritten, unwritable, held) = (rewrite.Texts, rewrite.Unwritable, rewrite.Held);
        // Past the rendering limit the templates' text may hold an identity value in any form ({profile.name}s,
        // {lower(profile.name)}), and a chat model was given that text: a value of MinAnywhere characters or more goes wherever
        // it stands in the model's headline and body, in any case — and in the reasons and next step when the templates could
        // not write them again at all (qa43e F1); a shorter one ("US", "Box") as a whole word, or "inbox" and "business" would
        // be cut (rev43d M2). Values (the inputs, the reasons' values) keep the whole-word rule, so they read alike.
        var inWords = unwritable || held ? Pattern(identity, RegexOptions.IgnoreCase, anywhereFrom: MinAnywhere) : null;
        if (unwritable)
            asWritten = inWords;
        var reasons = brief.Reasons.Select((r, i) => r with
        {
            Value = IsIdentity(r.Field) ? null : ScrubValue(r.Value),
            Explanation = rewritten?.Unnamed.Reasons[i].Explanation ?? Scrub(asWritten, r.Explanation),
        }).ToList();
        var named = rewritten?.Named is { } again ? again with { Score = brief.Score, Reasons = brief.Reasons } : new Assessment(brief.Score, true, brief.Reasons, nextStep ?? "");
        var unnamed = new Assessment(brief.Score, true, reasons, rewritten?.Unnamed.NextStep ?? Scrub(asWritten, nextStep ?? ""))
        {
            Headline = rewritten?.Unnamed.Headline ?? "",
        };
        var (headline, body) = identity.Count > 0 && manifest is not null && nextStep is not null
            ? Retemplated(brief, manifest, named, unnamed, text => Scrub(inWords ?? anyCase, text))
            : (Scrub(inWords ?? anyCase, brief.Headline), Scrub(inWords ?? anyCase, brief.Body));
        return brief with
        {
            CustomerName = null,
            Headline = headline,
            Body = body,
            Reasons = reasons,
            Inputs = inputs,
        };
    }

    /// <summary>
    /// What the agent writes from a brief's inputs (its reasons, headline and next step), and what it writes from them as the
    /// brief shows them without identity; <see cref="Texts"/> null unless the first is the brief's own reasons (a brief an earlier
    /// build wrote otherwise, a version this build renders otherwise). <see cref="Unwritable"/>: the agent writes the brief's own
    /// reasons from its inputs, but neither without identity nor with it held in place; <see cref="Held"/>: it wrote them with it
    /// held in place (past a limit without it). The same for a brief and a version every time it is read (<see cref="NamelessTexts"/>).
    /// </summary>
    internal sealed record Rewrite((Assessment Named, Assessment Unnamed)? Texts, bool Unwritable, bool Held)
    {
        public static readonly Rewrite None = new(null, false, false);
    }

    private static Rewrite Rewritten(Brief brief, IReadOnlyDictionary<string, object?> unnamed, AgentManifest manifest, ITextsFromFields writer)
    {
        var read = StoredFields.Snapshot(brief);
        if (writer.Assess(manifest, read, read) is not { } named || named.Reasons.Count != brief.Reasons.Count
            || !named.Reasons.Zip(brief.Reasons).All(p => p.First.Field == p.Second.Field && p.First.Weight.Equals(p.Second.Weight) && p.First.Explanation == p.Second.Explanation))
            return Rewrite.None;
        var held = false;
        if (writer.Assess(manifest, read, StoredFields.Snapshot(brief with { Inputs = unnamed })) is not { } without)
        {
            // Past a limit without the identity ("unknown" is longer than "BP"): written again with each identity text held by
            // placeholders of its length — which take the same room and which no function changes — then the id where they
            // stand, so {profile.name}s and {lower(profile.name)} read "qa-0004s" and "qa-0004" (qa43e F1, rev43e M1).
            var holding = new Dictionary<string, object?>(unnamed, StringComparer.Ordinal);
            foreach (var (field, value) in brief.Inputs)
                if (IsIdentity(field) && field != SegmentField && Text(value) is { } text)
                    holding[field] = new string(Placeholder, text.Length);
            if (writer.Assess(manifest, read, StoredFields.Snapshot(brief with { Inputs = holding })) is not { } placed)
                return new Rewrite(null, true, false);
            held = true;
            // An evaluator, not a replacement pattern: an id may hold "$".
            string WithId(string text) => text.Contains(Placeholder, StringComparison.Ordinal) ? PlaceholderRun().Replace(text, _ => brief.CustomerId) : text;
            without = placed with
            {
                Reasons = [.. placed.Reasons.Select(r => r with { Explanation = WithId(r.Explanation) })],
                NextStep = WithId(placed.NextStep),
                Headline = WithId(placed.Headline),
            };
        }
        // Kept (NamelessTexts) as texts only: the reasons' values and the brief's own reasons come from the brief each read (rev44a M3).
        return without.Reasons.Count == brief.Reasons.Count
            ? new Rewrite((named with { Reasons = [] }, without with { Reasons = [.. without.Reasons.Select(r => r with { Value = null, EventIds = [] })] }), false, held)
            : new Rewrite(null, false, held);
    }

    /// <summary>The shortest identity value replaced inside words (past the rendering limit).</summary>
    private const int MinAnywhere = 4;

    /// <summary>A character of private use, standing for an identity value in <see cref="Rewritten"/>.</summary>
    private const char Placeholder = '\uE000';

    [GeneratedRegex("\uE000+")]
    private static partial Regex PlaceholderRun();

    /// <summary>
    /// The composer's template rendered with the id from <paramref name="unnamed"/>, for the headline and the body each where the
    /// stored one is the template rendered from <paramref name="named"/> with the name the brief was written with; the others
    /// (a chat model's) through <paramref name="scrub"/>.
    /// </summary>
    private static (string Headline, string Body) Retemplated(Brief brief, AgentManifest manifest, Assessment named, Assessment unnamed, Func<string, string> scrub)
    {
        var written = BriefComposer.Template(manifest, ComposedName(brief), named, brief.Citations, brief.CitationsFailed);
        var again = BriefComposer.Template(manifest, brief.CustomerId, unnamed, brief.Citations, brief.CitationsFailed);
        return (written.Headline == brief.Headline ? again.Headline : scrub(brief.Headline), written.Body == brief.Body ? again.Body : scrub(brief.Body));
    }

    /// <summary>The next step in a body that is the composer's template shape (its sources line last); "" when it has none, null when the body is not of that shape.</summary>
    private static string? NextStep(Brief brief)
    {
        var sources = BriefComposer.Sources(brief.Citations, brief.CitationsFailed);
        if (!brief.Body.EndsWith(sources, StringComparison.Ordinal))
            return null;
        var core = brief.Body[..^sources.Length];
        var mark = core.LastIndexOf("\n" + BriefComposer.NextStepMark, StringComparison.Ordinal);
        return mark < 0 ? "" : core[(mark + 1 + BriefComposer.NextStepMark.Length)..];
    }

    /// <summary>The name the composer wrote the brief with: the customer's, or its id when it had none.</summary>
    private static string ComposedName(Brief brief) =>
        brief.CustomerName ?? (brief.Inputs.TryGetValue(NameField, out var input) ? Text(input) : null) ?? brief.CustomerId;

    /// <summary>
    /// The values that name this customer, each once: the name and every identity text the agent read (<c>profile.*</c>) but
    /// <c>profile.segment</c>, which names a group of customers ("enterprise", "smb") and, replaced wherever it stands as a
    /// word, garbled the text around it.
    /// </summary>
    private static List<string> IdentityValues(Brief brief, IReadOnlyList<string> known) =>
        brief.Inputs.Where(f => IsIdentity(f.Key) && f.Key != SegmentField).Select(f => Text(f.Value)).Prepend(brief.CustomerName).Concat(known)
            .OfType<string>().Where(v => !string.IsNullOrWhiteSpace(v)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    private static bool IsIdentity(string field) => FieldCatalog.CategoryOf(field) == IdentityCategory;

    /// <summary>
    /// Any of <paramref name="values"/> as a whole (in any case with <see cref="RegexOptions.IgnoreCase"/>), its words apart by
    /// any white space, the longest tried first (the domain "globex.example" whole, not the name "Globex" in it), a value of
    /// <paramref name="anywhereFrom"/> characters or more inside words too; null when there are none.
    /// </summary>
    private static Regex? Pattern(IReadOnlyList<string> values, RegexOptions options, int anywhereFrom = int.MaxValue)
    {
        // As written means in capitals too: a notice titled "NORTHWIND TRADERS - RFP" quotes the name so (qa44c F1b), and a
        // customer named "Usage" is not in "usage fell" either way.
        if ((options & RegexOptions.IgnoreCase) == 0)
            values = [.. values.Concat(values.Select(v => v.ToUpperInvariant())).Distinct(StringComparer.Ordinal)];
        var alternatives = values.OrderByDescending(v => v.Length)
            .Select(v => (Text: string.Join(@"\s+", v.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(Regex.Escape)), Anywhere: v.Trim().Length >= anywhereFrom))
            .Select(v => v.Anywhere ? v.Text : $@"(?<![\p{{L}}\p{{N}}_]){v.Text}(?![\p{{L}}\p{{N}}_])")
            .ToList();
        if (alternatives.Count == 0)
            return null;
        return new Regex($"(?:{string.Join('|', alternatives)})", options | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    private static string? Text(object? value) => value switch
    {
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
        _ => null,
    };
}

/// <summary>The identity values of a customer whose consent withholds them that an agent could have quoted, and the id that replaces them.</summary>
internal sealed record QuotableIdentity(string CustomerId, IReadOnlyList<string> Values);
