using System.Text.Json;
using AgentCrm.Agents.Compliance;
using AgentCrm.Agents.Tests.Text;
using AgentCrm.Agents.Text;

namespace AgentCrm.Agents.Tests.Compliance;

public sealed class ComplianceAgentTests
{
    private static readonly ComplianceCheckKind Kind = new();

    private static TextModel Unfair() => TinyModels.Words(
        ("unfair", -3, [("arbitration", 6), ("terminate", 5), ("discretion", 2)]),
        ("arbitration", -3, [("arbitration", 6)]),
        ("unilateral-termination", -3, [("terminate", 6)]));

    private static AgentManifest Manifest(params (string Key, object Value)[] extra) => ComplianceCheckKind.Template with
    {
        Threshold = 0.6,
        Parameters = TinyModels.Parameters([("model", Unfair()), .. extra]),
    };

    private const string Terms =
        "Welcome to Acme. We provide the service as described. Any dispute shall be settled by binding arbitration in Delaware. " +
        "We may terminate your account at our sole discretion. Thank you for reading.";

    [Fact]
    public void UnfairSentences_Fire_QuotedStrongestFirst_WithCategoryAndFix()
    {
        var agent = Kind.Create(Manifest());

        var result = agent.Assess(TinyModels.Snapshot(("documents.text", Terms)));

        Assert.True(result.Fired);
        Assert.Equal(2, result.Reasons.Count);
        var first = result.Reasons[0];
        Assert.Equal("documents.text", first.Field);
        Assert.Equal("Any dispute shall be settled by binding arbitration in Delaware.", first.Value);
        Assert.StartsWith("arbitration clause (p ", first.Explanation, StringComparison.Ordinal);
        Assert.Equal(["ev-1"], first.EventIds);
        Assert.Equal("We may terminate your account at our sole discretion.", result.Reasons[1].Value);
        Assert.StartsWith("unilateral termination clause", result.Reasons[1].Explanation, StringComparison.Ordinal);
        Assert.True(first.Weight > result.Reasons[1].Weight);
        Assert.Equal(first.Weight, result.Score);
        Assert.Contains("arbitration optional", result.NextStep, StringComparison.Ordinal);
    }

    [Fact]
    public void FairText_DoesNotFire_AndQuotesNothing()
    {
        var result = Kind.Create(Manifest()).Assess(TinyModels.Snapshot(("documents.text", "Welcome to Acme. You can cancel at any time and get a refund.")));

        Assert.False(result.Fired);
        Assert.Empty(result.Reasons);
        Assert.True(result.Score < 0.6);
    }

    [Fact]
    public void NoDocument_DoesNotFire()
    {
        Assert.Equal(Assessment.None, Kind.Create(Manifest()).Assess(TinyModels.Snapshot(("documents.docType", "terms"))));
    }

    [Fact]
    public void Ensemble_AveragesUnfairWithTheBestCategory()
    {
        var plain = Kind.Create(Manifest()).Assess(TinyModels.Snapshot(("documents.text", "We may terminate at our discretion.")));
        var ensemble = Kind.Create(Manifest(("ensemble", true))).Assess(TinyModels.Snapshot(("documents.text", "We may terminate at our discretion.")));

        var unfair = 1 / (1 + Math.Exp(-(-3 + (5 + 2) / Math.Sqrt(2))));
        var termination = 1 / (1 + Math.Exp(-(-3 + 6 / Math.Sqrt(2))));
        Assert.Equal(Math.Round(unfair, 4), plain.Score);
        Assert.Equal(Math.Round((unfair + termination) / 2, 4), ensemble.Score);
    }

    [Fact]
    public void LogitEnsemble_WeighsTheUnfairLogitByItsShare_AndRejectsABadShare()
    {
        var snapshot = TinyModels.Snapshot(("documents.text", "We may terminate at our discretion."));
        var even = Kind.Create(Manifest(("ensemble", "logit"))).Assess(snapshot);
        var weighted = Kind.Create(Manifest(("ensemble", "logit"), ("ensembleShare", 0.25))).Assess(snapshot);

        var unfair = -3 + (5 + 2) / Math.Sqrt(2);
        var termination = -3 + 6 / Math.Sqrt(2);
        Assert.Equal(Math.Round(1 / (1 + Math.Exp(-(unfair + termination) / 2)), 4), even.Score);
        Assert.Equal(Math.Round(1 / (1 + Math.Exp(-(0.25 * unfair + 0.75 * termination))), 4), weighted.Score);
        Assert.StartsWith("unilateral termination clause", weighted.Reasons[0].Explanation, StringComparison.Ordinal);
        Assert.Contains("parameters.ensembleShare", Assert.Throws<ManifestException>(() => Kind.Create(Manifest(("ensemble", "logit"), ("ensembleShare", 2)))).Errors.Keys);
        Assert.Contains("parameters.ensemble", Assert.Throws<ManifestException>(() => Kind.Create(Manifest(("ensemble", "median")))).Errors.Keys);
    }

    [Fact]
    public void Policy_FlagsMissingRequiredClauses_AndQuotesRiskyOnes()
    {
        var clauses = TinyModels.Words(("cap-on-liability", -3, [("cap", 6)]), ("non-compete", -3, [("compete", 6)]));
        var agent = Kind.Create(Manifest(("clauseModel", clauses), ("policy", new { require = new[] { "cap-on-liability" }, flag = new[] { "non-compete" } })));

        var result = agent.Assess(TinyModels.Snapshot(("documents.text", "The parties agree as follows. Supplier shall not compete with Customer for five years.")));

        Assert.True(result.Fired);
        Assert.Contains(result.Reasons, r => r.Value is null && r.Explanation == "required clause missing: Cap on Liability (policy; contract terms playbook §11 Cap on liability)");
        var risky = Assert.Single(result.Reasons, r => r.Explanation.StartsWith("risky clause present: Non-Compete (score ", StringComparison.Ordinal));
        Assert.Equal("Supplier shall not compete with Customer for five years.", risky.Value);
        Assert.EndsWith("; contract terms playbook §14 Non-compete): \"Supplier shall not compete with Customer for five years.\"", risky.Explanation, StringComparison.Ordinal);
        Assert.Contains("add the standard cap on liability", result.NextStep, StringComparison.Ordinal);
        Assert.Contains("limit it to the contract's product line", result.NextStep, StringComparison.Ordinal);

        var compliant = agent.Assess(TinyModels.Snapshot(("documents.text", "Liability is subject to a cap of the fees paid.")));
        Assert.False(compliant.Fired);
        Assert.Empty(compliant.Reasons);
    }

    [Theory]
    [InlineData("contract", false, true)]
    [InlineData("MSA", false, true)]
    [InlineData("terms", true, false)]
    [InlineData(null, true, true)]
    public void DocumentType_RoutesTheChecks_ContractsGetThePolicy_TermsTheUnfairClauseModel(string? docType, bool unfairChecked, bool policyChecked)
    {
        var clauses = TinyModels.Words(("non-compete", -3, [("compete", 6)]));
        var agent = Kind.Create(Manifest(("clauseModel", clauses), ("policy", new { flag = new[] { "non-compete" } })));
        var text = "Any dispute shall be settled by binding arbitration in Delaware. Supplier shall not compete with Customer for five years.";
        // The timeline keeps document types in lower case; the snapshot field is what the agent sees.
        var snapshot = docType is null
            ? TinyModels.Snapshot(("documents.text", text))
            : TinyModels.Snapshot(("documents.text", text), ("documents.docType", docType.ToLowerInvariant()));

        var result = agent.Assess(snapshot);

        Assert.True(result.Fired);
        Assert.Equal(unfairChecked, result.Reasons.Any(r => r.Explanation.StartsWith("arbitration clause", StringComparison.Ordinal)));
        Assert.Equal(policyChecked, result.Reasons.Any(r => r.Explanation.StartsWith("risky clause present: Non-Compete", StringComparison.Ordinal)));
    }

    /// <summary>A version without a policy (the built-in) was gated on consumer terms only: it does not judge business contracts as terms.</summary>
    [Theory]
    [InlineData("contract", false)]
    [InlineData("msa", false)]
    [InlineData("terms", true)]
    [InlineData(null, true)]
    public void WithoutAPolicy_ContractsAreLeftAlone_TermsAndUntypedDocumentsAreJudged(string? docType, bool judged)
    {
        var agent = Kind.Create(Manifest());
        const string text = "Any dispute shall be settled by binding arbitration in Delaware.";
        var snapshot = docType is null
            ? TinyModels.Snapshot(("documents.text", text))
            : TinyModels.Snapshot(("documents.text", text), ("documents.docType", docType));

        var result = agent.Assess(snapshot);

        Assert.Equal(judged, result.Fired);
        Assert.Equal(judged, result.Reasons.Any(r => r.Explanation.StartsWith("arbitration clause", StringComparison.Ordinal)));
    }

    [Fact]
    public void Policy_AFlaggedClauseFiresAtItsClassThreshold_EvenBelowTheAgentThreshold()
    {
        // "compete" alone: logit -3 + 2 = -1, p 0.269 — under the agent's 0.6, over a class threshold of 0.1.
        static TextModel Clauses(double threshold)
        {
            var words = TinyModels.Words(("non-compete", -3, [("compete", 2)]));
            return new TextModel(words.Vocabulary, words.Classes.Select(c => c with { Threshold = threshold }).ToList());
        }
        var contract = TinyModels.Snapshot(("documents.text", "Supplier shall not compete."), ("documents.docType", "contract"));
        var p = 1 / (1 + Math.Exp(1));

        var flagged = Kind.Create(Manifest(("clauseModel", Clauses(0.1)), ("policy", new { flag = new[] { "non-compete" } }))).Assess(contract);
        var below = Kind.Create(Manifest(("clauseModel", Clauses(0.3)), ("policy", new { flag = new[] { "non-compete" } }))).Assess(contract);

        Assert.True(flagged.Fired);
        Assert.Equal(Math.Round(0.6 + 0.4 * (p - 0.1) / 0.9, 4), flagged.Score);
        // The brief shows the score on the agent's scale, not the class's own probability (0.27 against its threshold 0.1).
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"(score {flagged.Score:0.00};"), Assert.Single(flagged.Reasons).Explanation, StringComparison.Ordinal);
        Assert.False(below.Fired);
        Assert.Empty(below.Reasons);
        // Still ranked by the same scale for reports: under the agent's threshold, in proportion.
        Assert.Equal(Math.Round(0.6 * p / 0.3, 4), below.Score);
    }

    [Fact]
    public void Policy_OnACategoryWithoutItsOwnPlaybookSection_CitesTheGeneralPolicySection()
    {
        var clauses = TinyModels.Words(("audit-rights", -3, [("audit", 6)]), ("exclusivity", -3, [("exclusive", 6)]));
        var agent = Kind.Create(Manifest(("clauseModel", clauses), ("policy", new { require = new[] { "audit-rights" }, flag = new[] { "exclusivity" } })));

        var result = agent.Assess(TinyModels.Snapshot(("documents.text", "Distributor is the exclusive reseller in France. Prices are in euros.")));

        Assert.Contains(result.Reasons, r => r.Explanation == "required clause missing: Audit Rights (policy; contract terms playbook §10 Policy checks on business contracts)");
        var risky = Assert.Single(result.Reasons, r => r.Explanation.StartsWith("risky clause present: Exclusivity (score ", StringComparison.Ordinal));
        Assert.Equal("Distributor is the exclusive reseller in France.", risky.Value);
        Assert.Contains("add the standard Audit Rights clause from the clause library", result.NextStep, StringComparison.Ordinal);
    }

    [Fact]
    public void BadParameters_AreRejectedWithTheirPaths()
    {
        var noUnfair = TinyModels.Words(("arbitration", 0, [("arbitration", 1)]));
        var manifest = ComplianceCheckKind.Template with
        {
            Parameters = TinyModels.Parameters(("model", noUnfair), ("policy", new { require = new[] { "cap-on-liability" } }), ("maxQuotes", 0), ("colour", "red")),
        };

        var ex = Assert.Throws<ManifestException>(() => Kind.Create(manifest));

        Assert.Contains("parameters.model.classes", ex.Errors.Keys);
        Assert.Contains("parameters.policy.require[0]", ex.Errors.Keys);
        Assert.Contains("parameters.maxQuotes", ex.Errors.Keys);
        Assert.Contains("parameters.colour", ex.Errors.Keys);
        Assert.Throws<ManifestException>(() => Kind.Create(Manifest() with { Reads = ["documents.title"] }));
        Assert.Contains("parameters.model", Assert.Throws<ManifestException>(() => Kind.Create(ComplianceCheckKind.Template)).Errors.Keys);
    }

    [Fact]
    public void BuiltIn_CarriesTheFittedModel_AndFindsAClassicUnfairClause()
    {
        var builtIn = Kind.BuiltIn;
        Assert.Equal("compliance-check", builtIn.Id);
        Assert.Equal("1.0.0", builtIn.Version);
        var model = TextModel.FromJson(builtIn.Parameters["model"]);
        Assert.Contains(model.Classes, c => c.Name == "unfair");
        Assert.Contains(model.Classes, c => c.Name == "limitation-of-liability");

        var agent = Kind.Create(builtIn);
        var result = agent.Assess(TinyModels.Snapshot(("documents.text",
            "Welcome to our service. To the fullest extent permitted by law, we shall not be liable for any indirect, incidental or consequential damages, loss of data or profits. " +
            "We may modify these terms at any time without notice and your continued use constitutes acceptance.")));
        Assert.True(result.Fired, $"score {result.Score} at threshold {builtIn.Threshold}");
        Assert.Contains(result.Reasons, r => r.Explanation.StartsWith("limitation of liability clause", StringComparison.Ordinal));
        Assert.False(agent.Assess(TinyModels.Snapshot(("documents.text", "Welcome to our service. We hope you enjoy the music."))).Fired);
        Assert.True(JsonSerializer.Serialize(builtIn.Parameters).Length < 3_000_000);
    }
}
