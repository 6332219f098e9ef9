using AgentCrm.Knowledge.Text;

namespace AgentCrm.Knowledge.Ingest;

/// <summary>
/// Packs one section's paragraphs into chunks: whole paragraphs where they fit, sentences when a paragraph is too long,
/// a hard split at whitespace only for a sentence longer than the maximum. Overlap repeats the previous chunk's last
/// sentences. Works on one section at a time, so a chunk can never cross a section boundary.
/// </summary>
internal static class Chunker
{
    public static List<string> Split(Section section, ChunkingOptions options)
    {
        var units = new List<string>();
        foreach (var paragraph in section.Paragraphs)
        {
            if (paragraph.Length <= options.Target)
            {
                units.Add(paragraph);
                continue;
            }

            foreach (var sentence in SentenceSplitter.Split(paragraph))
            {
                units.AddRange(HardSplit(sentence, options.Max - options.Overlap));
            }
        }

        var chunks = new List<string>();
        var current = new List<string>();
        var length = 0;
        foreach (var unit in units)
        {
            var added = length == 0 ? unit.Length : length + 1 + unit.Length;
            if (length > 0 && (added > options.Max || length >= options.Target))
            {
                chunks.Add(string.Join(' ', current));
                current = Tail(current, options.Overlap, options.Max - unit.Length - 1);
                length = current.Count == 0 ? 0 : current.Sum(s => s.Length) + current.Count - 1;
                added = length == 0 ? unit.Length : length + 1 + unit.Length;
            }

            current.Add(unit);
            length = added;
        }

        if (current.Count > 0)
        {
            chunks.Add(string.Join(' ', current));
        }

        return chunks;
    }

    private static List<string> Tail(List<string> units, int overlap, int room)
    {
        var budget = Math.Min(overlap, room);
        if (budget <= 0 || units.Count == 0)
        {
            return [];
        }

        var sentences = SentenceSplitter.Split(units[^1]);
        var tail = new List<string>();
        var length = 0;
        for (var i = sentences.Count - 1; i >= 0 && length + sentences[i].Length + 1 <= budget; i--)
        {
            tail.Insert(0, sentences[i]);
            length += sentences[i].Length + 1;
        }

        return tail;
    }

    /// <summary>
    /// Cuts at the last space before <paramref name="max"/> (or at <paramref name="max"/> when that space is in the first
    /// half), trimming each piece. Works on offsets into the sentence: copying the rest after every cut made a 5 MB sentence
    /// cost some 5,000 copies of megabytes.
    /// </summary>
    private static IEnumerable<string> HardSplit(string sentence, int max)
    {
        var start = 0;
        var end = sentence.Length;
        while (end - start > max)
        {
            var space = sentence.LastIndexOf(' ', start + max - 1, max);
            var cut = space < 0 ? -1 : space - start;
            if (cut <= max / 2)
            {
                cut = max;
            }

            yield return sentence.AsSpan(start, cut).Trim().ToString();
            start += cut;
            while (start < end && char.IsWhiteSpace(sentence[start]))
            {
                start++;
            }

            while (end > start && char.IsWhiteSpace(sentence[end - 1]))
            {
                end--;
            }
        }

        if (end > start)
        {
            yield return sentence[start..end];
        }
    }
}
