using System.Text.Json.Serialization;
using AgentCrm.Sandbox.Metrics;

namespace AgentCrm.Sandbox.Reports;

/// <summary>
/// What replaying one agent version over one case set showed. <c>precision</c>, <c>recall</c>, <c>f1</c>
/// and <c>accuracy</c> are plain numbers (scripts read them); their Wilson intervals are the
/// <c>…Interval</c> objects. Both derive from <see cref="Confusion"/>, so they cannot disagree. A rate that cannot be
/// measured is null: <c>precision</c> when nothing fired, <c>recall</c> and <c>f1</c> when no scored case is positive, all four
/// when no case was scored.
/// </summary>
public sealed partial record SandboxReport
{
    public required string AgentId { get; init; }

    public required string Version { get; init; }

    public required string ContentHash { get; init; }

    public required string CaseSet { get; init; }

    public required string CaseSetHash { get; init; }

    /// <summary>The threshold the agent fired at during the replay.</summary>
    public required double Threshold { get; init; }

    /// <summary>Every replayed case, errors included.</summary>
    public required int Cases { get; init; }

    /// <summary>Cases where the agent threw, timed out or returned a non-finite score.</summary>
    public required int Errors { get; init; }

    /// <summary>The first <see cref="MaxErroredCases"/> errored cases in case order, each with why, for diagnosis; empty without errors.</summary>
    public IReadOnlyList<ErroredCase> ErroredCases { get; init; } = [];

    /// <summary>Cases not assessed because the customer's consent withholds a field the agent requires.</summary>
    public int BlockedByConsent { get; init; }

    public int Scored => Cases - Errors - BlockedByConsent;

    /// <summary>Null when nothing fired (<see cref="ConfusionMatrix.PrecisionUndefined"/>); its interval is then the whole (0, 1).</summary>
    public double? Precision => Confusion.PrecisionUndefined is null ? Confusion.Precision.Value : null;

    /// <summary>Null when the scored cases hold no positive (<see cref="ConfusionMatrix.RecallUndefined"/>); its interval is then the whole (0, 1).</summary>
    public double? Recall => Confusion.RecallUndefined is null ? Confusion.Recall.Value : null;

    /// <summary>Null when recall is (no positive cases).</summary>
    public double? F1 => Confusion.RecallUndefined is null ? Confusion.F1.Value : null;

    /// <summary>Null when no case was scored (<see cref="ConfusionMatrix.AccuracyUndefined"/>); its interval is then the whole (0, 1).</summary>
    public double? Accuracy => Confusion.AccuracyUndefined is null ? Confusion.Accuracy.Value : null;

    /// <summary>Null when the scored cases lack positives or negatives.</summary>
    public required double? RocAuc { get; init; }

    /// <summary>Average precision; null when the scored cases lack positives.</summary>
    public required double? PrAuc { get; init; }

    public required double? Brier { get; init; }

    public required double? BestF1Threshold { get; init; }

    /// <summary>Set by <see cref="Gate.GateEvaluator.Apply(SandboxReport, AgentCrm.Agents.GateCriteria, string)"/>; false with no <see cref="Unmet"/> means not yet gated.</summary>
    public bool Passed { get; init; }

    public IReadOnlyList<string> Unmet { get; init; } = [];

    /// <summary>What the figures may overstate without failing the gate (<see cref="ReportWarnings"/>): a probable label leak, fields no live event fills; empty when none.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The criteria the report was gated by (the manifest's <c>gate</c>), so a passing report shows what it passed; null until gated, and in reports stored before it was kept.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public AgentCrm.Agents.GateCriteria? Criteria { get; init; }

    public required ConfusionMatrix Confusion { get; init; }

    public Estimate PrecisionInterval => Confusion.Precision;

    public Estimate RecallInterval => Confusion.Recall;

    public Estimate F1Interval => Confusion.F1;

    public Estimate AccuracyInterval => Confusion.Accuracy;

    /// <summary>Null when no case has a latency.</summary>
    public required LatencySummary? LatencyMs { get; init; }

    /// <summary>By segment, ordinal order; cases without a segment under <see cref="NoSegment"/>; empty when no case has one.</summary>
    public required IReadOnlyDictionary<string, SegmentReport> PerSegment { get; init; }

    public required IReadOnlyList<CalibrationBin> Calibration { get; init; }

    public required IReadOnlyList<SweepPoint> Sweep { get; init; }

    /// <summary>For drawing: thinned to points at least 0.005 apart, ends kept; empty when ROC-AUC is undefined.</summary>
    public required IReadOnlyList<RocPoint> RocCurve { get; init; }

    /// <summary>For drawing, thinned like <see cref="RocCurve"/>; empty without positives.</summary>
    public required IReadOnlyList<PrecisionRecallPoint> PrCurve { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A case the agent could not decide: its id and why (the exception's type and message, or the time-out).</summary>
public sealed record ErroredCase(string CaseId, string Reason);
