using System.Text.Json;
using AgentCrm.Agents.Consent;
using AgentCrm.Agents.Pipeline;
using AgentCrm.Agents.Rules;

namespace AgentCrm.Agents.Tests.Rules;

/// <summary>What registration knows of fields (their kinds, optionalReads), templates and defaults.</summary>
public sealed class RulesKindChecksTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static AgentManifest Manifest(string when, string[]? reads = null, string[]? optionalReads = null, string headline = "", Dictionary<string, JsonElement>? defaults = null) => new()
    {
        Id = "kinds", Version = "1.0.0", Kind = RulesKind.KindName, Scenario = "test", Subscribes = ["support_ticket"],
        Reads = reads ?? ["tickets.open", "profile.name", "contract.type", "services.internet"], OptionalReads = optionalReads ?? [],
        Purpose = "customer-success", Threshold = 0.5,
        Rules = new RuleSet
        {
            Conditions = [new RuleCondition { Name = "c", When = when, Weight = 1 }],
            Brief = new RuleBrief { Headline = headline },
            Defaults = defaults ?? new Dictionary<string, JsonElement>(),
        },
    };

    private static Dictionary<string, string[]> Errors(AgentManifest m) =>
        Assert.Throws<ManifestException>(() => new RulesKind().CheckNew(m)).Errors.ToDictionary(e => e.Key, e => e.Value);

    private static CustomerSnapshot Snapshot(params SnapshotField[] fields) =>
        new("c-1", Now, fields.ToDictionary(f => f.Name, StringComparer.Ordinal));

    /// <summary>A field the snapshot builder derives has a kind; comparing or passing it as another kind never works, so registration refuses it.</summary>
    [Theory]
    [InlineData("tickets.open > 'two'", "at character 14: '>' compares a number with a text; it would always be false.")]
    [InlineData("'two' < tickets.open", "at character 7: '<' compares a text with a number")]
    [InlineData("tickets.open == 'none'", "'==' compares a number with a text; the answer would never change.")]
    [InlineData("profile.name > 3", "'>' compares a text with a number")]
    [InlineData("contract.type == true", "'==' compares a text with true/false")]
    [InlineData("len(tickets.open) > 1", "at character 5: len expects a text as argument 1, not a number.")]
    [InlineData("abs(profile.name) > 1", "abs expects a number as argument 1, not a text.")]
    [InlineData("tickets.open + profile.name == 'x'", "'+' joins two texts or adds two numbers")]
    [InlineData("coalesce(profile.name, 'x') > 2", "'>' compares a text with a number")]
    [InlineData("-profile.name < 0", "'-' needs a number, not a text.")]
    [InlineData("tickets.open + 1", "a condition must be a true/false test, not a number")]
    public void Create_FieldUsedAsAnotherKind_IsRefusedWithPositionAndReason(string when, string expected)
    {
        var errors = Errors(Manifest(when));
        Assert.Contains(expected, Assert.Single(errors["rules.conditions[0].when"]), StringComparison.Ordinal);
    }

    /// <summary>Presence tests on a bare field stay allowed; a field only case mappings supply keeps no fixed kind.</summary>
    [Theory]
    [InlineData("tickets.open")]
    [InlineData("not profile.name")]
    [InlineData("profile.name and tickets.open > 2")]
    [InlineData("contract.type == 'month-to-month' and upper(profile.name) != 'X'")]
    [InlineData("services.internet == 'fiber-optic' or services.internet > 3")]
    [InlineData("if(tickets.open > 3, 'many', 'few') == 'many'")]
    [InlineData("profile.name == null")]
    public void Create_FieldUsedAsItsKind_OrOfNoFixedKind_Registers(string when) =>
        Assert.NotNull(new RulesKind().Create(Manifest(when)));

    /// <summary>A rules agent may use an optionalReads field; withheld by consent, it is null and the agent still runs.</summary>
    [Fact]
    public void Create_OptionalReadsFieldInConditionAndTemplate_RegistersAndIsNullWhenWithheld()
    {
        var m = Manifest("tickets.open > 2 or profile.name == 'VIP'", reads: ["tickets.open"], optionalReads: ["profile.name"],
            headline: "Tickets piling up at {coalesce(profile.name, 'this customer')}");
        var agent = new RulesKind().Create(m);
        var snapshot = Snapshot(SnapshotField.Of("tickets.open", 3), SnapshotField.Of("profile.name", "ACME"));

        Assert.Equal("Tickets piling up at ACME", AssessmentPipeline.Assess(agent, snapshot).Assessment!.Headline);

        // The customer allows support data but not identity: the agent runs, without the name.
        var decision = new ConsentPolicy([new ConsentGrant("customer-success", ["support"])], true).Decide(m, Now);
        Assert.False(decision.Blocked);
        Assert.Equal(["profile.name"], decision.Dropped);
        var seen = snapshot.Only(decision.Allowed);
        Assert.Equal("Tickets piling up at this customer", AssessmentPipeline.Assess(agent, seen).Assessment!.Headline);

        // A field in neither list is still refused.
        Assert.Contains("'nps.latest' is not in reads or optionalReads", Errors(Manifest("nps.latest < 5", reads: ["tickets.open"]))["rules.conditions[0].when"][0], StringComparison.Ordinal);
    }

    /// <summary>A placeholder ends at the first } outside the expression's quoted texts.</summary>
    [Theory]
    [InlineData("{concat('}', profile.name)}", "}ACME")]
    [InlineData("{concat(\"{x}\", profile.name)} {{ok}}", "{x}ACME {ok}")]
    [InlineData("{concat('it\\'s }', profile.name)}", "it's }ACME")]
    public void Render_BraceInsideAQuotedText_DoesNotEndThePlaceholder(string headline, string expected)
    {
        var agent = new RulesKind().Create(Manifest("tickets.open > 2", headline: headline));
        var a = AssessmentPipeline.Assess(agent, Snapshot(SnapshotField.Of("tickets.open", 3), SnapshotField.Of("profile.name", "ACME"))).Assessment!;
        Assert.Equal(expected, a.Headline);
    }

    [Fact]
    public void Create_PlaceholderWithAnUnclosedQuote_IsRefused() =>
        Assert.Contains("'{' without a closing '}'", Errors(Manifest("tickets.open > 2", headline: "{concat('}, profile.name)}"))["rules.brief.headline"][0], StringComparison.Ordinal);

    /// <summary>A default longer than the text limit was kept as ""; one of the wrong kind would make every check above wrong.</summary>
    [Theory]
    [InlineData("profile.name", "\"LONG\"", "a default text has at most 4096 characters (this one has 4097).")]
    [InlineData("tickets.open", "\"none\"", "'tickets.open' holds a number, so its default must be a number, not a text.")]
    [InlineData("tickets.open", "true", "must be a number, not true/false (true/false fields are 1/0).")]
    [InlineData("profile.name", "0", "'profile.name' holds a text, so its default must be a text, not a number.")]
    [InlineData("tickets.open", "null", "a default is a number, a text or true/false.")]
    public void Create_DefaultTooLongOrOfTheWrongKind_IsRefused(string field, string json, string expected)
    {
        var value = JsonDocument.Parse(json.Replace("LONG", new string('x', 4097), StringComparison.Ordinal)).RootElement;
        var errors = Errors(Manifest("tickets.open > 2", defaults: new() { [field] = value }));
        Assert.Contains(expected, Assert.Single(errors[$"rules.defaults.{field}"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Create_DefaultOfTheTextLimit_IsKept()
    {
        var name = new string('x', 4096);
        var agent = new RulesKind().Create(Manifest("tickets.open > 2", headline: "{len(profile.name)}", defaults: new() { ["profile.name"] = JsonSerializer.SerializeToElement(name) }));
        Assert.Equal("4096", AssessmentPipeline.Assess(agent, Snapshot(SnapshotField.Of("tickets.open", 3))).Assessment!.Headline);
    }

    [Fact]
    public void StoredVersion_WithAFieldComparedToAnotherKind_StillCreates_ButANewOneIsRefused()
    {
        // A version an earlier build stored (field kinds were not checked then): it ran, the comparison being false, and must
        // keep running after an upgrade instead of dropping out of the agent set while the registry shows it active.
        var stored = Manifest("tickets.open > 'two' or tickets.open > 2");
        var agent = new RulesKind().Create(stored);
        Assert.True(AssessmentPipeline.Assess(agent, Snapshot(SnapshotField.Of("tickets.open", 3))).Assessment!.Fired);
        Assert.Contains(Errors(stored), e => e.Key.EndsWith(".when", StringComparison.Ordinal));
    }
}
