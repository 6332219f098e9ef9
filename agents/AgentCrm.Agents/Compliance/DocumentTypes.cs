namespace AgentCrm.Agents.Compliance;

/// <summary>What a document is, as far as the checks go.</summary>
internal enum DocumentKind
{
    /// <summary>
    /// Neither the type, the title nor the title line says, or the name is a subscription's or customer's agreement (a
    /// consumer's as often as a business's): both checks run.
    /// </summary>
    Unknown,

    /// <summary>A business contract (MSA, SOW, order form, DPA, NDA, licence agreement…): the policy checks only.</summary>
    Contract,

    /// <summary>Customer-facing terms (terms of service or use, EULA, user agreement…): the unfair-clause model only.</summary>
    Terms,

    /// <summary>Typed, but neither of the above: the unfair-clause model only, as for terms.</summary>
    Other,

    /// <summary>
    /// A procurement notice sent as a document (<c>docType</c> rfp, tender, solicitation… — <see cref="Customers.CustomerTimeline.IsNoticeType"/>):
    /// tender-detection's to read; neither check runs (a call for tenders is no contract or terms to judge).
    /// </summary>
    Notice,
}

/// <summary>
/// Reads a document's kind from its <c>docType</c>, else its title, else its own title line at the top of the text
/// (<see cref="DocumentHeading"/>: not a contents entry, a clause heading or a heading after the first paragraph). A name is compared
/// in lower case with hyphens, underscores, slashes and dots as spaces and <c>&amp;</c> as "and", so <c>Master-Services
/// Agreement</c>, <c>master_services_agreement</c> and <c>MSA</c> are one type. Terms are tried first, because some of
/// their names end in "agreement" (end user licence agreement, user agreement). A <c>docType</c> that is neither is
/// <see cref="DocumentKind.Other"/>; a title or heading that is neither says nothing.
/// </summary>
internal static class DocumentTypes
{
    /// <summary>Phrases that make a name customer-facing terms, wherever they stand in it.</summary>
    private static readonly string[] TermsPhrases =
    [
        "terms", "tos", "terms of service", "terms of use", "terms and conditions", "conditions of use", "general conditions",
        "eula", "end user license agreement", "end user licence agreement", "user agreement", "acceptable use policy", "privacy policy",
        "subscriber agreement", "customer terms", "membership agreement", "member agreement",
    ];

    /// <summary>
    /// Words that make an agreement's name a consumer's as often as a business's ("Subscription Agreement", "Customer
    /// Agreement"): such a name says neither, unless it also holds a contract phrase ("Master Subscription Agreement").
    /// </summary>
    private static readonly HashSet<string> EitherWords = new(["subscription", "customer"], StringComparer.Ordinal);

    /// <summary>Names (whole) and words (anywhere in a name) of business contracts.</summary>
    private static readonly HashSet<string> ContractWords = new(
        ["contract", "contracts", "agreement", "msa", "sow", "dpa", "nda", "addendum", "amendment", "sla", "mou"], StringComparer.Ordinal);

    private static readonly string[] ContractPhrases =
    [
        "order form", "statement of work", "purchase order", "master services", "master service", "data processing",
        "non disclosure", "service level", "memorandum of understanding", "letter of intent", "master subscription", "master agreement",
    ];

    /// <summary>The kind of the latest document: its type when given, else its title's, else its heading's.</summary>
    public static DocumentKind Of(string? docType, string? title, string text)
    {
        if (Customers.CustomerTimeline.IsNoticeType(docType))
            return DocumentKind.Notice;
        if (Normalize(docType) is { Length: > 0 } type)
            return Classify(type) ?? DocumentKind.Other;
        if (Normalize(title) is { Length: > 0 } t && Classify(t) is { } fromTitle)
            return fromTitle;
        return DocumentHeading.KindOf(text);
    }

    /// <summary>Whether a <c>docType</c> names a business contract.</summary>
    public static bool IsContract(string? docType) => Normalize(docType) is { Length: > 0 } t && Classify(t) == DocumentKind.Contract;

    /// <summary>
    /// The kind a name says: terms, a contract, <see cref="DocumentKind.Unknown"/> for an agreement named for a
    /// subscription or a customer (both checks run), or null when it says nothing.
    /// </summary>
    public static DocumentKind? Classify(string normalized)
    {
        var padded = " " + normalized + " ";
        if (TermsPhrases.Any(p => padded.Contains(" " + p + " ", StringComparison.Ordinal)))
            return DocumentKind.Terms;
        var words = normalized.Split(' ');
        if (ContractPhrases.Any(p => padded.Contains(" " + p + " ", StringComparison.Ordinal)))
            return DocumentKind.Contract;
        if (words.Any(EitherWords.Contains) && words.Any(w => w is "agreement" or "contract"))
            return DocumentKind.Unknown;
        if (words.Any(ContractWords.Contains) || words.Any(w => w is "license" or "licence" or "licensing"))
            return DocumentKind.Contract;
        return null;
    }

    /// <summary>Whether a normalised line ends with a terms name of two words or more ("Acme Terms of Use"; "terms" alone is a heading of any text).</summary>
    public static bool EndsWithTermsPhrase(string normalized) =>
        TermsPhrases.Any(p => p.Contains(' ', StringComparison.Ordinal) && (normalized == p || normalized.EndsWith(" " + p, StringComparison.Ordinal)));

    /// <summary>Lower case; hyphens, underscores, slashes, dots and other punctuation as spaces; <c>&amp;</c> as "and"; single spaces.</summary>
    public static string Normalize(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
            return "";
        var chars = name.ToLowerInvariant().Replace("&", " and ", StringComparison.Ordinal)
            .Select(c => char.IsLetterOrDigit(c) ? c : ' ').ToArray();
        return string.Join(' ', new string(chars).Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>What a brief calls the kind.</summary>
    public static string NameOf(DocumentKind kind) => kind switch
    {
        DocumentKind.Contract => "business contract",
        DocumentKind.Terms => "customer-facing terms",
        _ => "document",
    };
}
