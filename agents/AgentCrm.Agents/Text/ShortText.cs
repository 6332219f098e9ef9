namespace AgentCrm.Agents.Text;

/// <summary>A text cut to a length a reader sees whole (a headline, a name quoted in a reason).</summary>
public static class ShortText
{
    /// <summary>
    /// <paramref name="text"/> within <paramref name="max"/> characters: whole when it fits, else its start cut at the end of
    /// a word (when one ends past half the length), without the punctuation left dangling there, and "…".
    /// </summary>
    public static string Cut(string text, int max)
    {
        if (text.Length <= max)
            return text;
        var start = text[..(max - 1)];
        if (char.IsHighSurrogate(start[^1]))
            start = start[..^1]; // not half an emoji
        // A cut inside a word goes back to the space before it; a cut right after a word keeps it.
        var space = char.IsWhiteSpace(text[max - 1]) ? start.Length : start.LastIndexOf(' ');
        return (space >= max / 2 ? start[..space] : start).TrimEnd(' ', '\t', ',', ';', ':', '/', '-', '–', '—') + "…";
    }
}
