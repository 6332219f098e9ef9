using System.Text.Json;
using AgentCrm.Agents.Customers;
using AgentCrm.Agents.Pipeline;
using AgentCrm.Agents.Rules;
using AgentCrm.Agents.Rules.Expressions;

namespace AgentCrm.Agents.Tests.Rules;

public sealed class RulesAgentTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private static int _n;

    private static readonly string[] ExpansionReads =
        ["events.count30d.email.inquiry", "events.count30d.invoice", "events.count30d.web_visit.solutions"];

    /// <summary>The shipped example, agents/examples/expansion-opportunity.yaml, as the registry sees it.</summary>
    internal static AgentManifest Expansion(Func<RuleSet, RuleSet>? change = null, string[]? reads = null, double threshold = 1.0)
    {
        var rules = new RuleSet
        {
            Defaults = new Dictionary<string, JsonElement>
            {
                ["events.count30d.email.inquiry"] = JsonDocument.Parse("0").RootElement,
                ["events.count30d.web_visit.solutions"] = JsonDocument.Parse("0").RootElement,
            },
            Conditions =
            [
                new RuleCondition { Name = "inquiries", When = "events.count30d.email.inquiry >= 2", Weight = 0.4, Explain = "{events.count30d.email.inquiry} inquiries in 30 days" },
                new RuleCondition { Name = "noOrder", When = "events.count30d.invoice == 0", Weight = 0.3, Explain = "no order (invoice) in 30 days" },
                new RuleCondition { Name = "solutionsPage", When = "events.count30d.web_visit.solutions >= 1", Weight = 0.3 },
            ],
            Brief = new RuleBrief
            {
                Headline = "Expansion opportunity for {coalesce(profile.name, 'this customer')}: {events.count30d.email.inquiry} inquiries, no order yet",
                NextStep = "Call {profile.name} this week.",
            },
        };
        return new AgentManifest
        {
            Id = "expansion-opportunity", Version = "1.0.0", Kind = RulesKind.KindName, Scenario = "expansion-opportunity",
            Subscribes = ["email", "web_visit", "invoice"], Reads = reads ?? ExpansionReads, OptionalReads = ["profile.name"], Purpose = "customer-success",
            Threshold = threshold, Rules = change is null ? rules : change(rules),
        };
    }

    private static CrmEvent E(string type, DateTimeOffset at, string attributes = "{}", string? id = null) =>
        new(id ?? $"r{Interlocked.Increment(ref _n)}", "c-1", type, at, "test", JsonDocument.Parse(attributes).RootElement.Clone());

    private static CustomerSnapshot Timeline(bool order, int inquiries = 2, bool solutions = true)
    {
        var s = new CustomerState();
        CustomerTimeline.Apply(s, E("profile", Now.AddDays(-60), """{"name":"ACME"}"""));
        for (var i = 0; i < inquiries; i++)
            CustomerTimeline.Apply(s, E("email", Now.AddDays(-10 + i), """{"category":"Inquiry","subject":"Pricing for 50 more seats?"}""", id: $"inq-{i}"));
        CustomerTimeline.Apply(s, E("email", Now.AddDays(-45), """{"category":"inquiry"}""")); // outside the window
        if (solutions)
            CustomerTimeline.Apply(s, E("web_visit", Now.AddDays(-3), """{"url":"https://example.com/solutions/analytics"}""", id: "visit-1"));
        if (order)
            CustomerTimeline.Apply(s, E("invoice", Now.AddDays(-2), """{"invoiceId":"I-9","amount":1200,"status":"open"}"""));
        return SnapshotBuilder.Build(s, Now);
    }

    /// <summary>As registration and then a start do: every check of a new manifest, then the agent.</summary>
    private static IAgent Create(AgentManifest m)
    {
        var kind = new RulesKind();
        kind.CheckNew(m);
        return kind.Create(m);
    }

    private static Dictionary<string, string[]> Errors(AgentManifest m) =>
        Assert.Throws<ManifestException>(() => Create(m)).Errors.ToDictionary(e => e.Key, e => e.Value);

    [Fact]
    public void Assess_InquiriesNoOrderSolutionsVisit_FiresWithReasonsAndTemplatedBrief()
    {
        var agent = Create(Expansion());
        var a = AssessmentPipeline.Assess(agent, Timeline(order: false)).Assessment!;
        Assert.True(a.Fired);
        Assert.Equal(1.0, a.Score);
        Assert.Equal("Expansion opportunity for ACME: 2 inquiries, no order yet", a.Headline);
        Assert.Equal("Call ACME this week.", a.NextStep);
        Assert.Equal(["inquiries", "noOrder", "solutionsPage"], a.Reasons.Select(r => r.Explanation.StartsWith('2') ? "inquiries" : r.Explanation.StartsWith("no order", StringComparison.Ordinal) ? "noOrder" : r.Explanation).ToArray());
        var inquiries = a.Reasons[0];
        Assert.Equal("events.count30d.email.inquiry", inquiries.Field);
        Assert.Equal(2.0, inquiries.Value);
        Assert.Equal("2 inquiries in 30 days", inquiries.Explanation);
        Assert.Equal(["inq-0", "inq-1"], inquiries.EventIds); // both inquiries counted, oldest first
        Assert.Equal(["visit-1"], a.Reasons.Single(r => r.Field == "events.count30d.web_visit.solutions").EventIds);
    }

    [Fact]
    public void Assess_WithAnOrder_OrOneInquiry_DoesNotFire()
    {
        var agent = Create(Expansion());
        var ordered = agent.Assess(Timeline(order: true));
        Assert.False(ordered.Fired);
        Assert.Equal(0.7, ordered.Score, 6);
        Assert.DoesNotContain(ordered.Reasons, r => r.Field == "events.count30d.invoice");
        Assert.Equal("", ordered.Headline);
        var single = agent.Assess(Timeline(order: false, inquiries: 1));
        Assert.False(single.Fired);
        Assert.Equal(0.6, single.Score, 6);
    }

    [Fact]
    public void Assess_AbsentFields_UseDefaults_AndComparisonsWithUnknownAreFalse()
    {
        var agent = Create(Expansion());
        // No email and no solutions visit at all: the per-category counts are absent; the defaults make them 0.
        var a = agent.Assess(Timeline(order: false, inquiries: 0, solutions: false));
        Assert.Equal(0.3, a.Score, 6);
        Assert.Equal("noOrder", a.Reasons.Single().Explanation.StartsWith("no order", StringComparison.Ordinal) ? "noOrder" : "?");

        var noDefaults = Create(Expansion(r => r with { Defaults = new Dictionary<string, JsonElement>(), Conditions = [.. r.Conditions, new RuleCondition { Name = "quiet", When = "events.count30d.email.inquiry != null or not (events.count30d.email.inquiry > 0)", Weight = 0.1 }] }));
        var b = noDefaults.Assess(Timeline(order: false, inquiries: 0, solutions: false));
        // "> 0" on an unknown value is false, so "not (… > 0)" holds; "== null" sees the absence.
        Assert.Equal(0.4, b.Score, 6);
    }

    [Theory]
    [InlineData("events.count30d.email.inquiry >= ", "at character 34: the expression ends too early")]
    [InlineData("events.count30d.email.inquiry >= 2 and", "at character 39")]
    [InlineData("sqrt(events.count30d.invoice) > 1", "unknown function 'sqrt'")]
    [InlineData("events.count30d.invoice = 0", "'=' is not an operator; compare with '=='")]
    [InlineData("events.count30d.invoice > 0 or 2 > 'two'", "at character 34: '>' compares a number with a text")]
    [InlineData("'a' + 1 == 'a1'", "'+' joins two texts or adds two numbers")]
    [InlineData("events.count30d.invoice + 1", "a condition must be a true/false test, not a number")]
    [InlineData("tickets.open > 0", "'tickets.open' is not in reads")]
    [InlineData("secret.field > 0", "unknown snapshot field 'secret.field'")]
    [InlineData("events.count30d.invoice > 0 and 5", "'and' joins true/false tests")]
    [InlineData("1 < 2 < 3", "comparisons cannot be chained")]
    [InlineData("contains(profile.name, 'x', 'y')", "contains takes 2 argument(s), not 3")]
    [InlineData("len(42) > 1", "len expects a text as argument 1, not a number")]
    [InlineData("profile.name == 'ACME", "at character 17: the text starting here has no closing '")]
    public void Create_BadExpression_NamesTheConditionAndTheReason(string when, string expected)
    {
        var errors = Errors(Expansion(r => r with { Conditions = [r.Conditions[0], r.Conditions[1] with { When = when }, r.Conditions[2]] }));
        Assert.Equal(["rules.conditions[1].when"], errors.Keys.ToArray());
        Assert.Contains(expected, errors["rules.conditions[1].when"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void Create_CollectsEveryProblem_NamesEachPath()
    {
        var errors = Errors(Expansion(r => r with
        {
            MaxSteps = 0,
            Conditions = [r.Conditions[0] with { Weight = 3 }, r.Conditions[0] with { When = "true" }, r.Conditions[2] with { Name = "9lives", Explain = "{nope(1)}" }],
            Defaults = new Dictionary<string, JsonElement> { ["events.count30d.email.inquiry"] = JsonDocument.Parse("[1]").RootElement },
            Brief = new RuleBrief { Headline = "Hi {profile.name" },
        }));
        Assert.Equal(
            ["rules.brief.headline", "rules.conditions[0].weight", "rules.conditions[1].name", "rules.conditions[1].when", "rules.conditions[2].explain", "rules.conditions[2].name", "rules.defaults.events.count30d.email.inquiry", "rules.maxSteps"],
            errors.Keys.Order(StringComparer.Ordinal).ToArray());
        Assert.Contains("used by an earlier condition", errors["rules.conditions[1].name"][0], StringComparison.Ordinal);
        Assert.Contains("tests no field", errors["rules.conditions[1].when"][0], StringComparison.Ordinal);
        Assert.Contains("unknown function 'nope'", errors["rules.conditions[2].explain"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void Create_ThresholdAboveEveryWeight_IsRefused_AndRulesAreRequired()
    {
        var errors = Errors(Expansion(r => r with { Conditions = [r.Conditions[0]] }, threshold: 0.5));
        Assert.Contains("can never be reached", errors["threshold"][0], StringComparison.Ordinal);
        Assert.Contains("rules", Errors(Expansion() with { Rules = null }).Keys);
    }

    [Fact]
    public void Parse_OverLimits_IsRefusedBeforeItCanRun()
    {
        var deep = new string('(', 40) + "1" + new string(')', 40) + " > 0";
        Assert.Contains("nests deeper than", Assert.Throws<ExpressionException>(() => ExpressionParser.Parse(deep)).Message, StringComparison.Ordinal);
        var wide = string.Join(" + ", Enumerable.Repeat("1", 300)) + " > 0";
        Assert.Contains("more than 256 parts", Assert.Throws<ExpressionException>(() => ExpressionParser.Parse(wide)).Message, StringComparison.Ordinal);
        Assert.Contains("at most 2000", Assert.Throws<ExpressionException>(() => ExpressionParser.Parse(new string('1', 2001))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_ArithmeticFunctionsAndUnknowns_FollowTheDocumentedRules()
    {
        object? Run(string source, Dictionary<string, object?>? fields = null) =>
            new ExpressionEvaluator(n => fields?.GetValueOrDefault(n), 10_000).Evaluate(ExpressionParser.Parse(source));
        Assert.Equal(7.0, Run("1 + 2 * 3"));
        Assert.Equal(9.0, Run("(1 + 2) * 3"));
        Assert.Equal(-1.0, Run("-(3 - 2)"));
        Assert.Null(Run("1 / 0"));
        Assert.Null(Run("usage.trend30d * 100"));
        Assert.Equal(-38.0, Run("round(usage.trend30d * 100)", new() { ["usage.trend30d"] = -0.38 }));
        Assert.Equal(true, Run("contains(lower(profile.name), 'acme') and startsWith(profile.name, 'AC')", new() { ["profile.name"] = "ACME Corp" }));
        Assert.Equal(5.0, Run("clamp(12, 0, 5)"));
        Assert.Equal(2.0, Run("coalesce(nps.latest, 2)"));
        Assert.Equal(false, Run("exists(nps.latest)"));
        Assert.Equal("a-b", Run("'a' + '-' + \"b\""));
        Assert.Equal("n=3", Run("concat('n=', 3)"));
        Assert.Equal(false, Run("nps.latest < 7"));
        Assert.Equal(true, Run("nps.latest == null"));
        Assert.Equal("high", Run("if(tickets.open > 2, 'high', 'low')", new() { ["tickets.open"] = 3.0 }));
    }

    [Theory]
    [InlineData("lower")]
    [InlineData("upper")]
    [InlineData("trim")]
    public void Assess_CopyOfALongText_IsHeldToTheTextLimit_LikeAnyTextBuilt(string function)
    {
        var agent = Create(new AgentManifest
        {
            Id = "copies", Version = "1.0.0", Kind = "rules", Scenario = "test", Subscribes = ["support_ticket"], Reads = ["profile.name"], Purpose = "test", Threshold = 0.5,
            Rules = new RuleSet { MaxSteps = 1_000_000, Conditions = [new RuleCondition { Name = "copy", When = $"len({function}(profile.name)) > 0" }] },
        });
        CustomerSnapshot With(int length) => new("c-1", Now, new Dictionary<string, SnapshotField>
        {
            ["profile.name"] = SnapshotField.Of("profile.name", new string('a', length)),
        });

        Assert.True(agent.Assess(With(ExpressionLimits.MaxTextLength)).Fired);
        var refused = Assert.Throws<RuleLimitExceededException>(() => agent.Assess(With(200_000)));
        Assert.Contains("exceeds the limit of 4096", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Assess_RunawayText_IsStoppedBeforeAllocating_AndTheStepBudgetStopsLongWork()
    {
        var reads = new[] { "profile.name", "tickets.open" };
        var runaway = Create(new AgentManifest
        {
            Id = "runaway", Version = "1.0.0", Kind = "rules", Scenario = "test", Subscribes = ["support_ticket"], Reads = reads, Purpose = "test", Threshold = 0.5,
            Rules = new RuleSet { Conditions = [new RuleCondition { Name = "blowup", When = "len(repeat(profile.name, tickets.open * 1000000)) > 0" }] },
        });
        var snapshot = new CustomerSnapshot("c-1", Now, new Dictionary<string, SnapshotField>
        {
            ["profile.name"] = SnapshotField.Of("profile.name", "ACME"),
            ["tickets.open"] = SnapshotField.Of("tickets.open", 5),
        });
        var ex = Assert.Throws<RuleLimitExceededException>(() => runaway.Assess(snapshot));
        Assert.StartsWith("blowup: stopped after 10000 steps", ex.Message, StringComparison.Ordinal);

        var bigBudget = Create(runaway.Manifest with
        {
            Rules = new RuleSet { MaxSteps = 1_000_000, Conditions = [new RuleCondition { Name = "blowup", When = "len(repeat(profile.name, tickets.open * 1000)) > 0" }] },
        });
        Assert.Contains("exceeds the limit of 4096", Assert.Throws<RuleLimitExceededException>(() => bigBudget.Assess(snapshot)).Message, StringComparison.Ordinal);

        // A count so large that length × count overflows a long is refused too, not wrapped into a small (or negative) charge:
        // at run time (a stored version, created without the registration checks) and, as the part uses no field, at registration.
        foreach (var count in new[] { "4611686018428411904", "9223372036854775807", "10 * 4611686018428411904" })
        {
            var manifest = runaway.Manifest with
            {
                Rules = new RuleSet { MaxSteps = 1_000_000, Conditions = [new RuleCondition { Name = "blowup", When = $"len(repeat('ab', {count})) > 0" }] },
            };
            var overflow = new RulesKind().Create(manifest);
            var refused = Assert.Throws<RuleLimitExceededException>(() => overflow.Assess(snapshot)).Message;
            Assert.True(refused.Contains("exceeds the limit of 4096", StringComparison.Ordinal) || refused.Contains("stopped after", StringComparison.Ordinal), refused);
            var atRegistration = Assert.Throws<ManifestException>(() => new RulesKind().CheckNew(manifest)).Errors["rules.conditions[0].when"][0];
            Assert.Contains("this part uses no field", atRegistration, StringComparison.Ordinal);
        }

        // The pipeline contains it: an error outcome, never an exception out of the turn.
        var outcome = AssessmentPipeline.Assess(runaway, snapshot);
        Assert.True(outcome.Failed);
        Assert.IsType<RuleLimitExceededException>(outcome.Error);

        // The same rule on a small input runs fine: the limit is about the data, not the rule.
        var small = new CustomerSnapshot("c-2", Now, new Dictionary<string, SnapshotField>
        {
            ["profile.name"] = SnapshotField.Of("profile.name", "ACME"),
            ["tickets.open"] = SnapshotField.Of("tickets.open", 0),
        });
        Assert.False(runaway.Assess(small).Fired);
    }

    [Fact]
    public void Snapshot_WindowedCounts_CoverEveryTypeAndSeenCategories()
    {
        var snapshot = Timeline(order: true);
        Assert.Equal(2, snapshot.Number("events.count30d.email.inquiry"));
        Assert.Equal(3, snapshot.Number("events.count90d.email.inquiry"));
        Assert.Equal(0, snapshot.Number("events.count7d.email.inquiry"));
        Assert.Equal(1, snapshot.Number("events.count7d.invoice"));
        Assert.Equal(0, snapshot.Number("events.count30d.nps"));
        Assert.Equal(1, snapshot.Number("events.count30d.web_visit.solutions"));
        Assert.All(snapshot.Fields.Keys, k => Assert.True(FieldCatalog.IsValid(k) && SnapshotBuilder.Derives(k), k));
    }
}
