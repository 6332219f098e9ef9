using System.Globalization;
using AgentCrm.Agents.Text;

namespace AgentCrm.Agents.Compliance;

/// <summary>
/// Reads the customer's latest contract or terms text, scores every sentence with the fitted unfair-clause
/// model, and fires when a sentence reaches the threshold: the reasons quote the offending sentences with
/// their category, strongest first. With a clause model and a policy it also fires on required clauses
/// the text lacks and on flagged clauses it contains. The score is the strongest finding.
/// </summary>
internal sealed class ComplianceAgent(AgentManifest manifest, ComplianceParameters p) : IAgent
{
    public const string TextField = "documents.text";
    private const int QuoteLength = 240;

    public AgentManifest Manifest { get; } = manifest;

    public Assessment Assess(CustomerSnapshot s)
    {
        if (s.Text(TextField) is not { Length: > 0 } text)
            return Assessment.None;
        var ids = s.EventIds(TextField);
        var sentences = SentenceSplitter.Split(text);
        var unfair = p.Model.Class(UnfairCategories.Unfair)!;
        var categories = p.Model.Classes.Where(c => c.Name != UnfairCategories.Unfair).ToList();

        var findings = new List<(double Score, Reason Reason, string Fix)>();
        double score = 0;
        foreach (var sentence in sentences)
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
                category.Name is null ? UnfairCategories.FixOf("") : UnfairCategories.FixOf(category.Name)));
        }

        if (p.ClauseModel is { } clauses && (p.Require.Count > 0 || p.Flag.Count > 0))
        {
            var vectors = sentences.Select(clauses.Vectorize).ToList();
            foreach (var name in p.Require)
            {
                var c = clauses.Class(name)!;
                var best = vectors.Count == 0 ? 0 : vectors.Max(x => TextModel.Probability(c, x));
                if (best >= c.Threshold)
                    continue;
                var missing = Math.Round(1 - best, 4);
                score = Math.Max(score, missing);
                findings.Add((missing, new Reason(TextField, null, missing, ids,
                    $"required clause missing: {ClauseCategories.LabelOf(name)} (policy; {ClauseCategories.SectionOf(name)})"),
                    ClauseCategories.AddFixOf(name)));
            }
            foreach (var name in p.Flag)
            {
                var c = clauses.Class(name)!;
                var (best, at) = vectors.Select((x, i) => (TextModel.Probability(c, x), i)).DefaultIfEmpty((0, -1)).MaxBy(t => t.Item1);
                if (best < c.Threshold || at < 0)
                    continue;
                var prob = Math.Round(best, 4);
                score = Math.Max(score, prob);
                findings.Add((prob, new Reason(TextField, Quote(sentences[at]), prob, ids,
                    string.Create(CultureInfo.InvariantCulture, $"risky clause present: {ClauseCategories.LabelOf(name)} (p {prob:0.00}; {ClauseCategories.SectionOf(name)}): \"{Quote(sentences[at])}\"")),
                    ClauseCategories.FlagFixOf(name)));
            }
        }

        findings.Sort((a, b) => b.Score.CompareTo(a.Score));
        var kept = findings.Take(p.MaxQuotes).ToList();
        var fired = score >= Manifest.Threshold && kept.Count > 0;
        var next = kept.Count == 0 ? "" : $"Send the document back to legal: {kept[0].Fix}"
            + (kept.Skip(1).Select(f => f.Fix).Distinct().Take(2).ToList() is { Count: > 0 } more ? "; also " + string.Join("; ", more) : "") + ".";
        return new Assessment(Math.Round(score, 4), fired, kept.Select(f => f.Reason).ToList(), next);
    }

    private static string Quote(string sentence) =>
        sentence.Length <= QuoteLength ? sentence : sentence[..QuoteLength].TrimEnd() + "…";
}
