using System.Globalization;
using AgentCrm.Agents;
using AgentCrm.Agents.Models;
using AgentCrm.Agents.RenewalRisk;
using AgentCrm.Sandbox.Cases;
using AgentCrm.Sandbox.Replay;

namespace AgentCrm.Sandbox.Fitting;

/// <summary>
/// Learns a renewal-risk version from labeled cases.
/// <para>Protocol (deterministic; the seed only drives the splits):</para>
/// <list type="number">
/// <item>Stratified hold-out: <see cref="FitOptions.TestFraction"/> (30%) of each class is the test part, shuffled with <see cref="FitOptions.Seed"/>. It is used only for the final figures.</item>
/// <item>Features (categories, means, quantiles, crosses) are built from the training part (70%) alone.</item>
/// <item>Inside the 70%, stratified k-fold (5) cross-validation scores every logistic feature set × L2 strength and every gradient-boosted tree setting (its number of trees chosen by early stopping on the folds' held-out log-loss) by out-of-fold log-loss; the best is chosen, and the threshold that maximises F1 on its out-of-fold scores.</item>
/// <item>Blends of the best logistic and the best trees candidate (their out-of-fold logits averaged with each of <see cref="FitOptions.BlendWeights"/>) are scored the same way and compete with the single models.</item>
/// <item>The chosen candidate is refitted on the whole 70% (L2-regularised logistic regression by Newton's method, intercept unpenalised; or the same trees setting with the chosen number of trees; a blend refits both and stores an <see cref="EnsembleModel"/>).</item>
/// <item>Both the fitted version and a plain baseline (one-hot categoricals and standardised numerics, fixed L2, threshold picked on the training part) are scored on the 30% through the renewal-risk agent itself.</item>
/// </list>
/// </summary>
public static class RenewalRiskFitter
{
    public const string Protocol =
        "stratified 70/30 hold-out (seeded shuffle per class); features and tree bins built on the 70%; 5-fold stratified CV inside the 70% picks the model (logistic feature set and L2, gradient-boosted tree setting with its number of trees by early stopping in the folds, or a blend averaging the best logistic and best trees logits) by out-of-fold log-loss and the threshold by out-of-fold F1; refit on the 70%; figures on the 30%";

    /// <summary>What a timeline set adds to <see cref="Protocol"/>: the threshold and estimate are on the replay's score.</summary>
    public const string TimelineProtocol =
        "; timeline cases: the model learns on each customer as of the cutoff, but the threshold and the out-of-fold figures are on the score the replay gives a case, its highest assessment over the live turns up to the cutoff (each fold's model replaying the fold), and the figures on the 30% are replayed likewise";

    private const int WeightDecimals = 6;

    public static FitResult Fit(CaseSet cases, FitOptions options)
    {
        var all = cases.Cases;
        var labels = all.Select(c => c.Label).ToArray();
        if (labels.Count(l => l) < options.Folds * 2 || labels.Count(l => !l) < options.Folds * 2)
            throw new ArgumentException($"Case set '{cases.Name}' needs at least {options.Folds * 2} positive and {options.Folds * 2} negative cases to fit.", nameof(cases));

        var (trainIndex, testIndex) = StratifiedSplit.HoldOut(labels, options.TestFraction, options.Seed);
        var train = trainIndex.Select(i => all[i]).ToArray();
        var test = testIndex.Select(i => all[i]).ToArray();
        var trainLabels = train.Select(c => c.Label).ToArray();
        var trainSnapshots = train.Select(c => c.Snapshot).ToArray();
        var folds = StratifiedSplit.Folds(trainLabels, options.Folds, options.Seed + 1);

        var candidates = new List<FitCandidate>();
        // One step per logistic (feature set, L2) and per trees candidate scored out of fold, one for the refit and baseline.
        var steps = new FitSteps(options.Progress, options.FeatureCandidates.Count * options.L2Strengths.Count + options.TreeCandidates.Count + 1);
        Scored? best = null, bestLinear = null, bestTrees = null;
        void Consider(FitCandidate candidate, double[] logits, Func<RiskModel> refit, Func<int[], RiskModel> fitOn)
        {
            candidates.Add(candidate);
            var scored = new Scored(candidate, logits, Probabilities(logits), refit, fitOn);
            if (best is null || candidate.LogLoss < best.Score.LogLoss)
                best = scored;
            if (candidate.Type == LinearModel.TypeName && (bestLinear is null || candidate.LogLoss < bestLinear.Score.LogLoss))
                bestLinear = scored;
            if (candidate.Type == TreeModel.TypeName && (bestTrees is null || candidate.LogLoss < bestTrees.Score.LogLoss))
                bestTrees = scored;
        }
        FitMetrics OutOfFold(double[] logits)
        {
            var oof = Probabilities(logits);
            return FitScoring.Measure(oof, trainLabels, FitScoring.BestF1Threshold(oof, trainLabels));
        }

        foreach (var features in options.FeatureCandidates)
        {
            var template = FeatureRecipe.Build(train, features);
            var design = Design.Encode(template, trainSnapshots);
            foreach (var (lambda, logits) in CrossValidate(design, trainLabels, folds, options))
            {
                var m = OutOfFold(logits);
                Consider(new FitCandidate(features.Name, template.Width, lambda, m.LogLoss, m.RocAuc, m.F1), logits,
                    () => FitModel(template, design, trainLabels, lambda),
                    rows => FitModel(template, design.Subset(rows), rows.Select(i => trainLabels[i]).ToArray(), lambda));
                steps.Step();
            }
        }
        if (options.TreeCandidates.Count > 0)
        {
            var inputs = TreeInputs.Build(trainSnapshots, options.TreeFeatures);
            var x = inputs.Encode(trainSnapshots);
            foreach (var settings in options.TreeCandidates)
            {
                var boosting = new GradientBoosting(inputs, x, trainLabels, settings);
                var (rounds, logits) = CrossValidateTrees(boosting, trainLabels, folds, options.Folds, settings);
                var m = OutOfFold(logits);
                Consider(new FitCandidate(settings.Name, inputs.Count, settings.L2, m.LogLoss, m.RocAuc, m.F1, TreeModel.TypeName, rounds), logits, () =>
                {
                    var rows = Enumerable.Range(0, trainLabels.Length).ToArray();
                    return boosting.ToModel(boosting.BaseScore(rows), boosting.Fit(rows, rounds), WeightDecimals);
                }, rows => boosting.ToModel(boosting.BaseScore(rows), boosting.Fit(rows, rounds), WeightDecimals));
                steps.Step();
            }
        }
        // Blends of the best logistic and the best trees candidate, scored out of fold like any other:
        // each fold's blended logit is the weighted average of the two models fitted without that fold.
        if (bestLinear is { } linear && bestTrees is { } trees)
            foreach (var w in options.BlendWeights)
            {
                var logits = linear.Logits.Select((l, i) => Math.Round(w * l + (1 - w) * trees.Logits[i], 10)).ToArray();
                var m = OutOfFold(logits);
                var name = FormattableString.Invariant($"{w:0.##} × {linear.Score.Features} (L2 {linear.Score.L2}) + {1 - w:0.##} × {trees.Score.Features} ({trees.Score.Trees} trees)");
                Consider(new FitCandidate(name, linear.Score.Inputs + trees.Score.Inputs, linear.Score.L2, m.LogLoss, m.RocAuc, m.F1, EnsembleModel.TypeName, trees.Score.Trees), logits,
                    () => new EnsembleModel([(w, linear.Refit()), (Math.Round(1 - w, 6), trees.Refit())]),
                    rows => new EnsembleModel([(w, linear.FitOn(rows)), (Math.Round(1 - w, 6), trees.FitOn(rows))]));
            }
        if (best is null)
            throw new ArgumentException("No candidate to fit: give at least one feature set or tree setting.", nameof(options));
        var chosen = best;
        var baseManifest = options.Base ?? new RenewalRiskKind().BuiltIn;
        var version = options.Version ?? NextMinor(baseManifest.Version);
        // A timeline case is judged by the replay as the live turns judge it: the highest of its assessments up to the cutoff
        // (ReplayEngine), not once at the cutoff where the model learns. So on a timeline set the threshold, and the out-of-fold
        // estimate, are chosen on that score: each fold's model (the chosen candidate fitted without the fold) replays the fold.
        var timeline = all.Any(c => c.Timeline is not null);
        var oof = timeline
            ? ReplayedOutOfFold(train, folds, options.Folds, chosen.FitOn, m => ToManifest(baseManifest, version, m, 0.5, ""), steps)
            : chosen.Oof;
        var threshold = FitScoring.BestF1Threshold(oof, trainLabels);
        var validation = FitScoring.Measure(oof, trainLabels, threshold);

        var fitted = chosen.Refit();
        var what = chosen.Score.Type switch
        {
            TreeModel.TypeName => FormattableString.Invariant($"gradient-boosted trees {chosen.Score.Features}: {chosen.Score.Trees} trees, leaf L2 {chosen.Score.L2}"),
            EnsembleModel.TypeName => FormattableString.Invariant($"ensemble, logits averaged: {chosen.Score.Features}"),
            _ => FormattableString.Invariant($"logistic, {chosen.Score.Features} features, L2 {chosen.Score.L2}"),
        };
        var manifest = ToManifest(baseManifest, version, fitted, threshold,
            $"Fitted renewal-risk model ({what}) on case set {cases.Name} ({cases.Hash}), {train.Length} training cases; {Protocol}{(timeline ? TimelineProtocol : "")}.");

        var plain = FeatureRecipe.Build(train, FeatureOptions.Plain);
        var baselineModel = FitModel(plain, Design.Encode(plain, trainSnapshots), trainLabels, options.BaselineL2);
        var baselineTrainScores = timeline
            ? Replayed(ToManifest(baseManifest, version + "-baseline", baselineModel, 0.5, ""), train, steps)
            : Score(baselineModel, trainSnapshots);
        var baselineManifest = ToManifest(baseManifest, version + "-baseline", baselineModel, FitScoring.BestF1Threshold(baselineTrainScores, trainLabels),
            $"Plain baseline (one-hot categoricals, standardised numerics, L2 {options.BaselineL2.ToString(CultureInfo.InvariantCulture)}, threshold on the training part) on case set {cases.Name} ({cases.Hash}).");

        var result = new FitResult(manifest, MeasureAgent(manifest, test, timeline, steps), MeasureAgent(baselineManifest, test, timeline, steps))
        {
            BaselineManifest = baselineManifest,
            Validation = validation,
            CaseSetName = cases.Name,
            CaseSetHash = cases.Hash,
            TrainCases = train.Length,
            TestCases = test.Length,
            ModelType = chosen.Score.Type,
            Features = chosen.Score.Features,
            L2 = chosen.Score.L2,
            Trees = chosen.Score.Trees,
            Candidates = candidates,
            Protocol = timeline ? Protocol + TimelineProtocol : Protocol,
        };
        steps.Step();
        return result;
    }

    /// <summary>Out-of-fold logits per L2 strength; strongest first, each fold warm-started from the previous strength.</summary>
    private static IEnumerable<(double Lambda, double[] Logits)> CrossValidate(Design design, bool[] labels, int[] folds, FitOptions options)
    {
        var k = options.Folds;
        var parts = Enumerable.Range(0, k).Select(f => (
            Train: Enumerable.Range(0, labels.Length).Where(i => folds[i] != f).ToArray(),
            Held: Enumerable.Range(0, labels.Length).Where(i => folds[i] == f).ToArray())).ToArray();
        var fits = new (double Intercept, double[] Weights)?[k];
        foreach (var lambda in options.L2Strengths.OrderDescending())
        {
            var oof = new double[labels.Length];
            // Folds are independent, so running them in parallel changes nothing in the result.
            Parallel.For(0, k, f =>
            {
                var (trainRows, held) = parts[f];
                fits[f] = LogisticRegression.Fit(design.Subset(trainRows), trainRows.Select(i => labels[i]).ToArray(), lambda, fits[f]);
                var (b, w) = fits[f]!.Value;
                foreach (var i in held)
                    oof[i] = design.Logit(i, b, w);
            });
            yield return (lambda, oof);
        }
    }

    /// <summary>
    /// Early stopping inside the folds, as xgboost's cv: the folds boost in step, and the number of trees
    /// with the lowest summed held-out log-loss is chosen once it has not improved for
    /// <see cref="TreeOptions.EarlyStoppingRounds"/> rounds (or at the maximum); the out-of-fold logits are those at that number.
    /// </summary>
    private static (int Rounds, double[] Logits) CrossValidateTrees(GradientBoosting boosting, bool[] labels, int[] folds, int k, TreeOptions settings)
    {
        var held = new int[k][];
        var rounds = new IEnumerator<double[]>[k];
        for (var f = 0; f < k; f++)
        {
            var fold = f;
            held[f] = Enumerable.Range(0, labels.Length).Where(i => folds[i] == fold).ToArray();
            rounds[f] = boosting.Rounds(Enumerable.Range(0, labels.Length).Where(i => folds[i] != fold).ToArray(), [], held[f]).GetEnumerator();
        }
        var oof = new double[labels.Length];
        var bestRounds = 0;
        var bestLoss = double.PositiveInfinity;
        for (var m = 1; m <= settings.MaxTrees && m - bestRounds <= settings.EarlyStoppingRounds; m++)
        {
            // Folds are independent, so stepping them in parallel changes nothing in the result.
            Parallel.For(0, k, f => rounds[f].MoveNext());
            double loss = 0;
            for (var f = 0; f < k; f++)
                for (var j = 0; j < held[f].Length; j++)
                {
                    var p = Math.Clamp(LogisticRegression.Sigmoid(rounds[f].Current[j]), 1e-6, 1 - 1e-6);
                    loss -= labels[held[f][j]] ? Math.Log(p) : Math.Log(1 - p);
                }
            if (loss < bestLoss - 1e-9)
            {
                bestLoss = loss;
                bestRounds = m;
                for (var f = 0; f < k; f++)
                    for (var j = 0; j < held[f].Length; j++)
                        oof[held[f][j]] = rounds[f].Current[j];
            }
        }
        foreach (var r in rounds)
            r.Dispose();
        return (bestRounds, oof);
    }

    /// <summary>A candidate scored out of fold: <see cref="Refit"/> fits it on the whole training part, <see cref="FitOn"/> on some of its rows.</summary>
    private sealed record Scored(FitCandidate Score, double[] Logits, double[] Oof, Func<RiskModel> Refit, Func<int[], RiskModel> FitOn);

    /// <summary>
    /// The out-of-fold score of each training case as the replay computes it: for each fold, the chosen candidate fitted on the
    /// other folds, as a version (<paramref name="manifest"/>), replays the fold's cases through the production path
    /// (<see cref="ReplayEngine"/>: a timeline case's highest assessment over its live turns up to the cutoff, 0 without a turn).
    /// </summary>
    private static double[] ReplayedOutOfFold(Case[] train, int[] folds, int k, Func<int[], RiskModel> fitOn, Func<RiskModel, AgentManifest> manifest, FitSteps steps)
    {
        var oof = new double[train.Length];
        for (var f = 0; f < k; f++)
        {
            var fold = f;
            var rows = Enumerable.Range(0, train.Length).Where(i => folds[i] != fold).ToArray();
            var held = Enumerable.Range(0, train.Length).Where(i => folds[i] == fold).ToArray();
            var scores = Replayed(manifest(fitOn(rows)), held.Select(i => train[i]).ToArray(), steps);
            for (var j = 0; j < held.Length; j++)
                oof[held[j]] = scores[j];
        }
        return oof;
    }

    /// <summary>
    /// Each case's score as <c>evaluate</c> computes it, through <see cref="ReplayEngine"/> with the version built from
    /// <paramref name="manifest"/>. The fit's progress is polled as cases are done, so a cancelled fit stops here too.
    /// </summary>
    private static double[] Replayed(AgentManifest manifest, IReadOnlyList<Case> cases, FitSteps steps)
    {
        var scored = ReplayEngine.Replay(new RenewalRiskKind().Create(manifest), cases,
            new ReplayOptions { PerCaseTimeout = TimeSpan.FromSeconds(30), Progress = steps });
        return scored.Select(s => s.IsError
            ? throw new InvalidOperationException($"The fitted model could not be replayed on case {s.CaseId}: {s.Why}")
            : s.Score).ToArray();
    }

    /// <summary>Scores as the agent reports them (rounded to 4 decimals).</summary>
    private static double[] Probabilities(double[] logits) => logits.Select(l => Math.Round(LogisticRegression.Sigmoid(l), 4)).ToArray();

    private static LinearModel FitModel(LinearModel template, Design design, bool[] labels, double lambda)
    {
        var (intercept, weights) = LogisticRegression.Fit(design, labels, lambda);
        // Rounded so the manifest reads well; scoring always uses the stored (rounded) weights.
        return template.WithWeights(Math.Round(intercept, WeightDecimals), weights.Select(w => Math.Round(w, WeightDecimals)).ToArray());
    }

    private static double[] Score(LinearModel model, IReadOnlyList<CustomerSnapshot> snapshots) =>
        snapshots.Select(s => Math.Round(LinearModel.Sigmoid(model.Logit(s)), 4)).ToArray();

    /// <summary>Scores through the renewal-risk agent built from the manifest: the production path, not a copy.</summary>
    private static FitMetrics MeasureAgent(AgentManifest manifest, IReadOnlyList<Case> cases, bool timeline, FitSteps steps)
    {
        var agent = new RenewalRiskKind().Create(manifest);
        // A timeline case as the replay judges it (its highest assessment over the live turns), so the figures are the report's.
        var scores = timeline ? Replayed(manifest, cases, steps) : cases.Select(c => agent.Assess(c.Snapshot).Score).ToArray();
        return FitScoring.Measure(scores, cases.Select(c => c.Label).ToArray(), manifest.Threshold);
    }

    private static AgentManifest ToManifest(AgentManifest based, string version, RiskModel model, double threshold, string description)
    {
        var parameters = based.Parameters.Where(p => p.Key == "rescoreRise").ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        parameters["model"] = model.ToJson();
        return based with
        {
            Version = version,
            Kind = RenewalRiskKind.KindName,
            Reads = [.. model.Fields],
            Threshold = threshold,
            Description = description,
            Parameters = parameters,
        };
    }

    private static string NextMinor(string version)
    {
        var core = version.Split('-', 2)[0].Split('.');
        return core.Length == 3 && int.TryParse(core[0], CultureInfo.InvariantCulture, out var major) && int.TryParse(core[1], CultureInfo.InvariantCulture, out var minor)
            ? $"{major}.{minor + 1}.0"
            : "1.1.0";
    }

    /// <summary>The model stored in a fitted manifest.</summary>
    public static RiskModel ModelOf(AgentManifest manifest) =>
        manifest.Parameters.TryGetValue("model", out var json) ? RiskModel.Read(json) : throw new ArgumentException("The manifest has no parameters.model.", nameof(manifest));
}
