using System.Text;
using AgentCrm.Agents.Compliance;
using AgentCrm.Agents.Customers;
using AgentCrm.Agents.Html;
using AgentCrm.Agents.Tests.Text;
using AgentCrm.Agents.Text;

namespace AgentCrm.Agents.Tests.Compliance;

/// <summary>
/// How the compliance check reads a document before judging it: a text in another script is not judged as English and
/// the brief names the script; HTML is read as the text it shows; a "checked in part" note names the limit that stopped
/// the reading and where; a sentence repeated is one finding.
/// </summary>
public sealed class ComplianceReadingTests
{
    private static readonly ComplianceCheckKind Kind = new();

    /// <summary>A compliance check over a tiny model: "arbitration", "terminate" and "courts" each make a sentence unfair, of their category.</summary>
    internal static IAgent Agent() => Kind.Create(ComplianceCheckKind.Template with
    {
        Threshold = 0.6,
        Parameters = TinyModels.Parameters([("model", TinyModels.Words(
            ("unfair", -3, [("arbitration", 6), ("terminate", 6), ("courts", 6)]),
            ("arbitration", -3, [("arbitration", 6)]),
            ("unilateral-termination", -3, [("terminate", 6)]),
            ("jurisdiction", -3, [("courts", 6)])))]),
    });

    private static CustomerSnapshot Doc(string text, string docType = "terms", string? title = "Terms") =>
        TinyModels.Snapshot([("documents.text", text), ("documents.docType", docType), .. title is null ? Array.Empty<(string, object)>() : [("documents.title", title)]]);

    private static List<string> Quotes(Assessment a) => [.. a.Reasons.Where(r => r.Weight > 0).Select(r => (string)r.Value!)];

    [Theory]
    [InlineData("Мы можем прекратить действие вашей учетной записи в любое время без уведомления. Все споры разрешаются в арбитраже в Дублине. " +
        "Мы не несем ответственности за любой ущерб, включая упущенную выгоду. Используя сервис, вы соглашаетесь с этими условиями.", "Cyrillic script")]
    [InlineData("我们可以随时终止您的账户，恕不另行通知。所有争议应提交都柏林仲裁解决。对于任何损失，包括利润损失，我们概不负责。使用本服务即表示您同意这些条款。" +
        "我们可以随时修改本条款。", "Chinese (Han) script")]
    [InlineData("Μπορούμε να τερματίσουμε τον λογαριασμό σας ανά πάσα στιγμή χωρίς προειδοποίηση. Όλες οι διαφορές επιλύονται με διαιτησία στο Δουβλίνο. " +
        "Δεν ευθυνόμαστε για οποιαδήποτε ζημία.", "Greek script")]
    public void TermsInAnotherScript_AreNotJudgedAsEnglish_TheBriefNamesTheScript(string text, string script)
    {
        // With "arbitration" (a Latin brand word) inside, the English model would still have found nothing to say: it read
        // these as English and judged them silently.
        text += " QuickApp arbitration courts terminate.";
        Assert.Equal(script, DocumentLanguage.NotEnglish(text));

        var result = Agent().Assess(Doc(text, title: "Условия"));

        Assert.True(result.Fired);
        var reason = Assert.Single(result.Reasons);
        Assert.Equal(script, reason.Value);
        Assert.StartsWith($"not checked: \"Условия\" is written in {script}, and the clause models were fitted on English text", reason.Explanation, StringComparison.Ordinal);
        Assert.Contains($"it is written in {script}", result.Headline, StringComparison.Ordinal);
    }

    [Fact]
    public void EnglishTerms_WithNamesInAnotherScript_AreJudgedAsUsual()
    {
        var text = "These terms are between you and ООО Яндекс Облако (Москва) and 北京云计算有限公司. " +
            "Any dispute shall be settled by binding arbitration in Delaware. We hope you enjoy the service, and we thank you for choosing us.";

        Assert.Null(DocumentLanguage.NotEnglish(text));
        Assert.Contains(Agent().Assess(Doc(text)).Reasons, r => r.Explanation.StartsWith("arbitration clause", StringComparison.Ordinal));
    }

    [Fact]
    public void TermsInALatinScriptLanguageTheCheckDidNotKnow_AreNotJudged()
    {
        const string polish = "Możemy w każdej chwili zmienić niniejsze warunki bez uprzedzenia. Nie ponosimy odpowiedzialności za jakiekolwiek szkody, w tym utratę danych lub zysków. " +
            "Możemy zamknąć lub zawiesić Twoje konto w dowolnym momencie i bez podania przyczyny. Wszelkie spory rozstrzyga wyłącznie sąd w Dublinie. Korzystając z usługi, akceptujesz te warunki i zgadzasz się na nie.";
        const string swedish = "Vi kan när som helst ändra dessa villkor utan föregående meddelande. Vi ansvarar inte för någon skada, inklusive förlust av data eller vinst. " +
            "Vi kan stänga eller stänga av ditt konto när som helst och utan att ange skäl. Alla tvister avgörs av domstol i Dublin och du godkänner att det är så.";

        Assert.Equal("Polish", DocumentLanguage.NotEnglish(polish));
        Assert.Equal("Swedish", DocumentLanguage.NotEnglish(swedish));
        Assert.StartsWith("not checked: \"Terms\" reads as Polish", Assert.Single(Agent().Assess(Doc(polish)).Reasons).Explanation, StringComparison.Ordinal);
    }

    private const string OneLineHtml = "<!DOCTYPE html><html><head><title>QuickApp Terms</title><style>p{margin:0}</style></head><body>" +
        "<h1>QuickApp Terms</h1><p>These terms govern your use of Quick&amp;App.</p><p>Any dispute goes to binding arbitration in Delaware.</p>" +
        "<p>We may terminate your account at will.</p><ul><li>The courts of Dublin decide&nbsp;all claims.</li></ul><p>We hope you enjoy it.</p></body></html>";

    [Fact]
    public void HtmlTerms_AreReadAsTheirText_EveryClauseFound_QuotesWithoutMarkup()
    {
        var result = Agent().Assess(Doc(OneLineHtml));
        var text = HtmlText.ToText(OneLineHtml);

        Assert.True(result.Fired);
        Assert.Equal(["Any dispute goes to binding arbitration in Delaware.", "The courts of Dublin decide all claims.", "We may terminate your account at will."],
            Quotes(result).Order(StringComparer.Ordinal));
        Assert.All(Quotes(result), q => Assert.Contains(q, text, StringComparison.Ordinal));
        Assert.Equal("QuickApp Terms\nThese terms govern your use of Quick&App.\nAny dispute goes to binding arbitration in Delaware.\n" +
            "We may terminate your account at will.\nThe courts of Dublin decide all claims.\nWe hope you enjoy it.\n", text);
    }

    [Fact]
    public void TextWithAnAngleBracketOrTwo_IsNotHtml_ADocTypeOfHtmlIs()
    {
        const string plain = "Fees rise when usage < 10 units or usage > 90 units. Any dispute goes to binding arbitration in Delaware.";

        Assert.False(HtmlText.IsHtml(plain));
        Assert.True(HtmlText.IsHtml("Intro<br>Any dispute goes to binding arbitration.<br/>"));
        Assert.Equal(["Any dispute goes to binding arbitration in Delaware."], Quotes(Agent().Assess(Doc(plain))));
        // Typed as HTML, a fragment without block tags is read as HTML too: its entity is decoded in the quote.
        Assert.Equal(["Disputes go to arbitration <in Delaware>."], Quotes(Agent().Assess(Doc("Disputes go to arbitration &lt;in Delaware&gt;.", "html"))));
    }

    [Fact]
    public void SentenceBoundStopsTheReading_BeforeTheIntakeCut_TheNoteNamesTheSentencesAndWhere()
    {
        // As intake keeps it: 200,000 characters, the clause first, short sentences after it, and a clause past the 5,000th sentence.
        var sb = new StringBuilder("Disputes go to arbitration in Delaware. ");
        for (var i = 0; sb.Length < CustomerState.MaxDocumentChars; i++)
            sb.Append(i == 6000 ? "We may terminate your account at will. " : "Note " + i + ". ");
        var text = sb.ToString()[..CustomerState.MaxDocumentChars];
        var stop = text.IndexOf("Note 4999.", StringComparison.Ordinal);

        Assert.Equal(SentenceSplitter.MaxSentences, SentenceSplitter.Split(text, out var read).Count);
        Assert.Equal(stop, read);

        var result = Agent().Assess(Doc(text));

        Assert.Equal(["Disputes go to arbitration in Delaware."], Quotes(result));
        var note = Assert.Single(result.Reasons, r => r.Weight == 0);
        Assert.Equal(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"checked in part: only the first 5,000 sentences were checked, up to character {stop:N0} of 200,000; the rest was not read (and the document had reached the intake limit: only its first 200,000 characters were kept)"), note.Explanation);
        Assert.Contains("(checked in part)", result.Headline, StringComparison.Ordinal);
    }

    [Fact]
    public void SentenceBoundReachedAtTheVeryEnd_IsNoCheckInPart()
    {
        var text = string.Concat(Enumerable.Range(0, SentenceSplitter.MaxSentences - 1).Select(i => $"Note {i}.\n")) + "Disputes go to arbitration in Delaware.\n";

        var result = Agent().Assess(Doc(text));

        Assert.True(result.Fired);
        Assert.DoesNotContain(result.Reasons, r => r.Explanation.StartsWith("checked in part", StringComparison.Ordinal));
    }

    [Fact]
    public void SentenceRepeated_IsQuotedOnce_WithHowManyTimes_NotCountedAsMoreFindings()
    {
        var text = string.Concat(Enumerable.Repeat("Disputes go to arbitration in Delaware.\n", 195)) + "We may terminate your account at will.\n";

        var result = Agent().Assess(Doc(text));

        Assert.Equal(2, Quotes(result).Count);
        Assert.Contains(result.Reasons, r => r.Explanation.StartsWith("arbitration clause (p ", StringComparison.Ordinal) && r.Explanation.Contains("; 195 times): \"Disputes go to arbitration in Delaware.\"", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Reasons, r => r.Explanation.StartsWith('+'));
        Assert.Contains("2 findings: ", result.Headline, StringComparison.Ordinal);
        Assert.DoesNotContain("×", result.Headline, StringComparison.Ordinal);
    }
}
