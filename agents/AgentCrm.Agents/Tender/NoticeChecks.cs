using System.Text;
using System.Text.RegularExpressions;

namespace AgentCrm.Agents.Tender;

/// <summary>
/// What makes a matched notice not an open call from this customer: an award or result notice (a contract already
/// given), or a buyer that is plainly another organisation than the customer it was filed under.
/// </summary>
internal static partial class NoticeChecks
{
    private const string Accented = "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿ";
    private const string Plain = "aaaaaaaceeeeiiiinoooooouuuuyy";

    private static readonly HashSet<string> LegalSuffixes = new(
        ["inc", "incorporated", "ltd", "limited", "llc", "llp", "lp", "plc", "corp", "corporation", "co", "company", "gmbh", "ag",
         "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "pty", "oy", "ab", "as", "kg", "ulc"], StringComparer.Ordinal);

    /// <summary>
    /// True for a text that reports a contract award or a tender's result: an award notice ("Contract award notice", "Notice
    /// of award", "Avis d'attribution"); an award or a choice stated as made ("… has been awarded to …", "was awarded the
    /// contract", "has selected Contoso", "has chosen", "was selected as the winning bidder", "Contoso is the successful
    /// supplier"); a contract signed ("the contract was signed", "has signed a contract"); results ("Tender results" as a
    /// title, "results of the tender"). What an open call says will happen is none ("the contract will be awarded to", "the
    /// selected supplier will", "the successful bidder must", "suppliers who have been selected to submit a proposal",
    /// "results of the tender will be posted"), nor is an advance contract award notice (ACAN): it announces an intended
    /// award that suppliers may still challenge, so it stays an open notice.
    /// </summary>
    public static bool IsAward(string text) => Award().IsMatch(text) || Chosen().IsMatch(text);

    /// <summary>
    /// <see cref="IsAward(string)"/> for a notice's title and description, and a title that is a result's headline ("SSC selects
    /// Contoso for CRM licences", "… awards CRM contract to …", "… signs contract with …"): read in the title only, where a
    /// verb in the present tense reports news, not how an evaluation will go.
    /// </summary>
    public static bool IsAward(string title, string? description) =>
        IsAward(description is null ? title : $"{title} \n {Lead(description)}") || Headline().IsMatch(title);

    /// <summary>
    /// How much of a description is read for award wording: a news item's lead. A notice sent as a document carries the
    /// RFP's first 10,000 characters as its description, and an RFP's body names the incumbent's award, the evaluation's
    /// results to come and the process the buyer has selected — none of them this notice's result.
    /// </summary>
    public const int LeadChars = 400;

    private static string Lead(string description) => description.Length <= LeadChars ? description : description[..LeadChars];

    /// <summary>
    /// Words that name no organisation, English and French ("Ville de Montréal", "Agence de la santé publique du Canada");
    /// "d" and "l" are French elisions split off ("d'Ottawa").
    /// </summary>
    private static readonly HashSet<string> SmallWords = new(
        ["and", "of", "the", "for", "de", "du", "des", "la", "le", "les", "et", "d", "l"], StringComparer.Ordinal);

    /// <summary>The small words that mark a name as French (<see cref="SmallWords"/>' French half).</summary>
    private static readonly HashSet<string> FrenchSmallWords = new(["de", "du", "des", "la", "le", "les", "et", "d", "l"], StringComparer.Ordinal);

    /// <summary>
    /// French words of Canadian public-sector names and their English ones (accents folded), so that a name in either official
    /// language reads as the same words: "Services partagés Canada" as "services shared canada", "Ville d'Ottawa" as "city ottawa".
    /// </summary>
    private static readonly Dictionary<string, string> Glossary = new(StringComparer.Ordinal)
    {
        ["ville"] = "city", ["gouvernement"] = "government", ["ministere"] = "ministry", ["partages"] = "shared",
        ["sante"] = "health", ["publique"] = "public", ["publics"] = "public", ["agence"] = "agency", ["travaux"] = "works",
        ["defense"] = "defence", ["nationale"] = "national", ["emploi"] = "employment", ["developpement"] = "development",
    };

    /// <summary>
    /// False only when both names are known and clearly differ. The same organisation, after <see cref="Comparable"/> (case,
    /// punctuation, accents, a leading "the", legal suffixes, the inverted form, French elisions): equal; one's words a run of
    /// the other's; one word the other's initials; or, when either name is French (a word of <see cref="Glossary"/> or a French
    /// small word), the same content words in any order, French ones read in English and small words (<see cref="SmallWords"/>)
    /// left out — "Services partagés Canada" and "Shared Services Canada", but not "Health Canada" and "Public Health Agency of
    /// Canada"; or a public body's two English forms (<see cref="PlaceFirst"/>). Two other English names in another order stay
    /// two: "University of Miami" and "Miami University", "Bank of the West" and "West Bank".
    /// </summary>
    public static bool SameOrganisation(string buyer, string customer)
    {
        var a = Comparable(buyer);
        var b = Comparable(customer);
        if (a.Length == 0 || b.Length == 0)
            return true;
        return a == b || $" {a} ".Contains($" {b} ", StringComparison.Ordinal) || $" {b} ".Contains($" {a} ", StringComparison.Ordinal)
            || Abbreviates(a, b) || Abbreviates(b, a) || PlaceFirst(a) == PlaceFirst(b)
            || (French(a) || French(b)) && ContentWords(a) is { Count: > 0 } words && words.SetEquals(ContentWords(b));
    }

    /// <summary>
    /// A name as <see cref="Normalize"/> reads it, in natural order ("Ottawa, City of" as "city of ottawa") and with French
    /// elisions split off ("Ville d'Ottawa" as "ville d ottawa", not "ville dottawa").
    /// </summary>
    private static string Comparable(string name) => Normalize(Elision().Replace(Inverted().Replace(name, "${kind} ${name}"), "$1 "));

    /// <summary>
    /// A public body's name in the form "place-or-field kind": "County of Los Angeles" as "los angeles county", "Ministry of
    /// Health" as "health ministry", so the two usual English forms of one body are equal; a university's or a bank's are not
    /// rewritten ("University of Miami" and "Miami University" are two).
    /// </summary>
    private static string PlaceFirst(string comparable) =>
        comparable.Split(' ', 3) is [var kind, "of", var rest] && PublicBodyKinds.Contains(kind) ? $"{rest} {kind}" : comparable;

    private static readonly HashSet<string> PublicBodyKinds = new(
        ["city", "county", "town", "village", "municipality", "borough", "township", "province", "state", "region", "district",
         "ministry", "department", "government"], StringComparer.Ordinal);

    private static bool French(string comparable) => comparable.Split(' ').Any(w => Glossary.ContainsKey(w) || FrenchSmallWords.Contains(w));

    private static HashSet<string> ContentWords(string comparable) =>
        comparable.Split(' ').Where(w => !SmallWords.Contains(w)).Select(w => Glossary.GetValueOrDefault(w, w)).ToHashSet(StringComparer.Ordinal);

    /// <summary>One word that is the other name's initials, its small words (<see cref="SmallWords"/>) skipped or not: "pwgsc" for "public works and government services canada".</summary>
    private static bool Abbreviates(string acronym, string name)
    {
        if (acronym.Length < 2 || acronym.Contains(' ', StringComparison.Ordinal))
            return false;
        var words = name.Split(' ');
        if (words.Length < 2)
            return false;
        var all = string.Concat(words.Select(w => w[0]));
        var content = string.Concat(words.Where(w => !SmallWords.Contains(w)).Select(w => w[0]));
        return acronym == all || acronym == content;
    }

    /// <summary>An organisation name as words: lower case, accents folded, letters and digits only ("&amp;" as "and"), no leading "the", no trailing legal suffixes.</summary>
    public static string Normalize(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (var c in name.ToLowerInvariant())
        {
            if (c is '\'' or '’')
                continue;
            // The server runs with invariant globalization (no Unicode normalization), so common Latin accents are folded by hand.
            var folded = Accented.IndexOf(c, StringComparison.Ordinal) is var i and >= 0 ? Plain[i] : c;
            text.Append(c == '&' ? " and " : char.IsLetterOrDigit(folded) ? folded : ' ');
        }
        var words = text.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (words.Count > 1 && words[0] == "the")
            words.RemoveAt(0);
        while (words.Count > 1 && LegalSuffixes.Contains(words[^1]))
            words.RemoveAt(words.Count - 1);
        return string.Join(' ', words);
    }

    // The inverted form of a name, read "<kind> <name>": "Ottawa, City of", "Canada, Government of" (a kind ending in "of").
    [GeneratedRegex(@"^\s*(?<name>[^,]+?)\s*,\s*(?<kind>[^,]+?\bof)\s*\.?\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Inverted();

    // A French elision at a word's start: "d'Ottawa", "l’Agence".
    [GeneratedRegex(@"\b([dl])['’](?=\p{L})", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Elision();

    // What reports an award already made: an award notice (not an advance one), an award stated in the past or present
    // ("has been awarded to", "contract awarded to" — not the incumbent's, "the previous contract was awarded to"), or a
    // results notice by its title (the text's start). An open call's own wording of what
    // will happen ("will be awarded to the highest-ranked bidder", "bid results will be posted") is not one.
    [GeneratedRegex(@"(?<!\badvance\s+(contract\s+)?)\b(contract\s+)?award\s+notice\b(?!\s+will\b)|\bnotice\s+of\s+(contract\s+)?award\b(?!\s+will\b)|(?<!\b(previous|prior|current|existing|former|last|original|incumbent|earlier|expiring)\s+([\w-]+\s+){0,2})(\b(has|have)\s+been\s+awarded\s+to\b|\b(was|were|is\s+hereby)\s+awarded\s+to\b|\bcontract\s+awarded\s+to\b)|\A\s*awarded\s+to\b|\A\s*(tender|award|bid|procurement|contract)\s+results?\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Award();

    // A choice or contract stated as made: active with a named winner ("has selected Contoso", "had chosen the Acme group" —
    // not "has selected a two-phase process", "who have chosen to submit"), passive with its role ("was selected as the
    // winning bidder", "were chosen to supply" — not "have been selected to submit/bid/participate", a second phase's call,
    // nor "a Fairness Monitor has been retained to observe"),
    // a named winner ("is the successful bidder"), a contract signed or concluded, awarded without "to" ("was awarded the
    // contract"), results of a tender (not ones that will be posted), French award wording.
    [GeneratedRegex(@"\b(has|have|had)\s+(now\s+|finally\s+|officially\s+)?(selected|chosen|picked)\s+(?-i:(the\s+)?[A-Z][\w&.'’-]*)"
        + @"|\b(was|were|has\s+been|have\s+been|had\s+been)\s+(selected|chosen|named)\s+(as\b|to\s+(supply|provide|deliver|build|perform|implement|develop|carry\s+out|undertake)\b)"
        + @"|\b(is|was|were|are)\s+(the\s+)?(winning|successful|preferred|selected)\s+(bidder|bid|supplier|vendor|proponent|tenderer|contractor|offeror|respondent|proposal)s?\b(?!\s+(will|shall|must|may)\b)"
        + @"|\b(named|declared|announced)\s+(as\s+)?(the\s+)?(winning|successful|preferred)\s+(bidder|supplier|vendor|proponent|tenderer|contractor|offeror)\b"
        + @"|(?<!\b(previous|prior|current|existing|former|last|original|incumbent|earlier|expiring)\s+([\w-]+\s+){0,2})\bcontracts?\s+(was|were|has\s+been|have\s+been|had\s+been)\s+(signed|concluded|executed|awarded|granted|let)\b"
        + @"|\b(has|have|had)\s+(now\s+)?signed\s+(a|an|the)\s+([\w-]+\s+){0,4}(contract|agreement)\b"
        + @"|\b(was|were|has\s+been|have\s+been|had\s+been)\s+awarded\s+(the|a|an)\s+([\w-]+\s+){0,4}(contract|tender|bid|standing\s+offer)\b"
        + @"|\bresults?\s+of\s+(the\s+|this\s+)?(tender|rfp|rfq|competition|procurement|solicitation|bidding|call\s+for\s+tenders?)\b(?!\s+([\w-]+\s+){0,3}(will|shall|are\s+to|is\s+to|to\s+be|may|should|would)\b)"
        + @"|\bavis\s+d['’]attribution\b|\b(a|ont)\s+été\s+(attribu|adjug)é",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Chosen();

    // A result's headline in a title: "<buyer> selects|chooses …", "… awards|signs|inks … contract|deal … to|with …" (the verb
    // with its object and its party only: "awards" and "signs" are also nouns of open calls, "Awards gala services", "Highway
    // signs", "Supply of Road Signs - Standing Offer Agreement", "Traffic Signs Supply Contract").
    [GeneratedRegex(@"\b(selects|chooses)\b|\b(awards|signs|inks)\s+([\w$.,&]+\s+){0,5}?(contract|deal|agreement)s?\s+(with|to)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Headline();
}
