using System.Text.RegularExpressions;

namespace AgentCrm.Agents.Text;

/// <summary>
/// Splits a contract or terms text into the sentence-like units clause models were fitted on: lines, then
/// sentence ends (<c>. ! ? ;</c> followed by a space and a capital, digit or quote). Bounded, so a huge
/// document costs a bounded time.
/// </summary>
public static partial class SentenceSplitter
{
    public const int MaxSentences = 5000;

    public const int MaxSentenceLength = 2000;

    public static IReadOnlyList<string> Split(string text)
    {
        var result = new List<string>();
        foreach (var line in text.Split('\n'))
        {
            foreach (var piece in SentenceEnd().Split(line))
            {
                var s = piece.Trim();
                if (s.Length < 2)
                    continue;
                result.Add(s.Length > MaxSentenceLength ? s[..MaxSentenceLength] : s);
                if (result.Count == MaxSentences)
                    return result;
            }
        }
        return result;
    }

    [GeneratedRegex("(?<=[.!?;])\\s+(?=[\"'“(]?[A-Z0-9])")]
    private static partial Regex SentenceEnd();
}
