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
    /// True for a contract award or result notice ("Contract award notice", "Notice of award", "… awarded to …", "Tender
    /// results"). An advance contract award notice (ACAN) is not one: it announces an intended award that suppliers may
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
        return a == b || $" {a} ".Contains($" {b} ", StringComparison.Ordinal) || $" {b} ".Contains($" {a} ", StringComparison.Ordinal);
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

    [GeneratedRegex(@"(?<!\badvance\s+(contract\s+)?)\b(contract\s+)?award\s+notice\b|\bnotice\s+of\s+(contract\s+)?award\b|\bawarded\s+to\b|\bcontract\s+awarded\b|\baward\s+of\s+contract\b|\b(tender|award|bid|procurement)\s+results?\b|\bresults?\s+notice\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Award();
}
