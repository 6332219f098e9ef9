using AgentCrm.Knowledge.Ingest;

namespace AgentCrm.Knowledge.Tests.Retrieval;

/// <summary>
/// The search version results are kept under (brief citations' cache): it changes with every change a search could see,
/// including another process's once taken in, and stays while nothing a search reads changed.
/// </summary>
public sealed class SearchVersionTests
{
    private const string Refunds = "# Refunds\n\nRefunds are granted within 30 days of purchase.\n";

    [Fact]
    public async Task SearchVersion_IngestRelabelDelete_ChangesEachTime_UnchangedIngestKeepsIt()
    {
        using var data = new TestData();
        using var service = data.CreateService();
        var start = service.SearchVersion;

        await service.IngestAsync(Refunds, DocumentType.Markdown, "refunds");
        var ingested = service.SearchVersion;
        await service.IngestAsync(Refunds, DocumentType.Markdown, "refunds");
        var unchanged = service.SearchVersion;
        await service.IngestAsync(Refunds, DocumentType.Markdown, "refunds", scenario: "renewal-risk");
        var relabelled = service.SearchVersion;
        await service.DeleteAsync("refunds");

        Assert.NotEqual(start, ingested);
        Assert.Equal(ingested, unchanged);
        Assert.NotEqual(unchanged, relabelled);
        Assert.NotEqual(relabelled, service.SearchVersion);
    }

    [Fact]
    public async Task SearchVersion_AnotherProcessesWrite_ChangesOnceTakenIn()
    {
        using var data = new TestData();
        using var server = data.CreateService();
        var before = server.SearchVersion;
        using (var cli = data.CreateService())
        {
            await cli.IngestAsync(Refunds, DocumentType.Markdown, "refunds");
        }

        Assert.Equal(before, server.SearchVersion);
        Assert.True(await server.ReloadIfChangedAsync());
        Assert.NotEqual(before, server.SearchVersion);
        Assert.Equal("refunds", Assert.Single(server.ListDocuments()).Id);
    }
}
