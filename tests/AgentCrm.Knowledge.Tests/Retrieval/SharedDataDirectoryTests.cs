using AgentCrm.Knowledge.Ingest;

namespace AgentCrm.Knowledge.Tests.Retrieval;

/// <summary>Two services over one data directory, as a server and the CLI beside it: each takes in what the other wrote.</summary>
public sealed class SharedDataDirectoryTests
{
    [Fact]
    public async Task ReloadIfChanged_TakesInTheOtherServicesWrites_AndOwnWritesKeepThem()
    {
        using var data = new TestData();
        using var server = data.CreateService();
        await server.IngestAsync("# Refunds\n\nRefunds are granted within 30 days of purchase.\n", DocumentType.Markdown, "refunds");
        Assert.False(await server.ReloadIfChangedAsync());

        using (var cli = data.CreateService())
        {
            await cli.IngestAsync("# Zebra care\n\nZebras need quarterly hoof trimming.\n", DocumentType.Markdown, "zebra", tags: ["animals"]);
            await cli.DeleteAsync("refunds");
        }

        Assert.DoesNotContain(await server.SearchAsync("zebra hoof trimming", 5), h => h.DocumentId == "zebra");
        Assert.True(await server.ReloadIfChangedAsync());
        Assert.Equal(["zebra"], server.ListDocuments().Select(d => d.Id));
        var hit = Assert.Single(await server.SearchAsync("zebra hoof trimming", 5, new AgentCrm.Knowledge.Stores.SearchFilter(Tags: ["animals"])));
        Assert.Equal("zebra", hit.DocumentId);
        Assert.False(await server.ReloadIfChangedAsync());

        await server.IngestAsync("# Shipping\n\nOrders ship within two days.\n", DocumentType.Markdown, "shipping");
        Assert.False(await server.ReloadIfChangedAsync());
        Assert.Equal(["shipping", "zebra"], server.ListDocuments().Select(d => d.Id));
        using var restarted = data.CreateService();
        Assert.Equal(["shipping", "zebra"], restarted.ListDocuments().Select(d => d.Id));
        Assert.Equal("zebra", (await restarted.SearchAsync("zebra hoof trimming", 1))[0].DocumentId);
    }
}
