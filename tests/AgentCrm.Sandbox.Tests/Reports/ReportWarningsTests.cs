using AgentCrm.Agents;
using AgentCrm.Agents.Compliance;
using AgentCrm.Agents.RenewalRisk;
using AgentCrm.Agents.Tender;
using AgentCrm.Sandbox.Cases;
using AgentCrm.Sandbox.Reports;
using AgentCrm.Sandbox.Tests.Cases;

namespace AgentCrm.Sandbox.Tests.Reports;

public sealed class ReportWarningsTests
{
    private static Case Of(int i, bool label, params (string Field, object Value)[] fields) =>
        new($"c{i}", new CustomerSnapshot($"c{i}", DateTimeOffset.UnixEpoch, fields.ToDictionary(
            f => f.Field,
            f => f.Value is string s ? SnapshotField.Of(f.Field, s, "e") : SnapshotField.Of(f.Field, Convert.ToDouble(f.Value, System.Globalization.CultureInfo.InvariantCulture), "e"))), label, null);

    private static readonly AgentManifest Version = new RenewalRiskKind().BuiltIn with
    {
        Reads = ["tickets.open", "profile.churned", "services.internet"],
    };

    [Fact]
    public void For_ATextFieldThatCopiesTheLabel_IsAProbableLeak_AndCaseOnlyFieldsAreNamedAsLiveMissing()
    {
        var cases = Enumerable.Range(0, 100).Select(i => Of(i, i % 3 == 0,
            ("tickets.open", i % 7), ("profile.churned", i % 3 == 0 ? "Yes" : "No"), ("services.internet", i % 2 == 0 ? "fiber" : "dsl"))).ToList();

        var warnings = ReportWarnings.For(Version, cases);

        Assert.Equal(2, warnings.Count);
        Assert.StartsWith("probable label leak: profile.churned alone separates the case set's labels (single-field ROC-AUC 1.000)", warnings[0], StringComparison.Ordinal);
        Assert.StartsWith("reads 2 fields no live event fills (profile.churned, services.internet)", warnings[1], StringComparison.Ordinal);
    }

    [Fact]
    public void For_FieldsEventsFillThatSeparateNothing_WarnsOfNothing()
    {
        var cases = Enumerable.Range(0, 100).Select(i => Of(i, i % 3 == 0, ("tickets.open", i % 7))).ToList();

        Assert.Empty(ReportWarnings.For(new RenewalRiskKind().BuiltIn with { Reads = ["tickets.open"] }, cases));
    }

    [Fact]
    public void For_AnIdLikeTextField_IsNoLeak_ItsValuesHaveTooFewCasesToJudge()
    {
        // 10 positives and 10 negatives, each with its own name: a name's positive share on its own case is 0 or 1.
        var cases = Enumerable.Range(0, 20).Select(i => Of(i, i % 2 == 0, ("profile.name", $"Customer {i}"))).ToList();

        Assert.Null(ReportWarnings.SingleFieldAuc("profile.name", cases));
        Assert.DoesNotContain(ReportWarnings.For(new RenewalRiskKind().BuiltIn with { Reads = ["profile.name"] }, cases),
            w => w.StartsWith("probable label leak", StringComparison.Ordinal));
    }

    /// <summary>
    /// A code column (GSIN, product or reason codes) has many values: 21 codes of 10 cases each, the label true exactly for
    /// the codes starting N70 or D3, is a leak as 20 codes are (qa44d F1: past 20 values a text field was not judged at all).
    /// </summary>
    [Fact]
    public void For_ACodeColumnOfMoreThan20ValuesThatCopiesTheLabel_IsAProbableLeak()
    {
        string[] codes = [.. Enumerable.Range(0, 21).Select(i => (i % 3) switch { 0 => $"N70{i:00}", 1 => $"D3{i:00}", _ => $"5131{i:00}" })];
        var cases = Enumerable.Range(0, 210).Select(i => Of(i, !codes[i % 21].StartsWith('5'), ("services.gsin", codes[i % 21]))).ToList();

        var warning = Assert.Single(ReportWarnings.For(new RenewalRiskKind().BuiltIn with { Reads = ["services.gsin"] }, cases),
            w => w.StartsWith("probable label leak", StringComparison.Ordinal));

        Assert.StartsWith("probable label leak: services.gsin alone separates the case set's labels (single-field ROC-AUC 1.000); ", warning, StringComparison.Ordinal);
    }

    /// <summary>
    /// The usual shape of a code column: hundreds of codes, most of one or two cases, a few frequent. Judged on the cases of its
    /// codes of at least 10 cases, it separates the labels, and the warning says what it was judged on.
    /// </summary>
    [Fact]
    public void For_ACodeColumnWhoseFrequentCodesCopyTheLabel_IsAProbableLeak_JudgedOnTheirCases()
    {
        // 13 codes of 15 cases (5 ICT), then 400 codes of one case each (a third ICT): 195 of 595 cases in frequent codes.
        var frequent = Enumerable.Range(0, 195).Select(i => Of(i, i % 13 < 5, ("news.description", (i % 13 < 5 ? "N70" : "5131") + (i % 13).ToString("00", System.Globalization.CultureInfo.InvariantCulture))));
        var rare = Enumerable.Range(195, 400).Select(i => Of(i, i % 3 == 0, ("news.description", (i % 3 == 0 ? "D3" : "G1") + i.ToString(System.Globalization.CultureInfo.InvariantCulture))));

        var warnings = ReportWarnings.For(new TenderDetectionKind().BuiltIn with { Reads = ["news.description"], OptionalReads = [] }, [.. frequent, .. rare]);

        Assert.Contains(warnings, w => w.StartsWith("probable label leak: news.description alone separates the case set's labels (single-field ROC-AUC 1.000, judged on the 195 of its 595 cases whose value has at least 10 cases); ", StringComparison.Ordinal));
    }

    /// <summary>
    /// Free text is nearly all unique; its few repeated lines (boilerplate, labelled alike wherever they appear) say nothing of
    /// the rest, so a field whose values of 10 cases hold less than a tenth of its cases is not judged.
    /// </summary>
    [Fact]
    public void For_FreeTextWithAFewRepeatedLines_IsNoLeak_TheyHoldTooFewOfItsCases()
    {
        var unique = Enumerable.Range(0, 300).Select(i => Of(i, i % 2 == 0, ("documents.text", $"Sentence {i} of the terms.")));
        var repeated = Enumerable.Range(300, 20).Select(i => Of(i, i % 2 == 0, ("documents.text", i % 2 == 0 ? "We may change these terms at any time." : "Privacy Policy")));

        Assert.Null(ReportWarnings.SingleFieldAuc("documents.text", [.. unique, .. repeated]));
    }

    /// <summary>
    /// The shipped case sets hold no field that copies the label (canada-tenders maps the notice text, not its GSIN codes):
    /// neither the built-in versions nor a version reading every mapped field is warned of a leak. canada-tenders' buyer
    /// (92 values) is judged now, and separates the labels no better than a buyer can.
    /// </summary>
    [Fact]
    public void For_TheShippedCaseSets_NoFieldIsAProbableLeak()
    {
        var cuad = CaseSetLoader.LoadTabular(
            Path.Combine(SampleData.Root, "sandbox", "data", "compliance", "cuad", "cuad_subset_documents.csv"),
            Path.Combine(SampleData.Root, "sandbox", "mappings", "cuad.yaml"));
        (CaseSet Set, AgentManifest BuiltIn)[] shipped =
        [
            (SampleData.Telco, new RenewalRiskKind().BuiltIn), (SampleData.Iranian, new RenewalRiskKind().BuiltIn),
            (SampleData.Claudette, new ComplianceCheckKind().BuiltIn), (SampleData.Tenders, new TenderDetectionKind().BuiltIn),
            (cuad, new ComplianceCheckKind().BuiltIn),
        ];

        foreach (var (set, builtIn) in shipped)
        {
            var mapped = set.Cases.SelectMany(c => c.Snapshot.Fields.Keys).Distinct(StringComparer.Ordinal).ToList();
            Assert.DoesNotContain(ReportWarnings.For(builtIn, set.Cases), w => w.StartsWith("probable label leak", StringComparison.Ordinal));
            Assert.DoesNotContain(ReportWarnings.For(builtIn with { Reads = mapped, OptionalReads = [] }, set.Cases), w => w.StartsWith("probable label leak", StringComparison.Ordinal));
        }
        Assert.InRange(ReportWarnings.SingleFieldAuc("news.buyer", SampleData.Tenders.Cases)!.Value.Auc, 0.7, 0.85);
    }

    [Fact]
    public void For_DaysSinceLast_WarnsItIsZeroOnEveryEventsTurn_NamingWhereItCounts()
    {
        var cases = Enumerable.Range(0, 100).Select(i => Of(i, i % 3 == 0, ("events.daysSinceLast", i % 7))).ToList();

        var onLogin = Assert.Single(ReportWarnings.For(new RenewalRiskKind().BuiltIn with { Subscribes = ["login"], Reads = ["events.daysSinceLast"] }, cases));
        Assert.StartsWith("reads events.daysSinceLast, which is 0 on every event's turn", onLogin, StringComparison.Ordinal);
        Assert.Contains("which run versions subscribed to contract, not this one", onLogin, StringComparison.Ordinal);
        var onContract = Assert.Single(ReportWarnings.For(new RenewalRiskKind().BuiltIn with { Subscribes = ["contract"], Reads = ["events.daysSinceLast"] }, cases));
        Assert.Contains("at the renewal re-scores (90, 60 and 30 days before a contract's end)", onContract, StringComparison.Ordinal);
    }

    private static Case OneValue(int i, bool label, string field, string value) =>
        new($"c{i}", new CustomerSnapshot($"c{i}", DateTimeOffset.UnixEpoch,
            new Dictionary<string, SnapshotField> { [field] = SnapshotField.Of(field, value, "e") }), label, null);

    /// <summary>
    /// A timeline set with weekly cutoffs (12 per customer) labelled by whether the customer left by the quarter's end: the
    /// built-in renewal-risk version (OptionalReads: profile.name) is warned that the customer's NAME is a probable label
    /// leak. README: "so a name or id (no value of 10 cases) is not called a leak". (rev44b M2)
    /// </summary>
    [Fact]
    public void For_ATimelineWithTwelveCutoffsPerCustomer_TheBuiltInIsNotToldTheCustomerNameIsALeak()
    {
        var events = string.Join('\n', Enumerable.Range(0, 30).Select(i =>
            $$$"""{"id":"p{{{i}}}","customerId":"c{{{i}}}","type":"profile","occurredAt":"2026-01-01T00:00:00Z","attributes":{"name":"Customer {{{i}}}"}}"""));
        var labels = "customerId,cutoff,label\n" + string.Join('\n', Enumerable.Range(0, 30).SelectMany(i => Enumerable.Range(0, 12).Select(w =>
            $"c{i},{new DateTime(2026, 3, 2).AddDays(7 * w):yyyy-MM-dd},{(i % 3 == 0 ? 1 : 0)}")));
        var set = SampleData.Timeline(events, labels);

        Assert.DoesNotContain(ReportWarnings.For(new RenewalRiskKind().BuiltIn, set.Cases),
            w => w.StartsWith("probable label leak: profile.name", StringComparison.Ordinal));
    }

    /// <summary>
    /// 3,000 customers in 300 cities of 10, 6 positives (0.2%), one in each of 6 cities whose other 9 are negatives: the city
    /// says nothing of the label, yet each positive's city has a share of 0.1 against 0 for 294 cities, computed on the cases it
    /// then ranks: ROC-AUC 0.991, "probable label leak". (rev44b M3)
    /// </summary>
    [Fact]
    public void For_AFieldOfManySmallValuesAndRarePositives_ThatSaysNothingOfTheLabel_IsNoLeak()
    {
        var cases = Enumerable.Range(0, 3000).Select(i => OneValue(i, i < 6, "profile.segment", $"city-{i % 300}")).ToList();

        Assert.DoesNotContain(ReportWarnings.For(new RenewalRiskKind().BuiltIn with { Reads = ["profile.segment"], OptionalReads = [] }, cases),
            w => w.StartsWith("probable label leak", StringComparison.Ordinal));
    }

    // rev44d L2: a status that copies the label for 8 customers of 30, each with 12 weekly cutoffs: fewer than 10 customers
    // per value, yet 96 cases from 8 customers — a leak, judged.
    [Fact]
    public void For_AStatusCopyingTheLabelForAFewCustomersOfATimeline_IsAProbableLeak()
    {
        var cases = Enumerable.Range(0, 30).SelectMany(customer => Enumerable.Range(0, 12).Select(week =>
            new Case($"c{customer}@{week}", new CustomerSnapshot($"c{customer}", DateTimeOffset.UnixEpoch.AddDays(7 * week),
                new Dictionary<string, SnapshotField> { ["profile.status"] = SnapshotField.Of("profile.status", customer < 8 ? "churned" : "active", "e") }), customer < 8, null))).ToList();

        Assert.Contains(ReportWarnings.For(new RenewalRiskKind().BuiltIn with { Reads = ["profile.status"], OptionalReads = [] }, cases),
            w => w.StartsWith("probable label leak: profile.status", StringComparison.Ordinal));
    }
}
