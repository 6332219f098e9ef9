using AgentCrm.Sandbox.Metrics;

namespace AgentCrm.Sandbox.Reports;

public sealed partial record SandboxReport
{
    /// <summary>
    /// The <see cref="PerSegment"/> key of cases without a segment (a blank segment cell): the empty text, which no segment
    /// value has (cells are trimmed, blank ones are no segment), so a real value such as "(none)" keeps a row of its own.
    /// The text and HTML reports label it <see cref="NoSegmentLabel"/>.
    /// </summary>
    public const string NoSegment = "";

    /// <summary>How the text and HTML reports show the <see cref="NoSegment"/> row.</summary>
    public const string NoSegmentLabel = "(blank)";

    /// <summary>Most rows the per-segment breakdown has; past it the smallest segments are merged into one "(other: N segments)" row.</summary>
    public const int MaxSegments = 50;

    /// <summary>How many errored cases <see cref="ErroredCases"/> lists.</summary>
    public const int MaxErroredCases = 20;

    /// <summary>Computes every metric from the replayed cases; the report is not yet gated.</summary>
    public static SandboxReport Build(
        IReadOnlyList<ScoredCase> cases,
        string agentId,
        string version,
        string contentHash,
        string caseSet,
        string caseSetHash,
        double threshold,
        DateTimeOffset createdAt)
    {
        ArgumentNullException.ThrowIfNull(cases);
        var sweep = ThresholdSweep.Run(cases);
        return new SandboxReport
        {
            AgentId = agentId,
            Version = version,
            ContentHash = contentHash,
            CaseSet = caseSet,
            CaseSetHash = caseSetHash,
            Threshold = threshold,
            Cases = cases.Count,
            Errors = cases.Count(c => c.IsError),
            ErroredCases = [.. cases.Where(c => c.IsError).Take(MaxErroredCases).Select(c => new ErroredCase(c.CaseId, c.Why!))],
            BlockedByConsent = cases.Count(c => c.Blocked),
            Confusion = ConfusionMatrix.From(cases),
            RocAuc = RankingMetrics.RocAuc(cases),
            PrAuc = RankingMetrics.AveragePrecision(cases),
            Brier = Metrics.Calibration.BrierScore(cases),
            Calibration = Metrics.Calibration.Table(cases),
            Sweep = sweep,
            BestF1Threshold = ThresholdSweep.BestF1Threshold(sweep),
            RocCurve = CurveThinning.Thin(RankingMetrics.RocCurve(cases), p => (p.FalsePositiveRate, p.TruePositiveRate)),
            PrCurve = CurveThinning.Thin(RankingMetrics.PrecisionRecallCurve(cases), p => (p.Recall, p.Precision)),
            PerSegment = Segments(cases),
            LatencyMs = LatencySummary.From(cases),
            CreatedAt = createdAt,
        };
    }

    private static SortedDictionary<string, SegmentReport> Segments(IReadOnlyList<ScoredCase> cases)
    {
        var segments = new SortedDictionary<string, SegmentReport>(StringComparer.Ordinal);
        if (cases.All(c => string.IsNullOrEmpty(c.Segment)))
        {
            return segments;
        }

        // A segment column of many values (a customer id, an amount) would list thousands of rows: the largest keep
        // their own, the rest are one row that says how many it holds.
        var groups = cases.GroupBy(c => string.IsNullOrEmpty(c.Segment) ? NoSegment : c.Segment, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        var own = groups.Count > MaxSegments ? MaxSegments - 1 : groups.Count;
        foreach (var group in groups.Take(own))
        {
            segments[group.Key] = new SegmentReport(group.Count(), group.Count(c => c.IsError), ConfusionMatrix.From(group));
        }

        if (groups.Count > own)
        {
            var rest = groups.Skip(own).SelectMany(g => g).ToList();
            segments[$"(other: {groups.Count - own} segments)"] = new SegmentReport(rest.Count, rest.Count(c => c.IsError), ConfusionMatrix.From(rest));
        }

        return segments;
    }
}
