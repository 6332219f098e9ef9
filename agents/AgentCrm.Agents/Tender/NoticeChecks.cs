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
    /// True for a contract award or result notice ("Contract award notice", "Notice of award", "… has been awarded to …",
    /// "Tender results" as a title). An advance contract award notice (ACAN) is not one: it announces an intended award that suppliers may
    /// still challenge, so it stays an open notice.
    /// </summary>
    public static bool IsAward(string text) => Award().IsMatch(text);

    /// <summary>
    /// False only when both names are known and clearly differ: equal, or one's words a run of the other's, after
    /// <see cref="Normalize"/> (case, punctuation, a leading "the", legal suffixes) counts as the same organisation.
    /// </summary>
    public static bool SameOrganisation(string buyer, string customer)
    {
        var a = Normalize(buyer);
        var b = Normalize(customer);
        if (a.Length == 0 || b.Length == 0)
            return true;
        return a == b || $" {a} ".Contains($" {b} ", StringComparison.Ordinal) || $" {b} ".Contains($" {a} ", StringComparison.Ordinal)
            || Abbreviates(a, b) || Abbreviates(b, a);
    }

    /// <summary>One word that is the other name's initials, its small words ("and", "of", "the", "for") skipped or not: "pwgsc" for "public works and government services canada".</summary>
    private static bool Abbreviates(string acronym, string name)
    {
        if (acronym.Length < 2 || acronym.Contains(' ', StringComparison.Ordinal))
            return false;
        var words = name.Split(' ');
        if (words.Length < 2)
            return false;
        var all = string.Concat(words.Select(w => w[0]));
        var content = string.Concat(words.Where(w => w is not ("and" or "of" or "the" or "for")).Select(w => w[0]));
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

    // What reports an award already made: an award notice (not an advance one), an award stated in the past or present
    // ("has been awarded to", "contract awarded to"), or a results notice by its title (the text's start). An open call's own wording of what
    // will happen ("will be awarded to the highest-ranked bidder", "bid results will be posted") is not one.
    [GeneratedRegex(@"(?<!\badvance\s+(contract\s+)?)\b(contract\s+)?award\s+notice\b(?!\s+will\b)|\bnotice\s+of\s+(contract\s+)?award\b(?!\s+will\b)|\b(has|have)\s+been\s+awarded\s+to\b|\b(was|were|is\s+hereby)\s+awarded\s+to\b|\bcontract\s+awarded\s+to\b|\A\s*awarded\s+to\b|\A\s*(tender|award|bid|procurement|contract)\s+results?\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Award();
}
