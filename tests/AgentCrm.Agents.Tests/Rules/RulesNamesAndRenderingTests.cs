using System.Text.Json;
using System.Text.RegularExpressions;
using AgentCrm.Agents.Customers;
using AgentCrm.Agents.Pipeline;
using AgentCrm.Agents.Rules;
using AgentCrm.Agents.Rules.Expressions;

namespace AgentCrm.Agents.Tests.Rules;

/// <summary>Field names no customer can have, missing values in texts, how numbers render, and text limits in characters.</summary>
public sealed class RulesNamesAndRenderingTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private const string Emoji = "\U0001F600";

    private static AgentManifest Manifest(string when, string[] reads, string headline = "", string explain = "", Dictionary<string, JsonElement>? defaults = null) => new()
    {
        Id = "names", Version = "1.0.0", Kind = RulesKind.KindName, Scenario = "test", Subscribes = ["support_ticket"], Reads = reads,
        Purpose = "customer-success", Threshold = 0.5,
        Rules = new RuleSet
        {
            Conditions = [new RuleCondition { Name = "c", When = when, Weight = 1, Explain = explain }],
            Brief = new RuleBrief { Headline = headline },
            Defaults = defaults ?? new Dictionary<string, JsonElement>(),
        },
    };

    private static Dictionary<string, string[]> Errors(AgentManifest m) =>
        Assert.Throws<ManifestException>(() => new RulesKind().CheckNew(m)).Errors.ToDictionary(e => e.Key, e => e.Value);

    private static CustomerSnapshot Snapshot(params SnapshotField[] fields) => new("c-1", Now, fields.ToDictionary(f => f.Name, StringComparer.Ordinal));

    /// <summary>
    /// A mistyped field (tickets.opne) or a category in the wrong case (intake keys categories in lower case) registered and was
    /// absent for every customer, so the condition could never hold: refused, naming the field the author meant.
    /// </summary>
    [Theory]
    [InlineData("tickets.opne", "tickets.opne > 0", "did you mean tickets.open?")]
    [InlineData("tickets.Open", "tickets.Open > 0", "did you mean tickets.open?")]
    [InlineData("events.count30d.email.Inquiry", "events.count30d.email.Inquiry >= 2", "did you mean events.count30d.email.inquiry?")]
    [InlineData("events.count30d.email.Sales_Inquiry", "events.count30d.email.Sales_Inquiry >= 2", "did you mean events.count30d.email.sales_inquiry?")]
    [InlineData("events.count30d.emial", "events.count30d.emial > 0", "did you mean events.count30d.email?")]
    [InlineData("events.count14d.email", "events.count14d.email > 0", "N one of 7, 30, 90")]
    public void CheckNew_FieldNoCustomerCanHave_IsRefusedNamingTheNearestKnownField(string field, string when, string expected)
    {
        var errors = Errors(Manifest(when, [field, "events.count30d.email.inquiry"]));
        var messages = string.Join("\n", errors.SelectMany(e => e.Value.Select(v => $"{e.Key}: {v}")));
        Assert.Contains(expected, messages, StringComparison.Ordinal);
        Assert.True(errors.ContainsKey("reads[0]"), messages);
        Assert.StartsWith("at character 1: unknown field", Assert.Single(errors["rules.conditions[0].when"]), StringComparison.Ordinal);
    }

    /// <summary>
    /// A derived field over a window the server does not derive (logins.last90d beside logins.last30d) is one edit, a digit, from
    /// a derived field, yet a case mapping may supply it: it registers. A letter's edit (tickets.opne) is still refused.
    /// </summary>
    [Theory]
    [InlineData("logins.last90d")]
    [InlineData("web.visits90d")]
    [InlineData("billing.paymentFailures30d")]
    [InlineData("usage.trend7d")]
    public void CheckNew_DerivedFieldOverAnotherWindow_Registers(string field)
    {
        new RulesKind().CheckNew(Manifest($"{field} > 2", [field]));

        Assert.Contains("did you mean tickets.open?", Assert.Single(Errors(Manifest("tickets.opne > 2", ["tickets.opne"]))["reads[0]"]), StringComparison.Ordinal);
        Assert.True(Errors(Manifest("logins.last30dd > 2", ["logins.last30dd"])).ContainsKey("reads[0]"));
    }

    /// <summary>Every field the server derives, a per-category count in the form intake keys it, and every field a shipped case mapping supplies stay usable.</summary>
    [Fact]
    public void CheckNew_FieldsTheServerDerivesOrACaseMappingSupplies_Register()
    {
        var mapped = Directory.GetFiles(Path.Combine(RepositoryRoot(), "sandbox", "mappings"), "*.yaml")
            .SelectMany(f => Regex.Matches(File.ReadAllText(f), @"\bfield: *([A-Za-z0-9._]+)").Select(m => m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);
        Assert.True(mapped.Count > 20, $"expected the shipped mappings' fields, found {mapped.Count}");
        string[] fields = [.. mapped, .. SnapshotBuilder.Fields, "events.count90d.email.inquiry", "events.count7d.web_visit.pricing_page", "services.notMappedYet"];
        var refused = fields.Where(f => FieldCatalog.IsValid(f))
            .Select(f => (Field: f, Errors: Try(Manifest($"exists({f})", [f]))))
            .Where(r => r.Errors is not null).Select(r => $"{r.Field}: {r.Errors}").ToList();
        Assert.True(refused.Count == 0, string.Join("\n", refused));

        static string? Try(AgentManifest m)
        {
            try
            {
                new RulesKind().CheckNew(m);
                return null;
            }
            catch (ManifestException ex)
            {
                return string.Join("; ", ex.Errors.SelectMany(e => e.Value));
            }
        }
    }

    /// <summary>A version stored before the check still loads and runs (the field is absent, as it always was).</summary>
    [Fact]
    public void Create_StoredVersionWithAMistypedField_StillLoads()
    {
        var agent = new RulesKind().Create(Manifest("tickets.opne > 0 or tickets.open > 2", ["tickets.opne", "tickets.open"]));
        Assert.True(agent.Assess(Snapshot(SnapshotField.Of("tickets.open", 3))).Fired);
    }

    /// <summary>
    /// concat turned a missing value into the text "unknown", so len(concat(profile.name, …)) > 1 held for every customer without a
    /// name; a missing value is null, as it is for '+'.
    /// </summary>
    [Theory]
    [InlineData("len(concat(profile.name, ' ', profile.segment)) > 1")]
    [InlineData("concat(profile.name, 'x') != null and len(concat('x', profile.name)) > 1")]
    [InlineData("len(profile.name + 'x') > 1")]
    [InlineData("contains(concat(profile.name, '!'), 'unknown')")]
    [InlineData("len(repeat(profile.name, 2)) > 1")]
    [InlineData("len(trim(profile.name)) > 1 or len(lower(profile.name)) > 1 or len(upper(profile.name)) > 1")]
    public void Assess_TextOfAMissingValue_IsNull_SoTheConditionDoesNotHold(string when)
    {
        var agent = new RulesKind().Create(Manifest(when, ["profile.name", "profile.segment"]));
        Assert.False(agent.Assess(Snapshot(SnapshotField.Of("profile.segment", "smb"))).Fired);
        Assert.True(agent.Assess(Snapshot(SnapshotField.Of("profile.name", "ACME"), SnapshotField.Of("profile.segment", "smb"))).Fired == !when.StartsWith("contains", StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_Concat_JoinsTheValuesItIsGiven_AndIsNullWithAMissingOne()
    {
        object? Run(string source) => new ExpressionEvaluator(_ => null, 10_000).Evaluate(ExpressionParser.Parse(source));
        Assert.Equal("n=3 true", Run("concat('n=', 3, ' ', true)"));
        Assert.Null(Run("concat('n=', nps.latest)"));
        Assert.Equal("n=?", Run("concat('n=', coalesce(nps.latest, '?'))"));
    }

    /// <summary>
    /// A placeholder renders a number with at most 3 decimals and never as "-0"; a missing value renders as "unknown"; {{ and }} are literal braces.
    /// </summary>
    [Theory]
    [InlineData("{ceil(-0.5)}", "0")]
    [InlineData("{-0.0001}", "0")]
    [InlineData("{0 - 0.0004}", "0")]
    [InlineData("{round(-0.4)}", "0")]
    [InlineData("{1 / 3}", "0.333")]
    [InlineData("{-2.5}", "-2.5")]
    [InlineData("{nps.latest} / {concat('NPS ', nps.latest)}", "unknown / unknown")]
    [InlineData("{{literal}} {tickets.open}", "{literal} 3")]
    public void Render_Numbers_MissingValues_AndBraces_AsDocumented(string headline, string expected)
    {
        var agent = new RulesKind().Create(Manifest("tickets.open > 2", ["tickets.open", "nps.latest"], headline: headline));
        Assert.Equal(expected, AssessmentPipeline.Assess(agent, Snapshot(SnapshotField.Of("tickets.open", 3))).Assessment!.Headline);
    }

    /// <summary>
    /// Text limits count characters as JSON Schema's maxLength does (code points: an emoji is one), so a manifest the published
    /// schema accepts registers; 1,500 emoji in a 2,000-character explain were refused as 3,000.
    /// </summary>
    [Fact]
    public void CheckNew_TextLimits_CountCharacters_NotUtf16Units()
    {
        var emoji = string.Concat(Enumerable.Repeat(Emoji, 1500));
        new RulesKind().CheckNew(Manifest("profile.name == '" + string.Concat(Enumerable.Repeat(Emoji, 1000)) + "'", ["profile.name"],
            headline: emoji, explain: emoji, defaults: new() { ["profile.name"] = JsonSerializer.SerializeToElement(string.Concat(Enumerable.Repeat(Emoji, 3000))) }));

        var over = string.Concat(Enumerable.Repeat(Emoji, ExpressionLimits.MaxSourceLength + 1));
        var errors = Errors(Manifest($"profile.name == '{over}'", ["profile.name"], explain: over,
            defaults: new() { ["profile.name"] = JsonSerializer.SerializeToElement(string.Concat(Enumerable.Repeat(Emoji, ExpressionLimits.MaxTextLength + 1))) }));
        Assert.Contains("at most 2000 characters (this one has 2001)", errors["rules.conditions[0].explain"][0], StringComparison.Ordinal);
        Assert.Contains("the expression is 2019 characters", errors["rules.conditions[0].when"][0], StringComparison.Ordinal);
        Assert.Contains("(this one has 4097)", errors["rules.defaults.profile.name"][0], StringComparison.Ordinal);
    }

    /// <summary>
    /// A part made only of literals gives the same on every customer: one that always stops at the step budget or the text
    /// limit registered and then failed every assessment (counted as errors). It is run once at registration and refused there.
    /// </summary>
    [Theory]
    [InlineData("len(repeat('x', 100000)) > 1", "", "rules.conditions[0].when", "at character 1: this part uses no field, so it gives the same on every customer, and it always stops: a text of 100000 characters exceeds the limit of 4096.")]
    // The length the text would have had, not the count capped just past the limit (it read "a text of 4097 characters").
    [InlineData("len(repeat('x', 5000)) > 1", "", "rules.conditions[0].when", "a text of 5000 characters exceeds the limit of 4096.")]
    [InlineData("len(repeat('ab', 3000)) > 1", "", "rules.conditions[0].when", "a text of 6000 characters exceeds the limit of 4096.")]
    [InlineData("tickets.open > 2 and len(repeat('ab', 30000)) > 1", "", "rules.conditions[0].when", "at character 22: this part uses no field")]
    [InlineData("tickets.open > 2", "Hi {concat(profile.name, repeat('-', 5000))}", "rules.brief.headline", "at character 26: this part uses no field")]
    public void CheckNew_ALiteralPartThatAlwaysStops_IsRefused(string when, string headline, string path, string expected)
    {
        var errors = Errors(Manifest(when, ["tickets.open", "profile.name"], headline: headline));
        Assert.Contains(expected, Assert.Single(errors[path]), StringComparison.Ordinal);
        Assert.NotNull(new RulesKind().Create(Manifest(when, ["tickets.open", "profile.name"], headline: headline)));
    }

    /// <summary>
    /// A condition that tests no field is the same for every customer: it was registered, and its weight moved every score
    /// alike (a brief whose only reason was that condition, naming no field). Refused on a new manifest; a stored one still runs.
    /// </summary>
    [Theory]
    [InlineData("1 == 1")]
    [InlineData("len('ab') == 2")]
    [InlineData("'a' != 'b' or 2 > 3")]
    public void CheckNew_AConditionTestingNoField_IsRefused(string when)
    {
        var errors = Errors(Manifest(when, ["tickets.open"]));
        Assert.Contains("this condition tests no field, so it is the same for every customer", Assert.Single(errors["rules.conditions[0].when"]), StringComparison.Ordinal);
        Assert.NotNull(new RulesKind().Create(Manifest(when, ["tickets.open"])));
    }

    [Fact]
    public void CheckNew_ALiteralPartWithinTheLimits_Registers() =>
        new RulesKind().CheckNew(Manifest("len(repeat('x', 4000)) > 1 and tickets.open > 2", ["tickets.open"], headline: "{repeat('=', 10)} {tickets.open}"));

    /// <summary>Every assessment runs every condition: a rules.maxSteps below the fewest steps they take stops all of them.</summary>
    [Fact]
    public void CheckNew_MaxStepsBelowTheConditionsOwnSize_IsRefused()
    {
        var m = Manifest("tickets.open > 2 and (tickets.open < 10 or nps.latest < 5)", ["tickets.open", "nps.latest"]);
        // Fewest steps: 'and', then its left side 'tickets.open > 2' (3) = 4; the right side may never run.
        new RulesKind().CheckNew(m with { Rules = m.Rules! with { MaxSteps = 4 } });
        var errors = Errors(m with { Rules = m.Rules! with { MaxSteps = 3 } });
        Assert.Contains("rules.maxSteps 3 is below the 4 steps", Assert.Single(errors["rules.maxSteps"]), StringComparison.Ordinal);
        Assert.NotNull(new RulesKind().Create(m with { Rules = m.Rules! with { MaxSteps = 3 } }));
    }

    /// <summary>
    /// A part that uses no field costs what it takes on every assessment, text work included (qa38a #4: three conditions each
    /// building a 4,000-character text registered at the default 10,000 steps, and every case of its evaluation stopped).
    /// </summary>
    [Fact]
    public void CheckNew_LiteralTextWorkAddingUpPastMaxSteps_IsRefused()
    {
        const string When = "len(repeat('abcd', 1000)) > tickets.open";
        var one = Manifest(When, ["tickets.open"]);
        new RulesKind().CheckNew(one);
        var three = one with
        {
            Rules = one.Rules! with
            {
                Conditions = [.. Enumerable.Range(0, 3).Select(i => new RuleCondition { Name = $"c{i}", When = When, Weight = 0.4, Explain = "" })],
            },
        };
        var error = Assert.Single(Errors(three)["rules.maxSteps"]);
        Assert.StartsWith($"rules.maxSteps {one.Rules!.MaxSteps} is below the ", error, StringComparison.Ordinal);
        var agent = new RulesKind().Create(three);
        Assert.Throws<RuleLimitExceededException>(() => agent.Assess(Snapshot(SnapshotField.Of("tickets.open", 1))));
    }

    /// <summary>
    /// A part that stops whatever the budget (a text past its limit) is refused at its place, once: it adds nothing to the
    /// fewest steps (review rev38 #2: it also asked to raise rules.maxSteps, which no value could satisfy).
    /// </summary>
    [Fact]
    public void CheckNew_ALiteralTextPastItsLimit_IsRefusedAtItsPlace_NotAlsoAsTooFewSteps()
    {
        var errors = Errors(Manifest("len(repeat('x', 5000)) > tickets.open", ["tickets.open"]));
        Assert.Equal(["rules.conditions[0].when"], errors.Keys);
        Assert.Contains("exceeds the limit of 4096", Assert.Single(errors["rules.conditions[0].when"]), StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AgentCrm.sln")))
            dir = dir.Parent;
        Assert.True(dir is not null, "expected the repository root (AgentCrm.sln) above the test binaries");
        return dir.FullName;
    }
}
