namespace AgentCrm.Knowledge.Ingest;

/// <summary>Collects headings and paragraphs into sections, keeping a heading stack by level.</summary>
internal sealed class SectionBuilder
{
    /// <summary>
    /// The most characters a heading keeps (the longest in the bundled documents is 308). Every unit of a section carries its
    /// heading path, and search embeds it with each one, so an unbounded heading (a 200 KB `## ` line, an `&lt;h2&gt;` never
    /// closed) made a 400 KB document take 1.4 GB and 117 MB stored (qa41b). A longer one keeps its start, cut at a word, as
    /// the heading, and its whole text as the section's first paragraph: nothing of it is lost to search.
    /// </summary>
    public const int MaxHeadingLength = 500;

    private readonly List<(int Level, string Text)> _headings = [];
    private readonly List<string> _paragraphs = [];
    private readonly List<Section> _sections = [];

    public string? Title { get; private set; }

    public void Heading(int level, string text)
    {
        text = Whitespace.Collapse(text);
        if (text.Length == 0)
        {
            return;
        }

        Flush();
        var full = text;
        text = Cut(text);
        if (level == 1 && Title is null)
        {
            // The first H1 is the document's title, not a section of it.
            Title = text;
            _headings.Clear();
        }
        else
        {
            while (_headings.Count > 0 && _headings[^1].Level >= level)
            {
                _headings.RemoveAt(_headings.Count - 1);
            }

            _headings.Add((level, text));
        }

        if (full.Length > text.Length)
        {
            _paragraphs.Add(full);
        }
    }

    /// <summary><paramref name="text"/> within <see cref="MaxHeadingLength"/>: its start, cut at a word where one ends late enough, and "…".</summary>
    private static string Cut(string text)
    {
        if (text.Length <= MaxHeadingLength)
        {
            return text;
        }

        var start = text[..(MaxHeadingLength - 1)];
        if (char.IsHighSurrogate(start[^1]))
        {
            start = start[..^1]; // not half an emoji
        }

        var space = start.LastIndexOf(' ');
        return (space >= MaxHeadingLength / 2 ? start[..space] : start).TrimEnd() + "…";
    }

    public void Paragraph(string text)
    {
        text = Whitespace.Collapse(text);
        if (text.Length > 0)
        {
            _paragraphs.Add(text);
        }
    }

    public IReadOnlyList<Section> Build()
    {
        Flush();
        return _sections;
    }

    private void Flush()
    {
        if (_paragraphs.Count == 0)
        {
            return;
        }

        // Consecutive equal headings (a page title repeated as its first H2) add nothing to the path. The text under the
        // first H1 and before any other heading has none: it is the opening text, filed under the document's title as
        // stored (given, from front matter, or this H1 cut to the title's length), not under the H1 as written (qa44b F2).
        var headings = _headings.Select(h => h.Text).Where((text, i) => i == 0 || text != _headings[i - 1].Text).ToList();
        _sections.Add(new Section(headings, [.. _paragraphs]));
        _paragraphs.Clear();
    }
}
