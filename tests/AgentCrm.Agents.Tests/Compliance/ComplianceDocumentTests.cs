using System.Text;
using AgentCrm.Agents.Compliance;
using AgentCrm.Agents.Customers;
using AgentCrm.Agents.Tests.Text;
using AgentCrm.Agents.Text;

namespace AgentCrm.Agents.Tests.Compliance;

/// <summary>
/// Which document the agent judged and how: the kind read from a free-form type, the title or the heading; a document it
/// cannot read said so; the finding that survives rewording; a headline a brief list can show.
/// </summary>
public sealed class ComplianceDocumentTests
{
    private static readonly ComplianceCheckKind Kind = new();

    private static TextModel Unfair() => TinyModels.Words(
        ("unfair", -3, [("arbitration", 6), ("terminate", 6), ("courts", 6)]),
        ("arbitration", -3, [("arbitration", 6)]),
        ("unilateral-termination", -3, [("terminate", 6)]),
        ("jurisdiction", -3, [("courts", 6)]));

    private static IAgent Agent(bool policy = false)
    {
        var clauses = TinyModels.Words(("non-compete", -3, [("compete", 6)]), ("cap-on-liability", -3, [("cap", 6)]));
        (string, object)[] extra = policy ? [("clauseModel", clauses), ("policy", new { require = new[] { "cap-on-liability" }, flag = new[] { "non-compete" } })] : [];
        return Kind.Create(ComplianceCheckKind.Template with { Threshold = 0.6, Parameters = TinyModels.Parameters([("model", Unfair()), .. extra]) });
    }

    private const string Mixed =
        "Any dispute shall be settled by binding arbitration in Delaware. Supplier shall not compete with Customer for five years.";

    private static CustomerSnapshot Doc(string text, string? docType = null, string? title = null)
    {
        var fields = new List<(string, object)> { ("documents.text", text) };
        if (docType is not null)
            fields.Add(("documents.docType", docType.ToLowerInvariant()));
        if (title is not null)
            fields.Add(("documents.title", title));
        return TinyModels.Snapshot([.. fields]);
    }

    private static (bool Unfair, bool Policy) Checks(Assessment a) => (
        a.Reasons.Any(r => r.Explanation.StartsWith("arbitration clause", StringComparison.Ordinal)),
        a.Reasons.Any(r => r.Explanation.StartsWith("risky clause present: Non-Compete", StringComparison.Ordinal)));

    [Theory]
    [InlineData("Master Services Agreement")]
    [InlineData("master-services_agreement")]
    [InlineData("license agreement")]
    [InlineData("Licence Agreement")]
    [InlineData("NDA")]
    [InlineData("Order Form")]
    [InlineData("Statement of Work")]
    [InlineData("Data Processing Addendum")]
    [InlineData("Software License")]
    public void DocType_ThatNamesABusinessContract_GetsThePolicyChecksOnly(string docType)
    {
        var result = Agent(policy: true).Assess(Doc(Mixed, docType));

        Assert.Equal((false, true), Checks(result));
        // A version without a policy leaves it alone rather than judge it as consumer terms.
        Assert.False(Agent().Assess(Doc(Mixed, docType)).Fired);
    }

    [Theory]
    [InlineData("Terms of Service")]
    [InlineData("terms_of_use")]
    [InlineData("Terms & Conditions")]
    [InlineData("EULA")]
    [InlineData("End User License Agreement")]
    [InlineData("User Agreement")]
    [InlineData("invoice")]
    public void DocType_ThatNamesTermsOrSomethingElse_GetsTheUnfairClauseModelOnly(string docType)
    {
        var result = Agent(policy: true).Assess(Doc(Mixed, docType));

        Assert.Equal((true, false), Checks(result));
    }

    [Theory]
    [InlineData("RFP")]
    [InlineData("tender notice")]
    [InlineData("Call-for-Tenders")]
    [InlineData("solicitation")]
    [InlineData("Request for Proposal (RFP)")]
    [InlineData("RFP_2026_network")]
    [InlineData("Invitation to Tender")]
    public void DocType_OfAProcurementNotice_IsLeftToTenderDetection_NeitherCheckRuns(string docType)
    {
        // tender-detection reads such a document as a notice; judged here, a call for tenders' "the supplier may terminate"
        // would be quoted to the CSM as an unfair clause of their customer's terms.
        Assert.False(Agent(policy: true).Assess(Doc(Mixed, docType)).Fired);
        Assert.False(Agent().Assess(Doc(Mixed, docType)).Fired);
    }

    [Theory]
    [InlineData("Ability services agreement", "", true, false)]
    [InlineData("Contoso MSA", "", true, false)]
    [InlineData(null, "EXHIBIT 4.25\nMASTER SERVICES AGREEMENT\n", true, false)]
    [InlineData("Master Subscription Agreement", "", true, false)]
    // Title lines as SEC exhibits (CUAD) print them: under a filing note, a page number, the parties' name, or after "Exhibit N".
    [InlineData(null, "* Confidential treatment has been requested for certain portions of this exhibit. Omitted portions have been filed separately.\n\n    SPONSORSHIP AGREEMENT\n", true, false)]
    [InlineData(null, "1\n\n     EXCLUSIVE DISTRIBUTOR AGREEMENT\n", true, false)]
    [InlineData(null, "Exhibit 4.23\n\nRise Education Group\n\nSERVICE AGREEMENT\n", true, false)]
    [InlineData(null, "Exhibit 10.12 CONSULTING AGREEMENT\n", true, false)]
    [InlineData("Dropbox Terms of Service", "", false, true)]
    [InlineData(null, "Acme Terms of Use\nPosted: April 17, 2018\n", false, true)]
    [InlineData(null, "", false, false)]
    [InlineData("Q3 upload", "", false, false)]
    public void UntypedDocument_TakesItsKindFromTheTitleOrHeading(string? title, string heading, bool contract, bool terms)
    {
        var result = Agent(policy: true).Assess(Doc(heading + Mixed, title: title));

        Assert.Equal((!contract, !terms), Checks(result));
        // Without a policy an untyped contract is left alone too: no consumer fixes for a business contract.
        Assert.Equal(!contract, Agent().Assess(Doc(heading + Mixed, title: title)).Fired);
    }

    [Theory]
    // A contents entry or a clause heading is a part of the document, not its name.
    [InlineData(null, "Contents\n1. Your account\n14. Arbitration Agreement\n", false)]
    [InlineData(null, "14. Arbitration Agreement\n", false)]
    [InlineData(null, "Section 14 Arbitration Agreement\n", false)]
    [InlineData(null, "(b) Subscriber Content Agreement\n", false)]
    // A heading after the first paragraph is a section's.
    [InlineData(null, "Welcome to Acme. By using Acme you accept these terms and the arbitration agreement below.\nArbitration Agreement\n", false)]
    // A subscription's or customer's agreement is a consumer's as often as a business's: both checks; a member's is terms.
    [InlineData(null, "Subscription Agreement\n", false)]
    [InlineData(null, "Acme Customer Agreement\n", false)]
    [InlineData("Subscription Agreement", "", false)]
    [InlineData(null, "Acme Membership Agreement\n", true)]
    public void UntypedConsumerTerms_WithAnAgreementLineThatIsNotABusinessContractsTitle_GetTheUnfairClauseModel(string? title, string heading, bool terms)
    {
        // Read as a contract, a version without a policy checked nothing at all.
        Assert.True(Agent().Assess(Doc(heading + Mixed, title: title)).Fired);
        Assert.Equal((true, !terms), Checks(Agent(policy: true).Assess(Doc(heading + Mixed, title: title))));
    }

    [Theory]
    [InlineData("Subscription Agreement")]
    [InlineData("customer_agreement")]
    public void DocType_OfASubscriptionOrCustomerAgreement_GetsBothChecks(string docType)
    {
        Assert.Equal((true, true), Checks(Agent(policy: true).Assess(Doc(Mixed, docType))));
        Assert.True(Agent().Assess(Doc(Mixed, docType)).Fired);
    }

    [Fact]
    public void FindingKey_AOneWordEdit_OrAnotherClauseOfACategoryFound_IsTheSameFinding_ANewCategoryIsNot()
    {
        const string terms = "We have the right to terminate your account. Disputes go to arbitration in Delaware. Thank you.";
        var key = Agent().Assess(Doc(terms, "terms")).FindingKey;

        var edited = Agent().Assess(Doc(terms.Replace("the right", "our right", StringComparison.Ordinal), "terms"));
        var another = Agent().Assess(Doc(terms + " Every claim ends in arbitration.", "terms"));
        var newCategory = Agent().Assess(Doc(terms + " Only Texas courts hear disputes.", "terms"));

        Assert.True(edited.Fired);
        Assert.Equal(key, edited.FindingKey);
        Assert.Equal(key, another.FindingKey);
        Assert.NotEqual(key, newCategory.FindingKey);
    }

    [Theory]
    [InlineData("Wir können diese Nutzungsbedingungen jederzeit und ohne vorherige Ankündigung ändern. Wir haften nicht für Schäden jeglicher Art, einschließlich entgangenen Gewinns oder Datenverlusts. " +
        "Wir können Ihr Konto jederzeit ohne Angabe von Gründen kündigen oder sperren. Gerichtsstand für alle Streitigkeiten ist ausschließlich Dublin, Irland. Mit der Nutzung des Dienstes erklären Sie sich mit diesen Bedingungen einverstanden.", "German")]
    [InlineData("Nous pouvons modifier les présentes conditions à tout moment sans préavis. Nous ne serons en aucun cas responsables des dommages indirects, de la perte de données ou de profits. " +
        "Nous pouvons résilier votre compte à tout moment, sans motif ni préavis. En utilisant le service, vous acceptez d'être lié par les présentes conditions.", "French")]
    public void DocumentNotInEnglish_IsNotJudged_TheBriefSaysSoAndNamesIt(string text, string language)
    {
        var result = Agent().Assess(Doc(text, "terms", "AGB"));

        Assert.True(result.Fired);
        Assert.Equal(0.6, result.Score);
        var reason = Assert.Single(result.Reasons);
        Assert.Equal(language, reason.Value);
        Assert.StartsWith($"not checked: \"AGB\" reads as {language}", reason.Explanation, StringComparison.Ordinal);
        Assert.Contains("not checked", result.Headline, StringComparison.Ordinal);
        Assert.Contains("review \"AGB\" by hand", result.NextStep, StringComparison.Ordinal);
        // A contract that this version does not check anyway stays quiet, in any language.
        Assert.False(Agent().Assess(Doc(text, "contract", "AGB")).Fired);
    }

    [Fact]
    public void EnglishDocuments_AndListsOfNames_AreJudgedAsUsual()
    {
        var names = string.Join(", ", Enumerable.Range(0, 40).Select(i => $"Müller{i} GmbH")) + ". Disputes go to arbitration in Delaware.";

        Assert.Null(DocumentLanguage.NotEnglish(names));
        Assert.True(Agent().Assess(Doc(names, "terms")).Fired);
    }

    [Fact]
    public void DocumentCutAtIntake_TheBriefSaysOnlyItsStartWasChecked()
    {
        var sb = new StringBuilder("Disputes go to arbitration in Delaware.\n");
        // Sentences long enough that the cut comes before the splitter's 5,000 sentences (with 30-character ones, the
        // splitter stopped first, and the note named the wrong limit).
        while (sb.Length < CustomerState.MaxDocumentChars)
            sb.Append("We hope you enjoy the service, and we thank you for choosing us today.\n");
        var cut = sb.ToString()[..CustomerState.MaxDocumentChars];

        var result = Agent().Assess(Doc(cut, "terms", "Three terms concatenated"));
        var whole = Agent().Assess(Doc("Disputes go to arbitration in Delaware.", "terms"));

        Assert.True(result.Fired);
        var note = Assert.Single(result.Reasons, r => r.Explanation.StartsWith("checked in part: only the first 200,000 characters were checked", StringComparison.Ordinal));
        Assert.Equal(0, note.Weight);
        Assert.Contains("(checked in part)", result.Headline, StringComparison.Ordinal);
        Assert.DoesNotContain(whole.Reasons, r => r.Explanation.StartsWith("checked in part", StringComparison.Ordinal));
    }

    [Fact]
    public void Headline_NamesTheDocument_CountsByCategory_AndStaysShort()
    {
        var clauses = string.Concat(Enumerable.Range(0, 30).Select(i => $"Clause {i}: disputes go to arbitration. We may terminate at will {i}. The courts of Austin{i} decide. "));
        var result = Agent().Assess(Doc(clauses, "terms", "Dropbox Terms of Service"));

        Assert.True(result.Fired);
        Assert.True(result.Headline.Length <= 200, result.Headline);
        Assert.StartsWith("Compliance check ", result.Headline, StringComparison.Ordinal);
        Assert.Contains("\"Dropbox Terms of Service\" (customer-facing terms), 90 findings: ", result.Headline, StringComparison.Ordinal);
        Assert.Contains("×30", result.Headline, StringComparison.Ordinal);
        Assert.Contains("(\"Dropbox Terms of Service\")", result.NextStep, StringComparison.Ordinal);
        // The line counting what was not quoted adds nothing to the score: weight 0, not the strongest unquoted one's.
        var more = Assert.Single(result.Reasons, r => r.Explanation.StartsWith("+85 more findings", StringComparison.Ordinal));
        Assert.Equal(0, more.Weight);
    }

    [Fact]
    public void Headline_ManyCategories_EndsWithHowManyMoreThereAre()
    {
        var long1 = new string('x', 150);
        var model = TinyModels.Words(
            ("unfair", -3, [("a", 6), ("b", 6), ("c", 6), ("d", 6)]),
            ("arbitration", -3, [("a", 6)]), ("jurisdiction", -3, [("b", 6)]), ("choice-of-law", -3, [("c", 6)]), ("content-removal", -3, [("d", 6)]));
        var agent = Kind.Create(ComplianceCheckKind.Template with { Threshold = 0.6, Parameters = TinyModels.Parameters(("model", model)) });

        var result = agent.Assess(Doc("Here is a. Here is b. Here is c. Here is d.", "terms", long1));

        Assert.True(result.Headline.Length <= 200, result.Headline);
        Assert.Matches(@"\+\d more categor(y|ies)$", result.Headline);
    }
}
