using AgentCrm.Knowledge.Ingest;

namespace AgentCrm.Knowledge.Tests.Ingest;

public sealed class SectioningTests
{
    private const string Markdown = """
        # Handbook

        Intro paragraph before any section.

        ## CHAPTER III — Rights

        ### Section 3 — Erasure

        #### Article 17 — Right to erasure

        The data subject shall have the right to obtain erasure. The controller must act within one month.

        #### Article 18 — Restriction

        Restriction text with **bold** and a [link](https://example.org).

        ## CHAPTER IV — Controller

        Controller text.
        """;

    [Fact]
    public void Parse_Markdown_KeepsHeadingPathsAndTitle()
    {
        var document = DocumentParser.Parse(Markdown, DocumentType.Markdown, 1_000_000);

        Assert.Equal("Handbook", document.Title);
        Assert.Equal(
            // The intro has no heading of its own: it is filed under the document's title as stored (UnitBuilder).
            ["", "CHAPTER III — Rights › Section 3 — Erasure › Article 17 — Right to erasure", "CHAPTER III — Rights › Section 3 — Erasure › Article 18 — Restriction", "CHAPTER IV — Controller"],
            document.Sections.Select(s => s.Path));
        Assert.Equal("Restriction text with bold and a link.", document.Sections[2].Paragraphs[0]);
    }

    [Fact]
    public void Parse_Html_UsesH1ToH6AsHeadingsAndStripsTags()
    {
        const string Html = "<html><head><title>x</title><style>p{}</style></head><body><h1>Guide</h1><p>Opening.</p><h2>Renewals</h2><p>Call the <b>customer</b> &amp; listen.</p><script>alert(1)</script><h3>Risk</h3><div>Watch usage.</div></body></html>";

        var document = DocumentParser.Parse(Html, DocumentType.Html, 1_000_000);

        Assert.Equal("Guide", document.Title);
        Assert.Equal(["", "Renewals", "Renewals › Risk"], document.Sections.Select(s => s.Path));
        Assert.Equal("Call the customer & listen.", document.Sections[1].Paragraphs[0]);
        Assert.DoesNotContain(document.Sections, s => s.Paragraphs.Any(p => p.Contains("alert", StringComparison.Ordinal)));
    }

    [Fact]
    public void Parse_PlainText_OneSectionWithBlankLineParagraphs()
    {
        var document = DocumentParser.Parse("First paragraph\nstill first.\n\nSecond paragraph.", DocumentType.Text, 1_000_000);

        var section = Assert.Single(document.Sections);
        Assert.Equal(["First paragraph still first.", "Second paragraph."], section.Paragraphs);
    }

    [Fact]
    public void Split_LongSections_ChunksStayWithinTheirSectionAndBounds()
    {
        var text = File.ReadAllText(TestData.Bundled("gdpr_regulation_eu_2016_679_en.md"));
        var options = new ChunkingOptions(800, 1200, 150);
        var document = DocumentParser.Parse(text, DocumentType.Markdown, 10_000_000);

        foreach (var section in document.Sections)
        {
            var sectionText = string.Join(' ', section.Paragraphs);
            var chunks = Chunker.Split(section, options);
            Assert.NotEmpty(chunks);
            foreach (var chunk in chunks)
            {
                Assert.True(chunk.Length <= options.Max, $"chunk of {chunk.Length} chars in '{section.Path}'");
                foreach (var sentence in Text.SentenceSplitter.Split(chunk))
                {
                    Assert.Contains(sentence, sectionText, StringComparison.Ordinal);
                }
            }
        }
    }

    [Fact]
    public void Split_AdjacentChunks_OverlapWithPreviousSentences()
    {
        var sentences = Enumerable.Range(1, 40).Select(i => $"Sentence number {i} says something about renewals and churn.");
        var section = new Section(["S"], [string.Join(' ', sentences)]);

        var chunks = Chunker.Split(section, new ChunkingOptions(300, 450, 120));

        Assert.True(chunks.Count > 3);
        for (var i = 1; i < chunks.Count; i++)
        {
            var lastOfPrevious = Text.SentenceSplitter.Split(chunks[i - 1])[^1];
            Assert.StartsWith(lastOfPrevious, chunks[i], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Split_SentenceLongerThanTheMaximum_CutsAtSpacesElseAtTheMaximum()
    {
        var words = string.Join(' ', Enumerable.Range(1, 200_000).Select(i => $"w{i}"));
        var letters = new string('x', 2_000_000);
        var section = new Section(["S"], [words, letters]);

        var chunks = Chunker.Split(section, new ChunkingOptions(800, 1200, 150));

        Assert.All(chunks, c => Assert.InRange(c.Length, 1, 1200));
        Assert.Equal(words, string.Join(' ', chunks.TakeWhile(c => c[0] == 'w')));
        Assert.Equal(letters, string.Concat(chunks.SkipWhile(c => c[0] == 'w')));
        Assert.Equal(1050, chunks[^2].Length);
    }

    /// <summary>
    /// qa41b #1: a 200 KB heading was carried by every unit of its section and embedded with each one, so a 400 KB document took
    /// 1.4 GB. A heading keeps at most MaxHeadingLength characters; its whole text stays in the section, as its first paragraph.
    /// </summary>
    [Fact]
    public void Parse_AHeadingPastTheLimit_IsCutAtAWord_AndItsWholeTextIsTheSectionsFirstParagraph()
    {
        var words = string.Join(' ', Enumerable.Range(0, 40_000).Select(i => $"w{i}"));
        var markdown = $"# {words}\n\nIntro.\n\n## Short\n\nA.\n\n## {words}\n\nBody one.\n\nBody two.\n";

        var document = DocumentParser.Parse(markdown, DocumentType.Markdown, 10_000_000);

        Assert.InRange(document.Title!.Length, SectionBuilder.MaxHeadingLength / 2, SectionBuilder.MaxHeadingLength);
        Assert.EndsWith("…", document.Title, StringComparison.Ordinal);
        Assert.StartsWith(document.Title[..^1] + " ", words, StringComparison.Ordinal);
        Assert.Equal(3, document.Sections.Count);
        Assert.Equal([words, "Intro."], document.Sections[0].Paragraphs);
        Assert.Empty(document.Sections[0].Headings); // the opening text: filed under the title as stored (UnitBuilder)
        var last = document.Sections[2];
        Assert.Equal(document.Title, last.Path);
        Assert.Equal([words, "Body one.", "Body two."], last.Paragraphs);
        Assert.All(document.Sections.Skip(1), s => Assert.InRange(s.Path.Length, 1, SectionBuilder.MaxHeadingLength));
    }

    [Fact]
    public void Parse_AHeadingOfOneLongWordPastTheLimit_IsCutAtTheLimit_NotInsideAnEmoji()
    {
        var emoji = string.Concat(Enumerable.Repeat("😀", 1_000));
        var document = DocumentParser.Parse($"# T\n\n## {emoji}\n\nBody.\n", DocumentType.Markdown, 1_000_000);

        var path = Assert.Single(document.Sections).Path;
        Assert.True(path.Length <= SectionBuilder.MaxHeadingLength);
        Assert.Equal(string.Concat(Enumerable.Repeat("😀", (SectionBuilder.MaxHeadingLength - 2) / 2)) + "…", path);
    }
}
