using System.Globalization;
using AgentCrm.Agents.Text;

namespace AgentCrm.Agents.Compliance;

/// <summary>
/// Reads the customer's latest contract or terms text, scores every sentence with the fitted unfair-clause
/// model, and fires when a sentence reaches the threshold: the reasons quote the offending sentences with
/// their category, strongest first. With a clause model and a policy it also fires on required clauses
/// the text lacks and on flagged clauses it contains, each at its own class threshold. The document type
/// routes the checks: a business contract (<see cref="ContractTypes"/>) gets the policy checks only — the
/// unfair-clause model was fitted and gated on consumer terms, so a version without a policy leaves contracts
/// alone rather than judge them as terms; other typed documents (terms of service…) the unfair-clause
/// model only; an untyped document both. The score is the strongest finding on the agent's scale.
/// </summary>
internal sealed class ComplianceAgent(AgentManifest manifest, ComplianceParameters p) : IAgent
{
    public const string TextField = "documents.text";
    public const string DocTypeField = "documents.docType";

    /// <summary>Document types (lower case, as the timeline keeps them) read as business contracts.</summary>
    public static readonly IReadOnlySet<string> ContractTypes = new HashSet<string>(["contract", "agreement", "msa", "sow", "order-form", "dpa"], StringComparer.Ordinal);
    private const int QuoteLength = 240;

    public AgentManifest Manifest { get; } = manifest;

    public Assessment Assess(CustomerSnapshot s)
    {
        if (s.Text(TextField) is not { Length: > 0 } text)
            return Assessment.None;
        var ids = s.EventIds(TextField);
        var sentences = SentenceSplitter.Split(text);
        var docType = s.Text(DocTypeField);
        var policy = p.ClauseModel is not null && (p.Require.Count > 0 || p.Flag.Count > 0);
        var contract = docType is not null && ContractTypes.Contains(docType);
        var checkUnfair = !contract;
        var checkPolicy = policy && (docType is null || contract);
        var unfair = p.Model.Class(UnfairCategories.Unfair)!;
        var categories = p.Model.Classes.Where(c => c.Name != UnfairCategories.Unfair).ToList();

        var findings = new List<(double Score, Reason Reason, string Fix, string Label, string Identity)>();
        double score = 0;
        foreach (var sentence in checkUnfair ? sentences : [])
        {
            var x = p.Model.Vectorize(sentence);
            var category = categories.Select(c => (c.Name, Z: TextModel.Logit(c, x))).OrderByDescending(c => c.Z).ThenBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault();
            var prob = Math.Round(category.Name is null ? TextModel.Probability(unfair, x) : ComplianceEnsembles.Blend(p.Ensemble, TextModel.Logit(unfair, x), category.Z, p.EnsembleShare), 4);
            score = Math.Max(score, prob);
            if (prob < Manifest.Threshold)
                continue;
            var label = category.Name is null ? "potentially unfair" : UnfairCategories.LabelOf(category.Name);
            findings.Add((prob, new Reason(TextField, Quote(sentence), prob, ids,
                string.Create(CultureInfo.InvariantCulture, $"{label} clause (p {prob:0.00}): \"{Quote(sentence)}\"")),
                category.Name is null ? UnfairCategories.FixOf("") : UnfairCategories.FixOf(category.Name), label, $"unfair:{label}:{Normalize(sentence)}"));
        }

        if (checkPolicy && p.ClauseModel is { } clauses)
        {
            var vectors = sentences.Select(clauses.Vectorize).ToList();
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
                var prob = Math.Round(best, 4);
                findings.Add((scaled, new Reason(TextField, Quote(sentences[at]), scaled, ids,
                    string.Create(CultureInfo.InvariantCulture, $"risky clause present: {ClauseCategories.LabelOf(name)} (p {prob:0.00}; {ClauseCategories.SectionOf(name)}): \"{Quote(sentences[at])}\"")),
                    ClauseCategories.FlagFixOf(name), ClauseCategories.LabelOf(name), $"flag:{name}:{Normalize(sentences[at])}"));
            }
        }

        findings.Sort((a, b) => b.Score.CompareTo(a.Score));
        // At most maxQuotes findings are quoted; the rest are counted by category, never dropped silently, and the
        // next step proposes a fix for every category found.
        var reasons = findings.Take(p.MaxQuotes).Select(f => f.Reason).ToList();
        if (findings.Skip(p.MaxQuotes).ToList() is { Count: > 0 } rest)
        {
            var byCategory = rest.GroupBy(f => f.Label, StringComparer.Ordinal)
                .Select(g => g.Count() == 1 ? g.Key : string.Create(CultureInfo.InvariantCulture, $"{g.Key} ×{g.Count()}"));
            reasons.Add(new Reason(TextField, rest.Count, rest[0].Score, ids, string.Create(CultureInfo.InvariantCulture,
                $"+{rest.Count} more finding{(rest.Count == 1 ? "" : "s")} not quoted (categories: {string.Join(", ", byCategory)})")));
        }
        var fired = score >= Manifest.Threshold && findings.Count > 0;
        var fixes = findings.Select(f => f.Fix).Distinct(StringComparer.Ordinal).ToList();
        var next = fixes.Count == 0 ? "" : $"Send the document back to legal: {fixes[0]}"
            + (fixes.Count > 1 ? "; also " + string.Join("; ", fixes.Skip(1)) : "") + ".";
        // The finding is the set of clauses found, whatever document carries them: the same terms sent again wait out the
        // cooldown, terms with a clause not briefed before are a new finding.
        var finding = string.Join("\n", findings.Select(f => f.Identity).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        return new Assessment(Math.Round(score, 4), fired, reasons, next) { FindingKey = finding };
    }

    /// <summary>A sentence as a finding's identity: lower case, runs of white space as one space.</summary>
    private static string Normalize(string sentence) => string.Join(' ', sentence.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

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

    private static string Quote(string sentence) =>
        sentence.Length <= QuoteLength ? sentence : sentence[..QuoteLength].TrimEnd() + "…";
}
