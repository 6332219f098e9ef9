using AgentCrm.Knowledge.Documents;
using AgentCrm.Knowledge.Ingest;

namespace AgentCrm.Knowledge.Tests.Ingest;

/// <summary>
/// Markdown nested deeper than any call stack: before the sectioner walked Markdig's tree with a stack of its own, the
/// emphasis document below overflowed the stack and took the whole process down (so a regression here crashes the test
/// run rather than failing one test). The parse runs on a thread with a small stack, so depth is not hidden by a big one.
/// </summary>
public sealed class DeepNestingTests
{
    [Fact]
    public void Parse_EmphasisNested25000Deep_KeepsItsText()
    {
        var markdown = "# T\n\n" + new string('*', 50_000) + "a" + new string('*', 50_000);

        var document = OnSmallStack(() => DocumentParser.Parse(markdown, DocumentType.Markdown, 1_000_000));

        Assert.Equal("T", document.Title);
        Assert.Equal("a", Assert.Single(Assert.Single(document.Sections).Paragraphs));
    }

    [Fact]
    public async Task IngestAsync_EmphasisNested25000Deep_StoresItsText()
    {
        using var data = new TestData();
        using var service = data.CreateService(out var store);
        using var _ = store;
        var markdown = "# Deep\n\n" + new string('*', 50_000) + "renewal risk" + new string('*', 50_000);

        var result = await service.IngestAsync(markdown, DocumentType.Markdown, "deep");

        Assert.Equal(IngestStatus.Created, result.Status);
        Assert.Equal(1, result.Chunks);
        Assert.Equal("deep", Assert.Single(service.ListDocuments()).Id);
    }

    [Fact]
    public void Parse_LinksAndEmphasisNestedPastMarkdigsLimit_RefusedAsInput()
    {
        var markdown = "# T\n\n" + string.Concat(Enumerable.Repeat("*_[", 20_000)) + "a" + string.Concat(Enumerable.Repeat("](x)_*", 20_000));

        var error = OnSmallStack(() => Assert.Throws<KnowledgeInputException>(() => DocumentParser.Parse(markdown, DocumentType.Markdown, 1_000_000)));

        Assert.Contains("nested too deeply", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_QuotesAndListsNestedDeep_KeepsTheTextOrRefusesAsInput()
    {
        var shallow = "# T\n\n" + string.Concat(Enumerable.Repeat("> - ", 20)) + "deep *and **strong***";
        var deep = "# T\n\n" + string.Concat(Enumerable.Repeat("> - ", 5_000)) + "x";

        var document = OnSmallStack(() => DocumentParser.Parse(shallow, DocumentType.Markdown, 1_000_000));
        var error = OnSmallStack(() => Assert.Throws<KnowledgeInputException>(() => DocumentParser.Parse(deep, DocumentType.Markdown, 1_000_000)));

        Assert.Equal("deep and strong", Assert.Single(Assert.Single(document.Sections).Paragraphs));
        Assert.Contains("nested too deeply", error.Message, StringComparison.Ordinal);
    }

    private static T OnSmallStack<T>(Func<T> parse)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(
            () =>
            {
                try
                {
                    result = parse();
                }
                catch (Exception exception)
                {
                    failure = exception;
                }
            },
            maxStackSize: 256 * 1024);
        thread.Start();
        thread.Join();
        return failure is null ? result : throw new InvalidOperationException("The parse failed.", failure);
    }
}
