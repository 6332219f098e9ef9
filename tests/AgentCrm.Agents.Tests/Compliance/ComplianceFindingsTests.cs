using AgentCrm.Agents.Compliance;
using AgentCrm.Agents.Tests.Text;
using AgentCrm.Agents.Text;

namespace AgentCrm.Agents.Tests.Compliance;

/// <summary>What a compliance brief says when it finds more than it quotes, and what its finding is for the cooldown.</summary>
public sealed class ComplianceFindingsTests
{
    private static readonly ComplianceCheckKind Kind = new();

    private static TextModel Model() => TinyModels.Words(
        ("unfair", -3, [("arbitration", 6), ("terminate", 6), ("courts", 6), ("governed", 6)]),
        ("arbitration", -3, [("arbitration", 6)]),
        ("unilateral-termination", -3, [("terminate", 6)]),
        ("jurisdiction", -3, [("courts", 6)]),
        ("choice-of-law", -3, [("governed", 6)]));

    private static IAgent Agent() => Kind.Create(ComplianceCheckKind.Template with { Threshold = 0.6, Parameters = TinyModels.Parameters(("model", Model())) });

    // Nine unfair clauses: three arbitration, three termination, three jurisdiction.
    private const string NineClauses =
        "Disputes go to arbitration in Delaware. Every claim ends in arbitration. You accept arbitration for all matters. " +
        "We may terminate your account. We can terminate the service. Either way we terminate when we like. " +
        "Only Texas courts hear disputes. The courts of Austin decide. You submit to those courts alone.";

    [Fact]
    public void MoreFindingsThanQuotes_QuotesFive_CountsTheRestByCategory_AndProposesEveryFix()
    {
        var result = Agent().Assess(TinyModels.Snapshot(("documents.text", NineClauses), ("documents.docType", "terms")));

        Assert.True(result.Fired);
        Assert.Equal(6, result.Reasons.Count);
        Assert.All(result.Reasons.Take(5), r => Assert.Contains("clause (p ", r.Explanation, StringComparison.Ordinal));
        var more = result.Reasons[5];
        Assert.Equal(4, more.Value);
        Assert.StartsWith("+4 more findings not quoted (categories: ", more.Explanation, StringComparison.Ordinal);
        Assert.True(more.Weight <= result.Reasons[4].Weight);
        var quoted = result.Reasons.Take(5).Select(r => r.Explanation.Split(" clause")[0]).ToList();
        foreach (var (label, count) in new[] { ("arbitration", 3), ("unilateral termination", 3), ("jurisdiction", 3) })
        {
            var unquoted = count - quoted.Count(q => q == label);
            if (unquoted > 0)
                Assert.Contains(unquoted == 1 ? label : $"{label} ×{unquoted}", more.Explanation, StringComparison.Ordinal);
        }
        Assert.Contains(UnfairCategories.FixOf("arbitration"), result.NextStep, StringComparison.Ordinal);
        Assert.Contains(UnfairCategories.FixOf("unilateral-termination"), result.NextStep, StringComparison.Ordinal);
        Assert.Contains(UnfairCategories.FixOf("jurisdiction"), result.NextStep, StringComparison.Ordinal);
    }

    [Fact]
    public void FewerFindingsThanQuotes_AddNoCountLine()
    {
        var result = Agent().Assess(TinyModels.Snapshot(("documents.text", "Disputes go to arbitration in Delaware. We may terminate your account.")));

        Assert.Equal(2, result.Reasons.Count);
        Assert.DoesNotContain(result.Reasons, r => r.Explanation.Contains("more finding", StringComparison.Ordinal));
    }

    [Fact]
    public void FindingKey_SameClausesAgain_IsTheSame_ANewClause_MakesANewFinding()
    {
        var v3 = "Welcome. Disputes go to arbitration in Delaware. We may terminate your account.";
        var resent = "Welcome!  Disputes go to ARBITRATION in Delaware.\nWe may terminate your account.";
        var v4 = v3 + " This agreement is governed by the laws of Texas.";

        var k3 = Agent().Assess(TinyModels.Snapshot(("documents.text", v3))).FindingKey;
        var kResent = Agent().Assess(TinyModels.Snapshot(("documents.text", resent))).FindingKey;
        var k4 = Agent().Assess(TinyModels.Snapshot(("documents.text", v4))).FindingKey;

        Assert.NotEmpty(k3);
        Assert.Equal(k3, kResent);
        Assert.NotEqual(k3, k4);
    }

    [Fact]
    public void Findings_AreTheDocumentAndEachCategory_SoFewerOfTheCategoriesAreNoNewFinding()
    {
        var all = Agent().Assess(TinyModels.Snapshot(("documents.text", NineClauses), ("documents.title", "Soylent Terms"), ("documents.docType", "terms")));
        var fewer = Agent().Assess(TinyModels.Snapshot(("documents.text", "We may terminate your account. Only Texas courts hear disputes."),
            ("documents.title", "Soylent Terms v2"), ("documents.docType", "terms")));

        Assert.Equal(["document:soylent terms\nunfair:arbitration", "document:soylent terms\nunfair:jurisdiction", "document:soylent terms\nunfair:unilateral termination"],
            all.Findings.Select(f => f.Key));
        Assert.All(all.Findings, f => Assert.InRange(f.Score, 0.6, 1));
        Assert.Equal(all.Score, all.Findings.Max(f => f.Score));
        Assert.Equal(["document:soylent terms\nunfair:jurisdiction", "document:soylent terms\nunfair:unilateral termination"], fewer.Findings.Select(f => f.Key));
        // The whole (the document and its set of categories) is still named: a mark an earlier build left for it holds it back.
        Assert.Equal("document:soylent terms\nunfair:arbitration\nunfair:jurisdiction\nunfair:unilateral termination", all.FindingKey);
    }

    private static string Key(string text, string? title = null, string? docType = null)
    {
        var fields = new List<(string, object)> { ("documents.text", text) };
        if (title is not null)
            fields.Add(("documents.title", title));
        if (docType is not null)
            fields.Add(("documents.docType", docType));
        var result = Agent().Assess(TinyModels.Snapshot([.. fields]));
        Assert.True(result.Fired);
        return result.FindingKey;
    }

    private const string Arbitration = "Welcome. Disputes go to arbitration in Delaware. Thank you.";

    [Theory]
    [InlineData("EU Terms", "US Terms")]
    [InlineData("Acme Cloud terms", "Acme Mobile terms")]
    [InlineData("Terms of Service", "Privacy Policy")]
    public void FindingKey_AnotherDocumentWithTheSameCategories_IsAnotherFinding(string first, string second) =>
        Assert.NotEqual(Key(Arbitration, first, "terms"), Key(Arbitration, second, "terms"));

    [Theory]
    [InlineData("Acme Cloud terms", "Acme Cloud terms")]
    [InlineData("Acme Cloud terms", "Acme Cloud terms v2")]
    [InlineData("Terms v3", "Terms v3 (resent)")]
    [InlineData("Acme_Terms_2025-01-15.pdf", "Acme Terms (updated March 2026).docx")]
    [InlineData("Acme Terms – draft", "ACME TERMS FINAL")]
    public void FindingKey_TheSameDocumentEditedOrAsANewVersion_IsTheSameFinding(string first, string second) =>
        Assert.Equal(Key(Arbitration, first, "terms"), Key(Arbitration.Replace("in Delaware", "in Texas", StringComparison.Ordinal), second, "terms"));

    [Fact]
    public void FindingKey_WithoutATitle_IsTheDocType_WithNeither_TheCategoriesAlone()
    {
        Assert.NotEqual(Key(Arbitration, docType: "terms"), Key(Arbitration, docType: "eula"));
        Assert.Equal(Key(Arbitration, docType: "terms"), Key(Arbitration, docType: "Terms"));
        Assert.Equal("unfair:arbitration", Key(Arbitration));
    }

    [Fact]
    public void FindingKey_ASecondDocumentNotInEnglish_IsAnotherFinding_TheSameOneAgainIsNot()
    {
        const string german = "Wir können diese Nutzungsbedingungen jederzeit und ohne vorherige Ankündigung ändern. Wir haften nicht für Schäden jeglicher Art, " +
            "einschließlich entgangenen Gewinns oder Datenverlusts. Wir können Ihr Konto jederzeit ohne Angabe von Gründen kündigen oder sperren. " +
            "Gerichtsstand für alle Streitigkeiten ist ausschließlich Dublin, Irland. Mit der Nutzung des Dienstes erklären Sie sich mit diesen Bedingungen einverstanden.";

        var agb = Key(german, "AGB", "terms");

        Assert.NotEqual(agb, Key(german, "Datenschutzerklärung", "terms"));
        Assert.Equal(agb, Key(german.Replace("Dublin", "Berlin", StringComparison.Ordinal), "AGB v2", "terms"));
    }
}
