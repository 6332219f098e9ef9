using System.Text.Json;
using AgentCrm.Sandbox.Metrics;
using AgentCrm.Sandbox.Reports;
using AgentCrm.Sandbox.Tests.Metrics;

namespace AgentCrm.Sandbox.Tests.Reports;

public sealed class SandboxReportTests
{
    [Fact]
    public void Build_CasesBlockedByConsent_AreLeftOutOfEveryMetric_AndCountedApart()
    {
        var plain = ReportFixtures.SmallCaseList();
        // The same cases plus three the customer's consent kept the agent from (no score, no latency): one positive, two negative.
        var blocked = plain.Concat(
        [
            new ScoredCase("b1", true, 0, false, "two-year", 0, false) { Blocked = true },
            new ScoredCase("b2", false, 0, false, "two-year", 0, false) { Blocked = true },
            new ScoredCase("b3", false, 0, false, null, 0, false) { Blocked = true },
        ]).ToList();

        var without = ReportFixtures.Build(plain);
        var with = ReportFixtures.Build(blocked);

        Assert.Equal(13, with.Cases);
        Assert.Equal(3, with.BlockedByConsent);
        Assert.Equal(without.Scored, with.Scored);
        Assert.Equal(without.Confusion, with.Confusion);
        Assert.Equal(without.RocAuc, with.RocAuc);
        Assert.Equal(without.PrAuc, with.PrAuc);
        Assert.Equal(without.Brier, with.Brier);
        Assert.Equal(without.Calibration, with.Calibration);
        Assert.Equal(without.LatencyMs, with.LatencyMs);
        // At threshold 0 every scored case fires; the blocked ones never do (they had no score).
        Assert.Equal(JsonSerializer.Serialize(without.Sweep), JsonSerializer.Serialize(with.Sweep));
        Assert.Equal(without.PerSegment["two-year"].Confusion, with.PerSegment["two-year"].Confusion);
        var gated = AgentCrm.Sandbox.Gate.GateEvaluator.Apply(with, new AgentCrm.Agents.GateCriteria { MinCases = 10, MinPrecision = 0, MinRecall = 0 }, ReportFixtures.Hash);
        Assert.Contains(gated.Unmet, u => u.Contains("3 blocked by consent", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_SegmentColumnOfManyValues_KeepsTheLargestAndMergesTheRestIntoOneRow()
    {
        // 60 segments: "big" with 10 cases, "mid-00".."mid-09" with 3, and 49 singletons "one-00".."one-48".
        var cases = new List<ScoredCase>();
        for (var i = 0; i < 10; i++)
            cases.Add(new ScoredCase($"b{i}", i % 2 == 0, 0.9, true, "big", 1, false));
        for (var s = 0; s < 10; s++)
            for (var i = 0; i < 3; i++)
                cases.Add(new ScoredCase($"m{s}-{i}", false, 0.1, false, $"mid-{s:00}", 1, false));
        for (var s = 0; s < 49; s++)
            cases.Add(new ScoredCase($"o{s}", true, 0.1, false, $"one-{s:00}", 1, s == 0));

        var report = ReportFixtures.Build(cases);

        Assert.Equal(SandboxReport.MaxSegments, report.PerSegment.Count);
        Assert.Equal(new SegmentReport(10, 0, new ConfusionMatrix(5, 5, 0, 0)), report.PerSegment["big"]);
        Assert.Equal(3, report.PerSegment["mid-09"].Cases);
        // 1 + 10 + 38 singletons keep their rows (ties by name); the last 11 are one row of 11 cases.
        Assert.True(report.PerSegment.ContainsKey("one-37"));
        Assert.False(report.PerSegment.ContainsKey("one-38"));
        Assert.Equal(new SegmentReport(11, 0, new ConfusionMatrix(0, 0, 11, 0)), report.PerSegment["(other: 11 segments)"]);
        Assert.Equal(cases.Count, report.PerSegment.Values.Sum(s => s.Cases));
    }

    [Fact]
    public void Build_SmallCaseList_CountsMetricsAndSegments()
    {
        var report = ReportFixtures.Build(ReportFixtures.SmallCaseList());

        Assert.Equal(10, report.Cases);
        Assert.Equal(1, report.Errors);
        Assert.Equal(9, report.Scored);
        Assert.Equal(new ConfusionMatrix(3, 1, 1, 4), report.Confusion);
        Assert.Equal(0.75, report.Precision!.Value, 12);
        Assert.Equal(0.75, report.Recall!.Value, 12);
        Assert.Equal(0.75, report.F1!.Value, 12);
        Assert.Equal(7.0 / 9, report.Accuracy!.Value, 12);
        Assert.Equal(WilsonInterval.Of(3, 4), report.PrecisionInterval);
        // Positives 0.9, 0.8, 0.6, 0.3 vs negatives 0.7, 0.4, 0.2, 0.1, 0.1: 20 pairs, the 0.3 loses to
        // 0.7 and 0.4, the 0.6 loses to 0.7 → 17 / 20.
        Assert.Equal(0.85, report.RocAuc!.Value, 12);
        Assert.NotNull(report.PrAuc);
        Assert.NotNull(report.Brier);
        Assert.Equal(101, report.Sweep.Count);
        Assert.Equal(10, report.Calibration.Count);
        Assert.Equal(9, report.RocCurve.Count); // the origin and 8 distinct scores (0.1 twice; the error left out)
        Assert.Equal(["", "month-to-month", "two-year"], report.PerSegment.Keys);
        Assert.Equal(new SegmentReport(5, 1, new ConfusionMatrix(2, 1, 1, 0)), report.PerSegment["month-to-month"]);
        Assert.Equal(new SegmentReport(4, 0, new ConfusionMatrix(1, 0, 0, 3)), report.PerSegment["two-year"]);
        Assert.Equal(new SegmentReport(1, 0, new ConfusionMatrix(0, 0, 0, 1)), report.PerSegment[SandboxReport.NoSegment]);
        // Latencies 1…9 and 100 (the error): p50 → rank 5 = 5, p95 and p99 → rank 10 = 100.
        Assert.Equal(new LatencySummary(5, 100, 100), report.LatencyMs);
        Assert.False(report.Passed);
        Assert.Empty(report.Unmet);
        Assert.Equal(ReportFixtures.CreatedAt, report.CreatedAt);
    }

    /// <summary>Segments are the column's values as written: a real "(none)" was merged with the blank cells, which were keyed "(none)".</summary>
    [Fact]
    public void Build_ARealSegmentNamedNone_KeepsItsRow_ApartFromBlankCells()
    {
        List<ScoredCase> cases =
        [
            CaseLists.Of(true, 0.9, segment: "(none)", id: "a"),
            CaseLists.Of(false, 0.1, segment: "(none)", id: "b"),
            CaseLists.Of(false, 0.7, id: "c"),
            CaseLists.Of(true, 0.8, segment: "basic", id: "d"),
        ];

        var report = ReportFixtures.Build(cases);

        Assert.Equal([SandboxReport.NoSegment, "(none)", "basic"], report.PerSegment.Keys);
        Assert.Equal(new SegmentReport(2, 0, new ConfusionMatrix(1, 0, 0, 1)), report.PerSegment["(none)"]);
        Assert.Equal(new SegmentReport(1, 0, new ConfusionMatrix(0, 1, 0, 0)), report.PerSegment[SandboxReport.NoSegment]);
        var json = System.Text.Json.JsonDocument.Parse(SandboxReportJson.Serialize(report)).RootElement.GetProperty("perSegment");
        Assert.Equal(2, json.GetProperty("(none)").GetProperty("cases").GetInt32());
        Assert.Equal(1, json.GetProperty("").GetProperty("cases").GetInt32());
        var text = ReportText.Render(report);
        Assert.Matches(@"(?m)^\(blank\) +1 ", text);
        Assert.Matches(@"(?m)^\(none\) +2 ", text);
        Assert.Contains("<td><em>(blank)</em></td>", HtmlReport.Render(report), StringComparison.Ordinal);
    }

    [Fact]
    public void Build_NoSegments_PerSegmentEmpty()
    {
        var report = ReportFixtures.Build(CaseLists.WithCounts(2, 1, 1, 2));

        Assert.Empty(report.PerSegment);
    }

    [Fact]
    public void Build_NoCases_UndefinedMetricsAreNull()
    {
        var report = ReportFixtures.Build([]);

        Assert.Null(report.RocAuc);
        Assert.Null(report.PrAuc);
        Assert.Null(report.Brier);
        Assert.Null(report.BestF1Threshold);
        Assert.Null(report.LatencyMs);
        Assert.Empty(report.RocCurve);
        Assert.DoesNotContain("NaN", SandboxReportJson.Serialize(report), StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_Report_TopLevelNumbersScriptsRead()
    {
        var report = ReportFixtures.Build(ReportFixtures.SmallCaseList());

        using var json = JsonDocument.Parse(SandboxReportJson.Serialize(report));
        var root = json.RootElement;

        Assert.Equal(0.75, root.GetProperty("precision").GetDouble(), 12);
        Assert.Equal(0.75, root.GetProperty("recall").GetDouble(), 12);
        Assert.Equal(0.75, root.GetProperty("f1").GetDouble(), 12);
        Assert.Equal(0.85, root.GetProperty("rocAuc").GetDouble(), 12);
        Assert.Equal(JsonValueKind.Number, root.GetProperty("prAuc").ValueKind);
        Assert.Equal(10, root.GetProperty("cases").GetInt32());
        Assert.Equal(1, root.GetProperty("errors").GetInt32());
        Assert.Equal(JsonValueKind.False, root.GetProperty("passed").ValueKind);
        Assert.Equal(JsonValueKind.Array, root.GetProperty("unmet").ValueKind);
        Assert.Equal(report.PrecisionInterval.Lower, root.GetProperty("precisionInterval").GetProperty("lower").GetDouble());
        Assert.Equal(3, root.GetProperty("confusion").GetProperty("truePositives").GetInt32());
        Assert.Equal(2.0 / 3, root.GetProperty("perSegment").GetProperty("month-to-month").GetProperty("recall").GetDouble(), 12);
        Assert.Equal(100, root.GetProperty("latencyMs").GetProperty("p99").GetDouble());
        Assert.Equal("sha256:1111", root.GetProperty("contentHash").GetString());
        Assert.Equal("sha256:cases", root.GetProperty("caseSetHash").GetString());
    }

    [Fact]
    public void Serialize_UndefinedAuc_WritesNull()
    {
        var report = ReportFixtures.Build(CaseLists.WithCounts(0, 2, 0, 3));

        using var json = JsonDocument.Parse(SandboxReportJson.Serialize(report));

        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("rocAuc").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("prAuc").ValueKind);
    }

    [Fact]
    public void Deserialize_SerializedReport_RoundTrips()
    {
        var report = ReportFixtures.Build(ReportFixtures.SmallCaseList()) with { Passed = true };
        var json = SandboxReportJson.Serialize(report);

        var back = SandboxReportJson.Deserialize(json);

        Assert.Equal(json, SandboxReportJson.Serialize(back));
        Assert.Equal(report.Confusion, back.Confusion);
        Assert.True(back.Passed);
    }
}
