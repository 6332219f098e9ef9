using System.Text;
using AgentCrm.Agents.Compliance;
using AgentCrm.Agents.Customers;
using AgentCrm.Agents.Tests.Text;

namespace AgentCrm.Agents.Tests.Compliance;

/// <summary>
/// What the compliance check did not read, it says even when it found nothing in what it read (qa43b F1): a document read
/// only in part (intake's cut, the splitter's bound) gets a brief that says so, as a document wholly in another language does.
/// </summary>
public sealed class CompliancePartlyReadTests
{
    private static readonly ComplianceCheckKind Kind = new();

    private static IAgent Agent() => Kind.Create(ComplianceCheckKind.Template with
    {
        Threshold = 0.6,
        Parameters = TinyModels.Parameters([("model", TinyModels.Words(
            ("unfair", -3, [("arbitration", 6), ("terminate", 6), ("courts", 6)]),
            ("arbitration", -3, [("arbitration", 6)]),
            ("unilateral-termination", -3, [("terminate", 6)]),
            ("jurisdiction", -3, [("courts", 6)])))]),
    });

    private static CustomerSnapshot Doc(string text, string title = "Many Terms") =>
        TinyModels.Snapshot(("documents.text", text), ("documents.docType", "terms"), ("documents.title", title));

    private const string English = "Vandelay Terms of Service\n\n1. Service. Vandelay provides import and export tracking software for small businesses in Europe.\n" +
        "2. Support. Our support team answers questions by email within two business days.\n" +
        "3. Refunds. You may cancel at any time and we will refund the unused part of any prepaid fee.\n" +
        "4. Your data. You own your data, and you can export it in CSV format whenever you like.\n";

    [Fact]
    public void CleanDocumentCutAtIntake_GetsABriefSayingNothingWasFoundInWhatWasRead_AndWhatWasNot()
    {
        var sb = new StringBuilder();
        while (sb.Length < CustomerState.MaxDocumentChars)
            sb.Append("Our support team answers every question by email within two business days.\n");

        var result = Agent().Assess(Doc(sb.ToString()[..CustomerState.MaxDocumentChars], "Longtail Terms"));

        Assert.True(result.Fired);
        Assert.Equal(0.6, result.Score);
        Assert.All(result.Reasons, r => Assert.Equal(0, r.Weight));
        Assert.Equal([
            "nothing found in the 2,667 sentences checked, by the unfair-clause model",
            "checked in part: only the first 200,000 characters were checked (the document reached the intake limit, and the rest of it was cut and not read)"],
            result.Reasons.Select(r => r.Explanation));
        Assert.Equal("Compliance check: \"Longtail Terms\" (customer-facing terms) checked in part, nothing found — the text past character 200,000 was not read", result.Headline);
        Assert.Equal("Have legal review by hand what was not checked of \"Longtail Terms\": the text past character 200,000 was not read.", result.NextStep);
    }

    [Fact]
    public void CleanDocumentPastTheSplittersBound_GetsABriefNamingTheSentencesRead()
    {
        var text = "Acme Terms of Service\n\n" + string.Concat(Enumerable.Range(0, 6000).Select(i => $"Clause {i} applies. ")) + "\nWe may terminate your account at will.\n";

        var result = Agent().Assess(Doc(text));

        Assert.True(result.Fired);
        Assert.Contains(result.Reasons, r => r.Explanation.StartsWith("checked in part: only the first 5,000 sentences were checked, up to character ", StringComparison.Ordinal));
        Assert.Contains("checked in part, nothing found — the text past sentence 5,000 was not read", result.Headline, StringComparison.Ordinal);
        Assert.StartsWith("Have legal review by hand what was not checked of \"Many Terms\"", result.NextStep, StringComparison.Ordinal);
    }

    [Fact]
    public void CleanShortDocument_StillGetsNoBrief()
    {
        var result = Agent().Assess(Doc(English));

        Assert.False(result.Fired);
        Assert.Empty(result.Reasons);
    }

    [Fact]
    public void PartlyReadBrief_IsItsOwnFindingPerDocument()
    {
        var sb = new StringBuilder();
        for (var i = 0; i < 6000; i++)
            sb.Append("Clause ").Append(i).Append(" applies. ");
        var text = sb.ToString();

        var many = Agent().Assess(Doc(text));
        var again = Agent().Assess(Doc(text + "Clause 6000 applies."));
        var other = Agent().Assess(Doc(text, "Other Terms"));

        Assert.Equal("document:many terms\nunread:rest", many.FindingKey);
        Assert.Equal(many.FindingKey, again.FindingKey);
        Assert.NotEqual(many.FindingKey, other.FindingKey);
    }


}
