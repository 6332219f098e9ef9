namespace AgentCrm.Knowledge.Ingest;

/// <summary>Collects headings and paragraphs into sections, keeping a heading stack by level.</summary>
internal sealed class SectionBuilder
{
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
        if (level == 1 && Title is null)
        {
            // The first H1 is the document's title, not a section of it.
            Title = text;
            _headings.Clear();
            return;
        }

        while (_headings.Count > 0 && _headings[^1].Level >= level)
        {
            _headings.RemoveAt(_headings.Count - 1);
        }

        _headings.Add((level, text));
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

        // Consecutive equal headings (a page title repeated as its first H2) add nothing to the path.
        var headings = _headings.Select(h => h.Text).Where((text, i) => i == 0 || text != _headings[i - 1].Text).ToList();
        if (headings.Count == 0 && Title is not null)
        {
            headings.Add(Title);
        }

        _sections.Add(new Section(headings, [.. _paragraphs]));
        _paragraphs.Clear();
    }
}
