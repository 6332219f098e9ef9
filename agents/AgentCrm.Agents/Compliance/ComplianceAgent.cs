using System.Globalization;
using AgentCrm.Agents.Customers;
using AgentCrm.Agents.Html;
using AgentCrm.Agents.Text;

namespace AgentCrm.Agents.Compliance;

/// <summary>
/// Reads the customer's latest contract or terms text, scores every sentence with the fitted unfair-clause
/// model, and fires when a sentence reaches the threshold: the reasons quote the offending sentences with
/// their category, strongest first. With a clause model and a policy it also fires on required clauses
/// the text lacks and on flagged clauses it contains, each at its own class threshold. The document's kind
/// (<see cref="DocumentTypes"/>: its type, else its title, else its own title line) routes the checks: a business contract
/// gets the policy checks only — the unfair-clause model was fitted and gated on consumer terms, so a version without
/// a policy leaves contracts alone rather than judge them as terms; terms and other typed documents the unfair-clause
/// model only; a document of unknown kind both. A document not in English is not judged: the brief says so
/// (<see cref="DocumentLanguage"/>); nor is a run of its sentences in another language, and the brief says which. What
/// was not read (a part in another language, the part past a limit) a brief names, and when nothing was found in what
/// was read, it is the brief (at the threshold). A document in HTML (<see cref="HtmlText.IsHtml"/>, or a <c>docType</c> that names
/// HTML) is read as the text it shows (<see cref="HtmlText.ToText"/>): each paragraph, heading and list item a line, so
/// its sentences split as plain text's do and quotes carry no markup. The same sentence found more than once (terms
/// pasted twice) is one finding, quoted once with how many times it occurs. The score is the strongest finding on the agent's scale; the findings (each with
/// its own cooldown) are the document (<see cref="DocumentIdentity"/>) and each category found, so rewording a clause or
/// sending fewer of the categories briefed is no new finding, and a new category or another document with the same ones is.
/// </summary>
internal sealed class ComplianceAgent(AgentManifest manifest, ComplianceParameters p) : IAgent
{
    public const string TextField = "documents.text";
    public const string DocTypeField = "documents.docType";
    public const string TitleField = "documents.title";

    private const int QuoteLength = 240;

    /// <summary>The longest headline the agent writes (a brief list shows it whole).</summary>
    public const int MaxHeadline = 200;

    private const int TitleLength = 80;

    /// <summary>How much of the first sentence of a part not read is quoted, to say where it begins.</summary>
    private const int StartLength = 80;

    public AgentManifest Manifest { get; } = manifest;

    public Assessment Assess(CustomerSnapshot s)
    {
        if (s.Text(TextField) is not { Length: > 0 } sent)
            return Assessment.None;
        var html = HtmlText.IsHtml(sent) || NamesHtml(s.Text(DocTypeField));
        var text = html ? HtmlText.ToText(sent) : sent;
        if (text.Length == 0)
            return Assessment.None;
        var ids = s.EventIds(TextField);
        var title = s.Text(TitleField) is { } t && !string.IsNullOrWhiteSpace(t) ? ShortText.Cut(t.Trim(), TitleLength) : null;
        var kind = DocumentTypes.Of(s.Text(DocTypeField), title, text);
        var document = DocumentIdentity.Of(s.Text(TitleField), s.Text(DocTypeField));
        var policy = p.ClauseModel is not null && (p.Require.Count > 0 || p.Flag.Count > 0);
        var contract = kind == DocumentKind.Contract;
        var checkUnfair = kind is not (DocumentKind.Contract or DocumentKind.Notice);
        var checkPolicy = policy && kind is DocumentKind.Unknown or DocumentKind.Contract;
        if (!checkUnfair && !checkPolicy)
            return Assessment.None;
        if (DocumentLanguage.NotEnglish(text) is { } language)
            return NotRead(title, kind, language, ids, document);
        var sentences = SentenceSplitter.Split(text, out var read);
        if (text.AsSpan(read).IsWhiteSpace())
            read = text.Length;
        // A run of sentences in another language (an annex in German) is not judged by the models fitted on English: scored,
        // its unfair clauses fell under the threshold and were passed over in silence. What it was, the brief says.
        var others = DocumentLanguage.OtherRuns(sentences);
        var judged = others.Count == 0 ? sentences : sentences.Where((_, i) => !others.Any(r => i >= r.Start && i < r.Start + r.Count)).ToList();
        // Each sentence once, in the order first met, with how many times it occurs: a sentence pasted 195 times is one finding.
        var distinct = judged.GroupBy(x => x, StringComparer.Ordinal).Select(g => (Text: g.Key, Count: g.Count())).ToList();
        var unfair = p.Model.Class(UnfairCategories.Unfair)!;
        var categories = p.Model.Classes.Where(c => c.Name != UnfairCategories.Unfair).ToList();

        var findings = new List<(double Score, Reason Reason, string Fix, string Label, string Identity)>();
        double score = 0;
        foreach (var (sentence, times) in checkUnfair ? distinct : [])
        {
            var x = p.Model.Vectorize(sentence);
            var category = categories.Select(c => (c.Name, Z: TextModel.Logit(c, x))).OrderByDescending(c => c.Z).ThenBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault();
            var prob = Math.Round(category.Name is null ? TextModel.Probability(unfair, x) : ComplianceEnsembles.Blend(p.Ensemble, TextModel.Logit(unfair, x), category.Z, p.EnsembleShare), 4);
            score = Math.Max(score, prob);
            if (prob < Manifest.Threshold)
                continue;
            var label = category.Name is null ? "potentially unfair" : UnfairCategories.LabelOf(category.Name);
            findings.Add((prob, new Reason(TextField, Quote(sentence), prob, ids,
                string.Create(CultureInfo.InvariantCulture, $"{label} clause (p {prob:0.00}{Times(times)}): \"{Quote(sentence)}\"")),
                category.Name is null ? UnfairCategories.FixOf("") : UnfairCategories.FixOf(category.Name), label, $"unfair:{label}"));
        }

        if (checkPolicy && p.ClauseModel is { } clauses)
        {
            var vectors = distinct.Select(x => clauses.Vectorize(x.Text)).ToList();
            foreach (var name in p.Require)
            {
                var c = clauses.Class(name)!;
                var best = vectors.Count == 0 ? 0 : vectors.Max(x => TextModel.Probability(c, x));
                var fires = best < c.Threshold;
                var missing = OnAgentScale(1 - best, 1 - c.Threshold, fires, Manifest.Threshold);
                score = Math.Max(score, missing);
                if (!fires)
                    continue;
                findings.Add((missing, new Reason(TextField, null, missing, ids,
                    $"required clause missing: {ClauseCategories.LabelOf(name)} (policy; {ClauseCategories.SectionOf(name)})"),
                    ClauseCategories.AddFixOf(name), $"missing {ClauseCategories.LabelOf(name)}", $"missing:{name}"));
            }
            foreach (var name in p.Flag)
            {
                var c = clauses.Class(name)!;
                var (best, at) = vectors.Select((x, i) => (TextModel.Probability(c, x), i)).DefaultIfEmpty((0, -1)).MaxBy(t => t.Item1);
                var fires = best >= c.Threshold && at >= 0;
                var scaled = OnAgentScale(best, c.Threshold, fires, Manifest.Threshold);
                score = Math.Max(score, scaled);
                if (!fires)
                    continue;
                // The class's own probability is not shown: its threshold is low (a contract has one such sentence among hundreds),
                // so "p 0.07" would read as improbable while it is over the threshold. The score on the agent's scale reads
                // as every other finding's: at or over the agent's threshold means found.
                findings.Add((scaled, new Reason(TextField, Quote(distinct[at].Text), scaled, ids,
                    string.Create(CultureInfo.InvariantCulture, $"risky clause present: {ClauseCategories.LabelOf(name)} (score {scaled:0.00}; {ClauseCategories.SectionOf(name)}{Times(distinct[at].Count)}): \"{Quote(distinct[at].Text)}\"")),
                    ClauseCategories.FlagFixOf(name), ClauseCategories.LabelOf(name), $"flag:{name}"));
            }
        }

        findings.Sort((a, b) => b.Score.CompareTo(a.Score));
        // At most maxQuotes findings are quoted; the rest are counted by category, never dropped silently, and the
        // next step proposes a fix for every category found. The count line adds nothing to the score (weight 0).
        var reasons = findings.Take(p.MaxQuotes).Select(f => f.Reason).ToList();
        if (findings.Skip(p.MaxQuotes).ToList() is { Count: > 0 } rest)
            reasons.Add(new Reason(TextField, rest.Count, 0, ids, string.Create(CultureInfo.InvariantCulture,
                $"+{rest.Count} more finding{(rest.Count == 1 ? "" : "s")} not quoted (categories: {Categories(rest.Select(f => f.Label), int.MaxValue)})")));
        // What was not read: the note with its reason's value and weight 0, the short form the headline and next step give,
        // and the cooldown's line for it.
        var unread = new List<(Reason Note, string Short, string Key)>();
        foreach (var runs in others.GroupBy(r => r.Language, StringComparer.Ordinal))
        {
            var n = runs.Sum(r => r.Count);
            var part = string.Create(CultureInfo.InvariantCulture, $"{n:N0} sentence{(n == 1 ? "" : "s")} {Reading(runs.Key)} {runs.Key}");
            var were = n == 1 ? "was" : "were";
            var more = runs.Count() > 1 ? $" (and {runs.Count() - 1} more place{(runs.Count() == 2 ? "" : "s")})" : "";
            unread.Add((new Reason(TextField, runs.Key, 0, ids,
                $"not checked: {part}, from \"{ShortText.Cut(sentences[runs.First().Start], StartLength)}\"{more}, {were} not checked: the clause models were fitted on English text"),
                $"{part} {were} not checked", $"unread:part:{runs.Key}"));
        }
        if (Unread(sent.Length, text.Length, read, html) is { } partly)
            unread.Add((new Reason(TextField, read, 0, ids, partly), read < text.Length
                ? string.Create(CultureInfo.InvariantCulture, $"the text past sentence {SentenceSplitter.MaxSentences:N0} was not read")
                : string.Create(CultureInfo.InvariantCulture, $"the text past character {CustomerState.MaxDocumentChars:N0} was not read"), "unread:rest"));
        var what = title is null ? "the document" : $"\"{title}\"";
        var review = unread.Count == 0 ? "" : $"Have legal review by hand what was not checked of {what}: {string.Join("; ", unread.Select(u => u.Short))}.";
        if (findings.Count == 0 && unread.Count > 0)
            return NothingFound(title, kind, document,
                [new Reason(TextField, distinct.Sum(d => d.Count), 0, ids, string.Create(CultureInfo.InvariantCulture,
                    $"nothing found in the {distinct.Sum(d => d.Count):N0} sentences checked, by {Models(checkUnfair, checkPolicy)}")), .. unread.Select(u => u.Note)],
                $"checked in part, nothing found — {string.Join("; ", unread.Select(u => u.Short))}", review, unread.Select(u => u.Key));
        reasons.AddRange(unread.Select(u => u.Note));
        var fired = score >= Manifest.Threshold && findings.Count > 0;
        var fixes = findings.Select(f => f.Fix).Distinct(StringComparer.Ordinal).ToList();
        var next = fixes.Count == 0 ? "" : $"Send the document back to legal{(title is null ? "" : $" (\"{title}\")")}: {fixes[0]}"
            + (fixes.Count > 1 ? "; also " + string.Join("; ", fixes.Skip(1)) : "") + "." + (review.Length == 0 ? "" : " " + review);
        // A finding is the document and one category found in it, however its clauses are worded, each with its own cooldown:
        // the same terms sent again, reworded, as a new version or with fewer of the categories briefed wait it out; terms
        // with a category not briefed before, or another document (another title) with the same categories, brief. The key
        // of the whole (the document and the set of categories) is what builds before per-category findings marked.
        var parts = findings.GroupBy(f => f.Identity, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new Finding(FindingKey(document, [g.Key]), Math.Round(g.Max(f => f.Score), 4))).ToList();
        var whole = FindingKey(document, findings.Select(f => f.Identity).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        var rounded = Math.Round(score, 4);
        var headline = findings.Count == 0 ? "" : Headline(rounded, title, kind,
            $"{findings.Count} finding{(findings.Count == 1 ? "" : "s")}{(unread.Count == 0 ? "" : " (checked in part)")}: ", findings.Select(f => f.Label));
        return new Assessment(rounded, fired, reasons, next) { FindingKey = whole, Findings = parts, Headline = headline };
    }

    /// <summary>
    /// A document in a language the models were not fitted on: nothing in it is judged, and the brief says so at the
    /// agent's threshold (it scores no clause), asking for a review by hand; one such brief per document and language per cooldown.
    /// </summary>
    private Assessment NotRead(string? title, DocumentKind kind, string language, IReadOnlyList<string> ids, string document)
    {
        var what = title is null ? "the document" : $"\"{title}\"";
        var reads = Reads(language);
        return NothingFound(title, kind, document,
            [new Reason(TextField, language, 0, ids, $"not checked: {what} {reads} {language}, and the clause models were fitted on English text, so no clause in it was judged")],
            $"not checked — it {reads} {language}, and the models read English only",
            $"Have legal review {what} by hand, or ask the customer for its English version.", [$"unread:{language}"]);
    }

    /// <summary>
    /// A brief on what could not be read when nothing was found in what was (the whole document in another language, or
    /// the part past a limit): at the agent's threshold, its reasons notes (weight 0), the next step a review by hand, and
    /// its own finding per document and what was not read (<paramref name="unread"/>), so the same gap waits out its cooldown.
    /// </summary>
    private Assessment NothingFound(string? title, DocumentKind kind, string document, IReadOnlyList<Reason> notes, string state, string next, IEnumerable<string> unread)
    {
        var what = title is null ? "the document" : $"\"{title}\"";
        return new Assessment(Manifest.Threshold, true, notes, next)
        {
            FindingKey = FindingKey(document, unread),
            Headline = ShortText.Cut($"{Title()}: {what} ({DocumentTypes.NameOf(kind)}) {state}", MaxHeadline),
        };
    }

    /// <summary>"reads as German", "is written in Cyrillic script".</summary>
    private static string Reads(string language) => IsScript(language) ? "is written in" : "reads as";

    /// <summary>"(sentences) reading as German", "(sentences) written in Cyrillic script".</summary>
    private static string Reading(string language) => IsScript(language) ? "written in" : "reading as";

    private static bool IsScript(string language) => language.EndsWith(" script", StringComparison.Ordinal);

    /// <summary>Which models judged the sentences checked.</summary>
    private static string Models(bool unfair, bool policy) =>
        (unfair, policy) switch { (true, true) => "the unfair-clause model and the policy's clause model", (true, false) => "the unfair-clause model", _ => "the policy's clause model" };

    /// <summary>
    /// The cooldown's finding: the document's identity (<see cref="DocumentIdentity"/>; none when it has neither title nor
    /// type) and one line per category found.
    /// </summary>
    internal static string FindingKey(string document, IEnumerable<string> findings) =>
        string.Join("\n", (document.Length == 0 ? [] : new[] { "document:" + document }).Concat(findings));

    /// <summary>
    /// What of the text was not judged, naming the limit that stopped the reading first: the splitter's bound of sentences
    /// (at character <paramref name="read"/> of the <paramref name="length"/> read, the text without its markup for HTML),
    /// else the part intake cut (<paramref name="sent"/> characters kept); null when all was read.
    /// </summary>
    internal static string? Unread(int sent, int length, int read, bool html)
    {
        var cut = sent >= CustomerState.MaxDocumentChars;
        if (read < length)
            return string.Create(CultureInfo.InvariantCulture, $"checked in part: only the first {SentenceSplitter.MaxSentences:N0} sentences were checked, up to character {read:N0} of {length:N0}{(html ? " (of the text without its HTML markup)" : "")}; the rest was not read{(cut ? $" (and the document had reached the intake limit: only its first {CustomerState.MaxDocumentChars:N0} characters were kept)" : "")}");
        return cut
            ? string.Create(CultureInfo.InvariantCulture, $"checked in part: only the first {CustomerState.MaxDocumentChars:N0} characters were checked (the document reached the intake limit, and the rest of it was cut and not read)")
            : null;
    }

    /// <summary>"; 195 times" for a sentence the text holds more than once, else nothing.</summary>
    private static string Times(int count) => count > 1 ? string.Create(CultureInfo.InvariantCulture, $"; {count} times") : "";

    /// <summary>A <c>docType</c> that is a name or media type of HTML ("html", "text/html").</summary>
    private static bool NamesHtml(string? docType) =>
        docType?.Trim().ToLowerInvariant() is "html" or "htm" or "xhtml" or "text/html" or "application/xhtml+xml";

    /// <summary>A short headline: the scenario, the score, which document, then the categories found while they fit.</summary>
    private string Headline(double score, string? title, DocumentKind kind, string lead, IEnumerable<string> labels)
    {
        var start = string.Create(CultureInfo.InvariantCulture,
            $"{Title()} {score:0.00} — {(title is null ? "latest document" : $"\"{title}\"")} ({DocumentTypes.NameOf(kind)}), {lead}");
        return start + Categories(labels, MaxHeadline - start.Length);
    }

    private string Title()
    {
        var t = Manifest.Scenario.Replace('-', ' ').Replace('_', ' ');
        return t.Length == 0 ? t : char.ToUpperInvariant(t[0]) + t[1..];
    }

    /// <summary>Labels by count, in the order first met (strongest first): "arbitration ×3, jurisdiction"; past <paramref name="room"/> characters "+N more categories".</summary>
    private static string Categories(IEnumerable<string> labels, int room)
    {
        var groups = labels.GroupBy(l => l, StringComparer.Ordinal)
            .Select(g => g.Count() == 1 ? g.Key : string.Create(CultureInfo.InvariantCulture, $"{g.Key} ×{g.Count()}")).ToList();
        var text = "";
        for (var i = 0; i < groups.Count; i++)
        {
            var more = i + 1 < groups.Count ? $", +{groups.Count - i - 1} more categor{(groups.Count - i - 1 == 1 ? "y" : "ies")}" : "";
            var next = (text.Length == 0 ? "" : text + ", ") + groups[i];
            if (next.Length + more.Length > room && text.Length > 0)
                return text + $", +{groups.Count - i} more categor{(groups.Count - i == 1 ? "y" : "ies")}";
            text = next;
        }
        return text;
    }

    /// <summary>
    /// A policy class's probability on the agent's scale, rounded as briefs show it: monotone, with the class's own
    /// threshold landing on the agent's threshold, so a policy finding fires exactly when its class does (one that does
    /// not fire stays under the agent's threshold after rounding too) and reports still rank by the score.
    /// </summary>
    internal static double OnAgentScale(double probability, double classThreshold, bool fires, double t)
    {
        var scaled = classThreshold <= 0 ? t + (1 - t) * probability
            : classThreshold >= 1 ? (probability >= 1 ? 1 : t * probability)
            : probability < classThreshold ? t * probability / classThreshold
            : t + (1 - t) * (probability - classThreshold) / (1 - classThreshold);
        var rounded = Math.Round(scaled, 4);
        return fires ? rounded : Math.Min(rounded, Math.Round(t - 0.0001, 4));
    }

    private static string Quote(string sentence) => ShortText.Cut(sentence, QuoteLength + 1);
}
