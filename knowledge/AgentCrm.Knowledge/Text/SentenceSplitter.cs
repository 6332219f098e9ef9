using System.Text.RegularExpressions;

namespace AgentCrm.Knowledge.Text;

/// <summary>Splits prose into sentences at ., ! or ? followed by whitespace and an upper-case letter, digit, quote or bracket.</summary>
internal static partial class SentenceSplitter
{
    public static List<string> Split(string text)
    {
        var sentences = new List<string>();
        foreach (var part in Boundary().Split(text))
        {
            var trimmed = part.Trim();
            if (trimmed.Length > 0)
            {
                sentences.Add(trimmed);
            }
        }

        return sentences;
    }

    [GeneratedRegex(@"(?<=[.!?;:])\s+(?=[\p{Lu}\d(‘“""'\-–•])|\n\s*\n|(?<=[.!?;:])\s*\n", RegexOptions.CultureInvariant)]
    private static partial Regex Boundary();
}
