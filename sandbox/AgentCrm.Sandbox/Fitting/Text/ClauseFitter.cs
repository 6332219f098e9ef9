using System.Globalization;
using System.Text.Json;
using AgentCrm.Agents;
using AgentCrm.Agents.Compliance;
using AgentCrm.Agents.Text;
using AgentCrm.Sandbox.Cases;
using AgentCrm.Sandbox.Splits;

namespace AgentCrm.Sandbox.Fitting.Text;

/// <summary>
/// Fits the compliance-check <c>clauseModel</c> on document-level clause cases (CUAD: one case per contract, one
/// named label per clause category), the model a policy (<c>require</c>/<c>flag</c>) reads.
/// <para>With spans (<see cref="ClauseSpans"/>): the sentences inside a category's annotated spans are its positives,
/// every other sentence of the training contracts a negative (a contract labeled Yes whose spans match no sentence
/// is left out for that category). Without spans: each training contract is one row labeled by its document label.</para>
/// <para>Either way one L2-regularised logistic class per category over word 1-2-grams and character n-grams
/// (vocabulary from the training texts only, labels unused); a contract's score is its most likely sentence's
/// probability (what the agent computes); the L2 strength and the per-category threshold are chosen by document-level
/// F1 out of fold (k-fold over training contracts); tiny weights are pruned to keep the manifest compact.</para>
/// </summary>
public static class ClauseFitter
{
    private static readonly ComplianceCheckKind Kind = new();

    public const string Protocol =
        "30% of the contracts held out (stratified by the primary label; seeded); vocabulary from the training contracts only; per category an L2 logistic model over sentences (span-supervised) or documents (no spans); contract score = max sentence probability; L2 and threshold by document-level F1 in k-fold CV over the training contracts; weights pruned; figures on the held-out contracts";

    public const string CrossValidationProtocol =
        "5-fold CV over all contracts (stratified by the primary label; seeded); in each fold the whole fit (vocabulary, L2 and thresholds by inner CV) sees the training contracts only; figures pooled over the 5 test folds";

    /// <summary>The default policy of a fitted version, as far as its categories allow.</summary>
    public static readonly IReadOnlyList<string> DefaultRequire = ["cap-on-liability"];

    public static readonly IReadOnlyList<string> DefaultFlag = ["uncapped-liability", "most-favored-nation", "non-compete"];

    /// <summary>
    /// Whether a case set is document-level clause cases — every case a business contract (its <c>documents.docType</c>
    /// names a contract, <see cref="DocumentTypes"/>, as <c>cuad.yaml</c> maps it), with named labels and no document groups — so the clause
    /// fitter's, not the sentence fitter's. The same document type makes the agent run its policy checks.
    /// </summary>
    public static bool Applies(CaseSet set) =>
        set.Cases.Count > 0 && set.Cases[0].Labels.Count > 0
        && set.Cases.All(c => c.Group is null && DocumentTypes.IsContract(c.Snapshot.Text(ComplianceAgent.DocTypeField)));

    public static FitResult Fit(CaseSet set, FitOptions options, ClauseFitOptions clause, ClauseSpans? spans, AgentManifest baseManifest)
    {
        if (!baseManifest.Parameters.ContainsKey("model"))
            baseManifest = Kind.BuiltIn; // the clause model rides beside the unfair-clause model
        var (trainIndex, testIndex) = HoldOutCases.Split(set, options);
        var docs = Documents(set, spans);
        var train = trainIndex.Select(i => docs[i]).ToArray();
        var test = testIndex.Select(i => docs[i]).ToArray();
        var categories = Categories(set, clause, train, options.Folds);

        // One step per category of each model fitted (the span-supervised one and its document-label baseline), one for the figures.
        var steps = new FitSteps(options.Progress, categories.Count * (spans is null ? 1 : 2) + 1);
        var fitted = FitModel(train, categories, clause, spans is not null ? Mode.Spans : Mode.Documents, options, steps);
        var fallback = spans is null ? fitted : FitModel(train, categories, clause, Mode.Documents, options, steps);

        var version = options.Version ?? "1.1.0";
        var manifest = ToManifest(baseManifest, version, fitted.Model, string.Create(CultureInfo.InvariantCulture,
            $"{baseManifest.Description.Split(" Clause model:", 2)[0]} Clause model: {(spans is null ? "document-label" : "span-supervised")} CUAD clause categories ({categories.Count}, {fitted.Model.Vocabulary.Count} terms) on case set {set.Name} ({set.Hash}), {train.Length} training contracts; {Protocol}."));
        var baselineManifest = ToManifest(baseManifest, version + "-baseline", fallback.Model,
            $"Document-label clause model (no spans) on case set {set.Name} ({set.Hash}).");

        // Out of fold, what the version decides (its policy over the categories' out-of-fold scores) against the primary label.
        var (require, flag) = PolicyOf(fitted.Model);
        var trainLabels = trainIndex.Select(i => set.Cases[i].Label).ToArray();
        var validation = require.Length + flag.Length == 0
            ? FitScoring.Measure([], [], 0.5)
            : FitScoring.Measure(Enumerable.Range(0, train.Length).Select(i => PolicyScore(fitted.Model, require, flag, c => fitted.OutOfFold[c][i], manifest.Threshold)).ToArray(),
                trainLabels, manifest.Threshold);
        var testCases = testIndex.Select(i => set.Cases[i]).ToArray();
        var result = new FitResult(manifest, TextFitter.MeasureAgent(Kind, manifest, testCases), TextFitter.MeasureAgent(Kind, baselineManifest, testCases))
        {
            BaselineManifest = baselineManifest,
            Validation = validation,
            CaseSetName = set.Name,
            CaseSetHash = set.Hash,
            TrainCases = train.Length,
            TestCases = test.Length,
            ModelType = TextModel.TypeName,
            Features = $"clause model, {(spans is null ? "document labels" : "span-supervised sentences")}, {categories.Count} categories",
            L2 = fitted.Lambdas.Values.DefaultIfEmpty(0).Max(),
            Candidates = [],
            Protocol = Protocol,
            PerLabel = categories.Select(c => Measure(c, test.Select(d => MaxSentence(fitted.Model, fitted.Model.Class(c)!, d)).ToArray(), test, fitted.Model.Class(c)!.Threshold)).ToList(),
        };
        steps.Step();
        return result;
    }

    /// <summary>
    /// Document-level k-fold cross-validation over all contracts: per category the span-supervised model (when spans are
    /// given), the document-label model scored like the agent scores (max sentence), and the baseline (the same
    /// document-label model scored on the whole contract text), each fitted on the training folds only.
    /// </summary>
    public static ClauseCrossValidation CrossValidate(CaseSet set, FitOptions options, ClauseFitOptions clause, ClauseSpans? spans)
    {
        var docs = Documents(set, spans);
        var folds = StratifiedSplit.Folds(set.Cases.Select(c => c.Label).ToArray(), options.Folds, options.Seed + 2);
        var categories = Categories(set, clause, docs, options.Folds);
        var spanScores = categories.ToDictionary(c => c, _ => new double[docs.Length]);
        var spanHit = categories.ToDictionary(c => c, _ => new bool[docs.Length]);
        var docHit = categories.ToDictionary(c => c, _ => new bool[docs.Length]);
        var baseHit = categories.ToDictionary(c => c, _ => new bool[docs.Length]);
        var policyHit = new bool[docs.Length];
        var policyBaseHit = new bool[docs.Length];
        const double agentThreshold = 0.5;
        // One step per category of each model fitted in each fold (document labels, spans when given, whole-text baseline).
        var steps = new FitSteps(options.Progress, options.Folds * (spans is null ? 2 : 3) * categories.Count);
        for (var f = 0; f < options.Folds; f++)
        {
            var train = docs.Where((_, i) => folds[i] != f).ToArray();
            var testIdx = Enumerable.Range(0, docs.Length).Where(i => folds[i] == f).ToArray();
            var inner = options with { Seed = options.Seed + 3 + f };
            var byDocs = FitModel(train, categories, clause, Mode.Documents, inner, steps);
            var bySpans = spans is null ? null : FitModel(train, categories, clause, Mode.Spans, inner, steps);
            var baseline = FitModel(train, categories, clause, Mode.WholeDocuments, inner, steps);
            foreach (var c in categories)
                foreach (var i in testIdx)
                {
                    docHit[c][i] = MaxSentence(byDocs.Model, byDocs.Model.Class(c)!, docs[i]) >= byDocs.Model.Class(c)!.Threshold;
                    var whole = TextModel.Probability(baseline.Model.Class(c)!, baseline.Model.Vectorize(docs[i].Text));
                    baseHit[c][i] = whole >= baseline.Model.Class(c)!.Threshold;
                    if (bySpans is not null)
                    {
                        spanScores[c][i] = MaxSentence(bySpans.Model, bySpans.Model.Class(c)!, docs[i]);
                        spanHit[c][i] = spanScores[c][i] >= bySpans.Model.Class(c)!.Threshold;
                    }
                }
            // What the version would decide: its policy over the shipped model's contract scores (max sentence), and the baseline's over whole-text scores.
            var shipped = bySpans ?? byDocs;
            var (require, flag) = PolicyOf(shipped.Model);
            foreach (var i in testIdx)
            {
                policyHit[i] = PolicyScore(shipped.Model, require, flag, c => MaxSentence(shipped.Model, shipped.Model.Class(c)!, docs[i]), agentThreshold) >= agentThreshold;
                policyBaseHit[i] = PolicyScore(baseline.Model, require, flag, c => Math.Round(TextModel.Probability(baseline.Model.Class(c)!, baseline.Model.Vectorize(docs[i].Text)), 4), agentThreshold) >= agentThreshold;
            }
        }
        var rows = categories.Select(c =>
        {
            var truth = docs.Select(d => d.Labels[c]).ToArray();
            return new ClauseCategoryFigures(c, truth.Count(t => t), spans is null ? null : Counts(c, spanHit[c], truth), Counts(c, docHit[c], truth), Counts(c, baseHit[c], truth));
        }).ToList();
        var primary = set.Cases.Select(c => c.Label).ToArray();
        return new ClauseCrossValidation(set.Name, set.Hash, docs.Length, options.Folds, options.Seed, CrossValidationProtocol, rows,
            spans is null ? null : Math.Round(rows.Average(r => r.Spans!.F1), 4),
            Math.Round(rows.Average(r => r.DocumentLabels.F1), 4),
            Math.Round(rows.Average(r => r.Baseline.F1), 4))
        {
            Policy = LabelMetrics.Of("policy", policyHit, primary, 0),
            PolicyBaseline = LabelMetrics.Of("policy", policyBaseHit, primary, 0),
        };
    }

    internal enum Mode { Spans, Documents, WholeDocuments }

    /// <summary>One contract: its text, sentences, labels, and per category which sentences lie in its spans (null: unknown).</summary>
    internal sealed record Document(string Id, string Text, IReadOnlyList<string> Sentences, IReadOnlyDictionary<string, bool> Labels, IReadOnlyDictionary<string, bool[]?> Inside);

    internal sealed record Fitted(TextModel Model, IReadOnlyDictionary<string, double[]> OutOfFold, IReadOnlyDictionary<string, double> Lambdas);

    internal static Document[] Documents(CaseSet set, ClauseSpans? spans)
    {
        if (spans is not null && !set.Cases.Any(c => spans.Has(c.Id)))
            throw new ArgumentException($"the spans file names none of case set '{set.Name}''s contracts (its Filename column must match the case ids).", nameof(spans));
        return set.Cases.Select(c => ToDocument(c, spans)).ToArray();
    }

    private static Document ToDocument(Case c, ClauseSpans? spans)
    {
        var text = c.Snapshot.Text(ComplianceAgent.TextField) ?? "";
        var sentences = SentenceSplitter.Split(text);
        var inside = new Dictionary<string, bool[]?>(StringComparer.Ordinal);
        if (spans is not null)
        {
            var located = SpanMatcher.Locate(text, sentences);
            foreach (var (name, present) in c.Labels)
            {
                var mask = spans.Has(c.Id) ? SpanMatcher.Inside(located, SpanMatcher.Find(text, spans.Of(c.Id, name))) : null;
                // A clause the label says is there but no sentence was matched to: its sentences are not evidence either way.
                inside[name] = mask is not null && present && !mask.Any(x => x) ? null : mask ?? (present ? null : new bool[sentences.Count]);
            }
        }
        return new Document(c.Id, text, sentences, c.Labels, inside);
    }

    /// <summary>The case set's clause categories (its named labels), sorted.</summary>
    private static List<string> LabelsOf(CaseSet set) => set.Cases.Count == 0 ? [] : set.Cases[0].Labels.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>Throws <see cref="ArgumentException"/> (parameter <c>categories</c>) naming the wanted categories the case set does not label.</summary>
    public static void CheckCategories(CaseSet set, IReadOnlyList<string> wanted)
    {
        var all = LabelsOf(set);
        var unknown = wanted.Where(w => !all.Contains(w, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"unknown categor{(unknown.Count == 1 ? "y" : "ies")} {string.Join(", ", unknown)}; case set '{set.Name}' labels: {string.Join(", ", all)}.", "categories");
    }

    private static List<string> Categories(CaseSet set, ClauseFitOptions clause, IReadOnlyList<Document> train, int folds)
    {
        var all = LabelsOf(set);
        if (clause.Categories is { Count: > 0 } wanted)
        {
            CheckCategories(set, wanted);
            all = all.Where(wanted.Contains).ToList();
        }
        var fittable = all.Where(c => train.Count(d => d.Labels[c]) >= 2 && train.Count(d => !d.Labels[c]) >= 2).ToList();
        if (fittable.Count == 0)
            throw new ArgumentException($"Case set '{set.Name}' has no clause category with at least two positive and two negative training contracts.", nameof(set));
        return fittable;
    }

    /// <summary>The default policy as far as the model's categories allow: what a fitted version requires and flags.</summary>
    internal static (string[] Require, string[] Flag) PolicyOf(TextModel model)
    {
        var names = model.Classes.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        return (DefaultRequire.Where(names.Contains).ToArray(), DefaultFlag.Where(names.Contains).ToArray());
    }

    /// <summary>
    /// A contract's policy score on the agent's scale from each category's contract score (its best sentence), as the
    /// agent computes it: a required clause scoring under its threshold or a flagged one at or over it fires, and the
    /// score is the strongest finding (at or over <paramref name="agentThreshold"/> exactly when one fires).
    /// </summary>
    internal static double PolicyScore(TextModel model, IReadOnlyList<string> require, IReadOnlyList<string> flag, Func<string, double> best, double agentThreshold)
    {
        double score = 0;
        foreach (var c in require)
        {
            var (p, t) = (best(c), model.Class(c)!.Threshold);
            score = Math.Max(score, ComplianceAgent.OnAgentScale(1 - p, 1 - t, p < t, agentThreshold));
        }
        foreach (var c in flag)
        {
            var (p, t) = (best(c), model.Class(c)!.Threshold);
            score = Math.Max(score, ComplianceAgent.OnAgentScale(p, t, p >= t, agentThreshold));
        }
        return score;
    }

    internal static Fitted FitModel(IReadOnlyList<Document> train, IReadOnlyList<string> categories, ClauseFitOptions clause, Mode mode, FitOptions options, FitSteps? steps = null)
    {
        var sentenceLevel = mode == Mode.Spans;
        var texts = sentenceLevel ? train.SelectMany(d => d.Sentences).ToArray() : train.Select(d => d.Text).ToArray();
        var groups = sentenceLevel ? train.SelectMany(d => d.Sentences.Select(_ => d.Id)).ToArray() : train.Select(d => d.Id).ToArray();
        var vocabulary = VocabularyBuilder.Build(texts, clause.Featurizer, clause.MinDf, clause.MaxWords, clause.MaxChars, groups, clause.MinGroups);
        var docRows = train.Select(d => vocabulary.Vectorize(d.Text)).ToArray();
        var sentenceRows = train.Select(d => d.Sentences.Select(vocabulary.Vectorize).ToArray()).ToArray();

        if (mode == Mode.Spans)
            foreach (var c in categories)
                if (!train.Any(d => d.Inside.GetValueOrDefault(c) is { } inside && inside.Contains(true)))
                    throw new ArgumentException($"category {c}: no training contract has a sentence inside its spans, so the clause model cannot learn it; check that the spans file names this case set's contracts, or leave the category out with --categories.", "spans");
        var classes = new TextClass[categories.Count];
        var oofs = new double[categories.Count][];
        var lambdas = new double[categories.Count];
        Parallel.For(0, categories.Count, new ParallelOptions { MaxDegreeOfParallelism = clause.Parallelism }, k =>
        {
            var c = categories[k];
            var truth = train.Select(d => d.Labels[c]).ToArray();
            var folds = StratifiedSplit.Folds(truth, options.Folds, options.Seed + 1);
            (double F1, double Lambda, double Weight, double[] Oof)? best = null;
            foreach (var weight in clause.PositiveWeights)
            foreach (var lambda in clause.L2Strengths)
            {
                var oof = new double[train.Count];
                for (var f = 0; f < options.Folds; f++)
                {
                    var inFold = Enumerable.Range(0, train.Count).Where(i => folds[i] != f).ToArray();
                    var cls = FitClass(c, inFold, train, docRows, sentenceRows, vocabulary.Count, lambda, weight, mode, clause);
                    for (var i = 0; i < train.Count; i++)
                        if (folds[i] == f)
                            oof[i] = cls is null ? 0 : Score(cls, i, docRows, sentenceRows, mode);
                }
                var f1 = FitScoring.Measure(oof, truth, FitScoring.BestF1Threshold(oof, truth)).F1;
                if (best is null || f1 > best.Value.F1 + 1e-12)
                    best = (f1, lambda, weight, oof);
            }
            var chosen = best!.Value;
            var all = Enumerable.Range(0, train.Count).ToArray();
            var refit = FitClass(c, all, train, docRows, sentenceRows, vocabulary.Count, chosen.Lambda, chosen.Weight, mode, clause)!;
            classes[k] = refit with { Threshold = Math.Round(FitScoring.BestF1Threshold(chosen.Oof, truth), 4) };
            oofs[k] = chosen.Oof;
            lambdas[k] = chosen.Lambda;
            steps?.Step();
        });
        return new Fitted(new TextModel(vocabulary, classes),
            categories.Select((c, k) => (c, k)).ToDictionary(x => x.c, x => oofs[x.k], StringComparer.Ordinal),
            categories.Select((c, k) => (c, k)).ToDictionary(x => x.c, x => lambdas[x.k], StringComparer.Ordinal));
    }

    /// <summary>Fits one category on the given training contracts; null when they hold no positive row.</summary>
    private static TextClass? FitClass(string category, int[] docs, IReadOnlyList<Document> train, SparseVector[] docRows, SparseVector[][] sentenceRows,
        int dimension, double lambda, double weight, Mode mode, ClauseFitOptions clause)
    {
        var rows = new List<SparseVector>();
        var labels = new List<bool>();
        foreach (var i in docs)
        {
            if (mode == Mode.Spans)
            {
                if (train[i].Inside.GetValueOrDefault(category) is not { } inside)
                    continue;
                rows.AddRange(sentenceRows[i]);
                labels.AddRange(inside);
            }
            else
            {
                rows.Add(docRows[i]);
                labels.Add(train[i].Labels[category]);
            }
        }
        if (!labels.Contains(true) || !labels.Contains(false))
            return null;
        var (bias, weights) = SparseLogistic.Fit(rows, labels, dimension, lambda, weight, clause.MaxIterations, clause.Tolerance);
        // Pruned and rounded as stored in the manifest, so every figure is the shipped model's.
        return new TextClass(category, Math.Round(bias, 6), weights.Select(w => Math.Abs(w) < clause.Prune ? 0 : Math.Round(w, 3)).ToArray());
    }

    private static double Score(TextClass c, int doc, SparseVector[] docRows, SparseVector[][] sentenceRows, Mode mode) =>
        mode == Mode.WholeDocuments
            ? Math.Round(TextModel.Probability(c, docRows[doc]), 4)
            : Math.Round(sentenceRows[doc].Select(x => TextModel.Probability(c, x)).DefaultIfEmpty(0).Max(), 4);

    /// <summary>A contract's score as the agent computes it: its most likely sentence's probability.</summary>
    internal static double MaxSentence(TextModel model, TextClass c, Document d) =>
        Math.Round(d.Sentences.Select(s => TextModel.Probability(c, model.Vectorize(s))).DefaultIfEmpty(0).Max(), 4);

    private static LabelMetrics Measure(string category, double[] scores, IReadOnlyList<Document> docs, double threshold) =>
        LabelMetrics.Of(category, scores.Select(s => s >= threshold).ToArray(), docs.Select(d => d.Labels[category]).ToArray(), threshold);

    private static LabelMetrics Counts(string category, bool[] fired, bool[] truth) => LabelMetrics.Of(category, fired, truth, 0);

    private static AgentManifest ToManifest(AgentManifest based, string version, TextModel model, string description)
    {
        var parameters = based.Parameters.Where(p => p.Key is not ("clauseModel" or "policy")).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        parameters["clauseModel"] = model.ToJson();
        var (require, flag) = PolicyOf(model);
        parameters["policy"] = JsonSerializer.SerializeToElement(new { require, flag });
        return based with { Version = version, Description = description, Parameters = parameters };
    }
}
