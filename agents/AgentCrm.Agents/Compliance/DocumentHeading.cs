using System.Text.RegularExpressions;

namespace AgentCrm.Agents.Compliance;

/// <summary>
/// The kind an untyped, untitled document's own title line says: the first name line at the top, before the body
/// begins. Contents entries and clause headings ("14. Arbitration Agreement", "Section 9 — Subscription Agreement")
/// and headings after the first paragraph are parts of the document, not its name, so they say nothing; read as the
/// name, they made consumer terms a contract, which a version without a policy then left unchecked.
/// </summary>
internal static partial class DocumentHeading
{
    /// <summary>How many characters of the text are searched for the title line.</summary>
    public const int Window = 2_000;

    /// <summary>The longest line (normalised) that can be a title; a longer one is a paragraph.</summary>
    private const int MaxTitle = 80;

    /// <summary>First words of filing notes printed above a title (SEC exhibits: "Exhibit 10.1", "Confidential treatment requested…").</summary>
    private static readonly HashSet<string> NoteWords = new(
        ["exhibit", "schedule", "annex", "appendix", "attachment", "confidential", "execution", "table"], StringComparer.Ordinal);

    /// <summary>
    /// <see cref="DocumentKind.Contract"/> or <see cref="DocumentKind.Terms"/> when the title line names one, else
    /// <see cref="DocumentKind.Unknown"/>: a text of one line (a sentence, as case sets of sentences hold) has no title line.
    /// </summary>
    public static DocumentKind KindOf(string text)
    {
        var lines = text[..Math.Min(text.Length, Window)].Split('\n');
        foreach (var raw in lines.Take(lines.Length - 1))
        {
            var line = raw.Trim();
            var l = DocumentTypes.Normalize(line);
            if (l.Length == 0)
                continue;
            // A numbered entry or clause heading, or the first paragraph: the contents or the body has begun, and the title was not above it.
            // Page numbers and dates ("1 April, 2020") are skipped, and so are filing notes over a title ("* Confidential treatment…").
            if (Numbered().IsMatch(line))
                return DocumentKind.Unknown;
            if (char.IsDigit(l[0]))
                continue;
            if (IsParagraph(line, l))
            {
                if (IsNote(line, l))
                    continue;
                return DocumentKind.Unknown;
            }
            if (KindOfName(l) is { } kind)
                return kind;
        }
        return DocumentKind.Unknown;
    }

    /// <summary>
    /// What a title line ending in a document's name says: terms for "… Terms of Service/Use", "… Terms and Conditions";
    /// for "… Agreement", "… Contract", "… Addendum" what the whole name says — a consumer agreement (user, membership) is
    /// terms, a subscription or customer agreement unknown (consumer and business ones share the name), others a contract.
    /// </summary>
    private static DocumentKind? KindOfName(string l)
    {
        if (DocumentTypes.EndsWithTermsPhrase(l))
            return DocumentKind.Terms;
        var last = l[(l.LastIndexOf(' ') + 1)..];
        if (last is "agreement" or "contract" or "addendum" && !l.StartsWith("this ", StringComparison.Ordinal))
            return DocumentTypes.Classify(l) ?? DocumentKind.Contract;
        return null;
    }

    private static bool IsNote(string line, string l) =>
        line[0] is '*' or '[' || NoteWords.Contains(l[..(l.IndexOf(' ') is var i and >= 0 ? i : l.Length)]);

    /// <summary>A line of the body: longer than a title, or a sentence of four words or more.</summary>
    private static bool IsParagraph(string line, string l) =>
        l.Length > MaxTitle || line[^1] is '.' or '!' or '?' or ';' && l.Split(' ').Length >= 4;

    /// <summary>"14. ", "3.2 ", "(a) ", "iv) ", "B. ", "Section 9", "Article XIV", "Clause 3", "§ 4".</summary>
    [GeneratedRegex(@"^(\(?(\d{1,3}(\.\d{1,3})*|[ivxlc]{1,6}|[a-z])[.)]\s|\d{1,3}(\.\d{1,3})+\s|(section|article|clause|part)\s+[\divxlc]+\b|§)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Numbered();
}
