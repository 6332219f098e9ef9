using AgentCrm.Agents.Text;

namespace AgentCrm.Sandbox.Fitting.Text;

/// <summary>What a text fit searches: the terms (fixed), and by cross-validation the L2 strength and the weight of positives.</summary>
public sealed record TextFitOptions
{
    /// <summary>The terms counted; null: the target's own (<see cref="TextTarget.Featurizer"/>, else <see cref="TextFeaturizer.Default"/>).</summary>
    public TextFeaturizer? Featurizer { get; init; }

    /// <summary>A term must occur in at least this many training texts.</summary>
    public int MinDf { get; init; } = 2;

    /// <summary>When cases are grouped (documents), a term must occur in at least this many groups: one company's name does not generalise.</summary>
    public int MinGroups { get; init; } = 3;

    /// <summary>Most word terms (uni- and bigrams) kept, by document frequency.</summary>
    public int MaxWords { get; init; } = 12000;

    /// <summary>Most character n-grams kept, by document frequency.</summary>
    public int MaxChars { get; init; } = 12000;

    /// <summary>L2 strengths tried (λ in Σ log-loss + λ/2·‖w‖²).</summary>
    public IReadOnlyList<double> L2Strengths { get; init; } = [0.03, 0.1, 0.3];

    /// <summary>Weights of positive cases tried (rare classes gain recall from more than 1).</summary>
    public IReadOnlyList<double> PositiveWeights { get; init; } = [1, 2];

    /// <summary>The ensembles of the primary class with the most likely category tried out of fold (kinds that can ensemble): mode and the primary logit's share.</summary>
    public IReadOnlyList<(AgentCrm.Agents.Compliance.ComplianceEnsemble Mode, double UnfairShare)> Ensembles { get; init; } =
        [(AgentCrm.Agents.Compliance.ComplianceEnsemble.Probability, 0.5), (AgentCrm.Agents.Compliance.ComplianceEnsemble.Logit, 0.35),
         (AgentCrm.Agents.Compliance.ComplianceEnsemble.Logit, 0.5), (AgentCrm.Agents.Compliance.ComplianceEnsemble.Logit, 0.65)];

    /// <summary>Whether the same terms without the lexicon and shape cues compete by out-of-fold F1 (the cues are kept only if they win).</summary>
    public bool TryWithoutCues { get; init; } = true;

    /// <summary>When above 0, category classes are refitted on the terms whose weight reaches this (the rest stored sparsely as zero). Off: on CLAUDETTE even 0.05 cost most of the held-out F1 (the blend is sensitive to the categories' calibration).</summary>
    public double PruneCategoryWeights { get; init; }

    /// <summary>The baseline measured in the same run: word uni- and bigrams only, this L2, positives unweighted.</summary>
    public double BaselineL2 { get; init; } = 1;
}

/// <summary>One named label's figures on the held-out part (e.g. a clause category), at its class threshold.</summary>
public sealed record LabelMetrics(string Label, int Positives, int TruePositives, int FalsePositives, double Threshold, double Precision, double Recall, double F1)
{
    /// <summary>The figures of one label from what fired and what was true, case by case.</summary>
    public static LabelMetrics Of(string label, IReadOnlyList<bool> fired, IReadOnlyList<bool> truth, double threshold)
    {
        int tp = 0, fp = 0, fn = 0;
        for (var i = 0; i < fired.Count; i++)
        {
            if (fired[i] && truth[i]) tp++;
            else if (fired[i]) fp++;
            else if (truth[i]) fn++;
        }
        var precision = tp + fp == 0 ? 0 : (double)tp / (tp + fp);
        var recall = tp + fn == 0 ? 0 : (double)tp / (tp + fn);
        return new LabelMetrics(label, tp + fn, tp, fp, threshold, Math.Round(precision, 4), Math.Round(recall, 4), tp == 0 ? 0 : Math.Round(2.0 * tp / (2.0 * tp + fp + fn), 4));
    }
}
