using System.Globalization;
using AgentCrm.Agents;
using AgentCrm.Agents.Compliance;
using AgentCrm.Agents.Models;
using AgentCrm.Agents.Text;
using AgentCrm.Sandbox.Cases;
using AgentCrm.Sandbox.Splits;

namespace AgentCrm.Sandbox.Fitting.Text;

/// <summary>
/// Fits a <see cref="TextModel"/> for a text kind (compliance-check, tender-detection).
/// <para>Protocol (deterministic; the seed only drives the splits):</para>
/// <list type="number">
/// <item>Hold-out: 30% of the documents when the cases have a group (a document's sentences never straddle the split), else 30% of each class.</item>
/// <item>Vocabulary from the training texts only, by document frequency (labels unused): word uni/bigrams and character 3–5-grams, sub-linear tf × idf, L2-normalised per block; the kind's lexicon cues and sentence-shape cues as a third block.</item>
/// <item>5-fold cross-validation inside the training part (by document when grouped) picks the L2 strength and the positive weight by out-of-fold F1, and the threshold by out-of-fold F1; each named label (category) gets its own out-of-fold threshold.</item>
/// <item>Refit on the whole training part (L-BFGS); figures on the held-out part through the agent itself, beside a plain baseline (word uni/bigrams, fixed L2, threshold on the training part).</item>
/// </list>
/// </summary>
public static class TextFitter
{
    public const string Protocol =
        "30% hold-out (whole documents when the cases are grouped, else stratified; seeded); vocabulary (word 1-2-grams, char 3-5-grams, tf-idf; lexicon and shape cues) from the training part only; 5-fold CV inside it (by document when grouped) picks L2 and positive weight by out-of-fold F1, the ensemble and the thresholds by out-of-fold F1; refit on the training part; figures on the held-out part through the agent";

    private const int WeightDecimals = 3;

    public static FitResult Fit(CaseSet set, FitOptions options, TextFitOptions text, TextTarget target)
    {
        var (trainIndex, testIndex) = HoldOutCases.Split(set, options);
        var train = trainIndex.Select(i => set.Cases[i]).ToArray();
        var test = testIndex.Select(i => set.Cases[i]).ToArray();
        var labels = train.Select(c => c.Label).ToArray();
        if (labels.Count(l => l) < options.Folds * 2)
            throw new ArgumentException($"Case set '{set.Name}' needs at least {options.Folds * 2} positive training cases to fit.", nameof(set));
        var texts = train.Select(c => target.TextOf(c.Snapshot)).ToArray();
        var grouped = train.All(c => c.Group is not null);
        var folds = grouped
            ? StratifiedSplit.GroupFolds(train.Select(c => c.Group!).ToArray(), options.Folds, options.Seed + 1)
            : StratifiedSplit.Folds(labels, options.Folds, options.Seed + 1);

        var groups = grouped ? train.Select(c => c.Group!).ToArray() : null;
        var featurizer = text.Featurizer ?? target.Featurizer ?? TextFeaturizer.Default;
        // The kind's cues are kept only if they win out of fold against the same terms without them.
        var variants = featurizer.HasCues && text.TryWithoutCues ? [featurizer, featurizer with { Lexicon = null, Shape = false }] : new[] { featurizer };
        var named = target.FitNamedLabels ? NamedLabels(train) : [];
        // One step per candidate scored out of fold, one per named class fitted, one for the refit, baseline and figures.
        var steps = new FitSteps(options.Progress, variants.Length * text.PositiveWeights.Count * text.L2Strengths.Count + named.Count + 1);
        var candidates = new List<FitCandidate>();
        (FitCandidate Score, double Lambda, double Weight, double[] Logits, TextVocabulary Vocabulary, SparseVector[] Rows)? best = null;
        foreach (var variant in variants)
        {
            var variantVocabulary = VocabularyBuilder.Build(texts, variant, text.MinDf, text.MaxWords, text.MaxChars, groups, text.MinGroups);
            var variantRows = texts.Select(variantVocabulary.Vectorize).ToArray();
            foreach (var weight in text.PositiveWeights)
                foreach (var lambda in text.L2Strengths)
                {
                    var logits = OutOfFold(variantRows, labels, folds, options.Folds, variantVocabulary.Count, lambda, weight);
                    var oof = Probabilities(logits);
                    var m = FitScoring.Measure(oof, labels, FitScoring.BestF1Threshold(oof, labels));
                    var candidate = new FitCandidate(string.Create(CultureInfo.InvariantCulture, $"text{Cues(variant)}, positives ×{weight}"), variantVocabulary.Count, lambda, m.LogLoss, m.RocAuc, m.F1, TextModel.TypeName);
                    candidates.Add(candidate);
                    if (best is null || m.F1 > best.Value.Score.F1 + 1e-12)
                        best = (candidate, lambda, weight, logits, variantVocabulary, variantRows);
                    steps.Step();
                }
        }
        var chosen = best!.Value;
        var (vocabulary, rows) = (chosen.Vocabulary, chosen.Rows);
        featurizer = vocabulary.Featurizer;
        var chosenOof = Probabilities(chosen.Logits);
        var primaryThreshold = Math.Round(FitScoring.BestF1Threshold(chosenOof, labels), 4);

        var classes = new List<TextClass> { Refit(target.PrimaryClass, rows, labels, vocabulary.Count, chosen.Lambda, chosen.Weight, primaryThreshold) };
        var bestNamed = Enumerable.Repeat(double.NegativeInfinity, rows.Length).ToArray();
        foreach (var name in named)
        {
            var y = train.Select(c => c.Labels[name]).ToArray();
            var logits = OutOfFold(rows, y, folds, options.Folds, vocabulary.Count, chosen.Lambda, chosen.Weight);
            for (var i = 0; i < logits.Length; i++)
                bestNamed[i] = Math.Max(bestNamed[i], logits[i]);
            var full = Refit(name, rows, y, vocabulary.Count, chosen.Lambda, chosen.Weight, Math.Round(FitScoring.BestF1Threshold(Probabilities(logits), y), 4));
            classes.Add(Prune(full, rows, y, chosen.Lambda, chosen.Weight, text.PruneCategoryWeights));
            steps.Step();
        }

        // The ensembles (the primary class with the most likely named class: mean of probabilities, or mean of logits) are kept only if they win out of fold.
        var scores = chosenOof;
        var ensemble = ComplianceEnsemble.None;
        var share = 0.5;
        if (target.CanEnsemble && named.Count > 0)
        {
            var bestF1 = chosen.Score.F1;
            foreach (var (mode, unfairShare) in text.Ensembles)
            {
                var blended = chosen.Logits.Select((z, i) => Math.Round(ComplianceEnsembles.Blend(mode, z, bestNamed[i], unfairShare), 4)).ToArray();
                var f1 = FitScoring.Measure(blended, labels, FitScoring.BestF1Threshold(blended, labels)).F1;
                candidates.Add(chosen.Score with { Features = chosen.Score.Features + string.Create(CultureInfo.InvariantCulture, $", ensemble with categories ({ComplianceEnsembles.Name(mode)}{(mode == ComplianceEnsemble.Logit ? $", unfair share {unfairShare}" : "")})"), F1 = f1 });
                if (f1 > bestF1 + 1e-12)
                    (scores, ensemble, share, bestF1) = (blended, mode, unfairShare, f1);
            }
        }
        var threshold = Math.Round(FitScoring.BestF1Threshold(scores, labels), 4);
        var validation = FitScoring.Measure(scores, labels, threshold);

        var model = new TextModel(vocabulary, classes);
        var version = options.Version ?? NextMinor(target.Base.Version);
        var manifest = ToManifest(target.Base, version, model, threshold, string.Create(CultureInfo.InvariantCulture,
            $"Fitted text model (L2 {chosen.Lambda}, positives ×{chosen.Weight}, {vocabulary.Count} terms{Cues(featurizer)}{(ensemble != ComplianceEnsemble.None ? $", ensemble with categories ({ComplianceEnsembles.Name(ensemble)}{(ensemble == ComplianceEnsemble.Logit ? $", unfair share {share}" : "")})" : "")}) on case set {set.Name} ({set.Hash}), {train.Length} training cases; {Protocol}."));
        if (target.CanEnsemble)
            manifest = manifest with { Parameters = new Dictionary<string, System.Text.Json.JsonElement>(manifest.Parameters, StringComparer.Ordinal) { ["ensemble"] = ComplianceEnsembles.ToJson(ensemble) } };
        if (ensemble == ComplianceEnsemble.Logit && share != 0.5)
            manifest = manifest with { Parameters = new Dictionary<string, System.Text.Json.JsonElement>(manifest.Parameters, StringComparer.Ordinal) { ["ensembleShare"] = System.Text.Json.JsonSerializer.SerializeToElement(share) } };

        var plainVocabulary = VocabularyBuilder.Build(texts, new TextFeaturizer(2, 0, 0), text.MinDf, text.MaxWords, 0);
        var baseParameters = target.Base.Parameters.Where(p => p.Key is not ("model" or "ensemble" or "ensembleShare")).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var plainRows = texts.Select(plainVocabulary.Vectorize).ToArray();
        var plain = Refit(target.PrimaryClass, plainRows, labels, plainVocabulary.Count, text.BaselineL2, 1, 0.5);
        var plainTrainScores = plainRows.Select(r => Math.Round(TextModel.Probability(plain, r), 4)).ToArray();
        var baselineManifest = ToManifest(target.Base with { Parameters = baseParameters }, version + "-baseline", new TextModel(plainVocabulary, [plain]),
            Math.Round(FitScoring.BestF1Threshold(plainTrainScores, labels), 4),
            $"Plain baseline (word uni/bigrams, L2 {text.BaselineL2.ToString(CultureInfo.InvariantCulture)}, threshold on the training part) on case set {set.Name} ({set.Hash}).");

        var result = new FitResult(manifest, MeasureAgent(target.Kind, manifest, test), MeasureAgent(target.Kind, baselineManifest, test))
        {
            BaselineManifest = baselineManifest,
            Validation = validation,
            CaseSetName = set.Name,
            CaseSetHash = set.Hash,
            TrainCases = train.Length,
            TestCases = test.Length,
            ModelType = TextModel.TypeName,
            Features = chosen.Score.Features,
            L2 = chosen.Lambda,
            Candidates = candidates,
            Protocol = Protocol,
            PerLabel = named.Select(name => LabelOnTest(model, model.Class(name)!, test, target)).ToList(),
        };
        steps.Step();
        return result;
    }

    /// <summary>The named labels with enough positives in the training part to fit and threshold (two per fold).</summary>
    private static List<string> NamedLabels(IReadOnlyList<Case> train) =>
        train.Count == 0 ? [] : train[0].Labels.Keys.Where(name => train.Count(c => c.Labels.GetValueOrDefault(name)) >= 10).Order(StringComparer.Ordinal).ToList();

    private static string Cues(TextFeaturizer f) =>
        (f.Lexicon is null ? "" : $", lexicon {f.Lexicon.Name}") + (f.Shape ? ", sentence shape" : "");

    private static double[] Probabilities(double[] logits) => logits.Select(z => Math.Round(LinearModel.Sigmoid(z), 4)).ToArray();

    /// <summary>
    /// Category weights near zero carry little and cost manifest size: the class is refitted on the terms whose weight
    /// reaches <paramref name="below"/> only (the others stay zero and are stored sparsely). Refitting, not just zeroing,
    /// keeps the many small weights' summed effect from shifting the logits.
    /// </summary>
    private static TextClass Prune(TextClass c, SparseVector[] rows, bool[] labels, double lambda, double weight, double below)
    {
        if (below <= 0)
            return c;
        var kept = Enumerable.Range(0, c.Weights.Length).Where(i => Math.Abs(c.Weights[i]) >= below).ToArray();
        var map = new int[c.Weights.Length];
        Array.Fill(map, -1);
        for (var k = 0; k < kept.Length; k++)
            map[kept[k]] = k;
        var narrow = rows.Select(r =>
        {
            var at = new List<int>();
            var values = new List<double>();
            for (var i = 0; i < r.Indices.Length; i++)
                if (map[r.Indices[i]] >= 0)
                {
                    at.Add(map[r.Indices[i]]);
                    values.Add(r.Values[i]);
                }
            return new SparseVector([.. at], [.. values]);
        }).ToArray();
        var (b, w) = SparseLogistic.Fit(narrow, labels, kept.Length, lambda, weight);
        var weights = new double[c.Weights.Length];
        for (var k = 0; k < kept.Length; k++)
            weights[kept[k]] = Math.Round(w[k], WeightDecimals);
        return c with { Bias = Math.Round(b, 6), Weights = weights };
    }

    /// <summary>Out-of-fold logits (bias + w · x) of a class fitted on the other folds.</summary>
    private static double[] OutOfFold(SparseVector[] rows, bool[] labels, int[] folds, int k, int dimension, double lambda, double weight)
    {
        var oof = new double[rows.Length];
        // Folds are independent, so running them in parallel changes nothing in the result.
        Parallel.For(0, k, f =>
        {
            var trainRows = Enumerable.Range(0, rows.Length).Where(i => folds[i] != f).ToArray();
            if (trainRows.All(i => !labels[i]))
                return;
            var (b, w) = SparseLogistic.Fit(trainRows.Select(i => rows[i]).ToArray(), trainRows.Select(i => labels[i]).ToArray(), dimension, lambda, weight);
            var c = new TextClass("oof", b, w);
            for (var i = 0; i < rows.Length; i++)
                if (folds[i] == f)
                    oof[i] = c.Bias + rows[i].Dot(c.Weights);
        });
        return oof;
    }

    private static TextClass Refit(string name, SparseVector[] rows, bool[] labels, int dimension, double lambda, double weight, double threshold)
    {
        var (b, w) = SparseLogistic.Fit(rows, labels, dimension, lambda, weight);
        // Rounded as stored in the manifest, so the figures measured here are the shipped model's.
        return new TextClass(name, Math.Round(b, 6), w.Select(v => Math.Round(v, WeightDecimals)).ToArray(), threshold);
    }

    private static LabelMetrics LabelOnTest(TextModel model, TextClass c, IReadOnlyList<Case> test, TextTarget target) =>
        LabelMetrics.Of(c.Name,
            test.Select(t => TextModel.Probability(c, model.Vectorize(target.TextOf(t.Snapshot))) >= c.Threshold).ToArray(),
            test.Select(t => t.Labels.GetValueOrDefault(c.Name)).ToArray(), c.Threshold);

    /// <summary>Scores the cases through the kind's agent built from the manifest (the production path, fed only the fields it reads).</summary>
    internal static FitMetrics MeasureAgent(IAgentKind kind, AgentManifest manifest, IReadOnlyList<Case> cases)
    {
        var agent = kind.Create(manifest);
        var scores = cases.Select(c => agent.Assess(c.Snapshot.Only(manifest.Reads)).Score).ToArray();
        return FitScoring.Measure(scores, cases.Select(c => c.Label).ToArray(), manifest.Threshold);
    }

    private static AgentManifest ToManifest(AgentManifest based, string version, TextModel model, double threshold, string description)
    {
        var parameters = based.Parameters.Where(p => p.Key is not ("model" or "ensemble" or "ensembleShare")).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        parameters["model"] = model.ToJson();
        return based with { Version = version, Threshold = threshold, Description = description, Parameters = parameters };
    }

    private static string NextMinor(string version)
    {
        var core = version.Split('-', 2)[0].Split('.');
        return core.Length == 3 && int.TryParse(core[0], CultureInfo.InvariantCulture, out var major) && int.TryParse(core[1], CultureInfo.InvariantCulture, out var minor)
            ? $"{major}.{minor + 1}.0"
            : "1.1.0";
    }
}
