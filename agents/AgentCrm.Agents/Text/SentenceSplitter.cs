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

    public static IReadOnlyList<string> Split(string text) => Split(text, out _);

    /// <summary>
    /// As <see cref="Split(string)"/>; <paramref name="read"/> is how many characters of the text were read: its length,
    /// or where the sentence after the <see cref="MaxSentences"/>th begins when the bound stopped the reading.
    /// </summary>
    public static IReadOnlyList<string> Split(string text, out int read)
    {
        var result = new List<string>();
        var lineStart = 0;
        foreach (var line in text.Split('\n'))
        {
            var start = 0;
            for (var end = SentenceEnd().Match(line); ; end = end.NextMatch())
            {
                var s = line[start..(end.Success ? end.Index : line.Length)].Trim();
                var next = end.Success ? end.Index + end.Length : line.Length;
                if (s.Length >= 2)
                {
                    result.Add(s.Length > MaxSentenceLength ? s[..MaxSentenceLength] : s);
                    if (result.Count == MaxSentences)
                    {
                        read = lineStart + next;
                        return result;
                    }
                }
                if (!end.Success)
                    break;
                start = next;
            }
            lineStart += line.Length + 1;
        }
        read = text.Length;
        return result;
    }

    [GeneratedRegex("(?<=[.!?;])\\s+(?=[\"'“(]?[A-Z0-9])")]
    private static partial Regex SentenceEnd();
}
