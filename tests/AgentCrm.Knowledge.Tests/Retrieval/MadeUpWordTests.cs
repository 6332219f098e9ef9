using AgentCrm.Knowledge.Ingest;

namespace AgentCrm.Knowledge.Tests.Retrieval;

/// <summary>
/// A made-up word shares character n-grams with any large document (q=xyzzy found GDPR passages at similarity 0.18) but no
/// word: it finds nothing, in a search and in a citation's search (a minimum score and a document scope, as briefs search)
/// alike; a query that shares a word, or whose expansion does, still finds its passage.
/// </summary>
public sealed class MadeUpWordTests : IDisposable
{
    private readonly TestData _data = new();

    [Fact]
    public async Task MadeUpWords_FindNothing_RealWordsStillFindTheirPassage()
    {
        using var service = _data.CreateService();
        await service.IngestAsync(await File.ReadAllTextAsync(TestData.Bundled("gdpr_regulation_eu_2016_679_en.md")), DocumentType.Markdown, "gdpr");
        await service.IngestAsync(await File.ReadAllTextAsync(TestData.Bundled("renewal-playbook.md")), DocumentType.Markdown, "renewal");

        foreach (var query in new[] { "xyzzy", "qwzx plorb" })
        {
            Assert.Empty(await service.SearchAsync(query, 5));
            Assert.Empty(await service.SearchAsync(query, 3, minScore: 0.15, documents: _ => true));
        }

        Assert.Contains("Article 17", (await service.SearchAsync("xyzzy right to erasure", 1)).Single().Section, StringComparison.Ordinal);
        Assert.Contains("Article 33", (await service.SearchAsync("we got hacked", 1)).Single().Section, StringComparison.Ordinal);
    }

    public void Dispose() => _data.Dispose();
}
