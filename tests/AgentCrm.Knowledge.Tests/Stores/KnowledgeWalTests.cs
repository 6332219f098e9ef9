using System.Text;
using AgentCrm.Knowledge.Ingest;
using AgentCrm.Knowledge.Options;

namespace AgentCrm.Knowledge.Tests.Stores;

/// <summary>
/// The knowledge databases' write-ahead logs are folded back after a write: an ingest by the CLI beside a running server
/// (which keeps its connections open, so SQLite's checkpoint on the last close never comes) left the whole ingest in
/// <c>knowledge.db-wal</c> and <c>knowledge-catalog.db-wal</c> (5.3 and 4 MB beside a 4 KB catalog), for good.
/// </summary>
public sealed class KnowledgeWalTests
{
    /// <summary>Well below what the ingest below writes (hundreds of KB), above an emptied log (0 bytes).</summary>
    private const long Small = 32 * 1024;

    private static long WalBytes(TestData data, string fileName)
    {
        var wal = new FileInfo(Path.Combine(data.Directory, fileName + "-wal"));
        return wal.Exists ? wal.Length : 0;
    }

    private static string Handbook()
    {
        var text = new StringBuilder("# Support handbook\n\n");
        for (var i = 0; i < 150; i++)
            text.Append("## Topic ").Append(i).Append("\n\nCustomers on plan ").Append(i)
                .Append(" get a renewal review every quarter, a named manager, and answers within one business day of their ticket.\n\n");
        return text.ToString();
    }

    [Fact]
    public async Task Ingest_BesideAServerHoldingItsConnections_LeavesTheLogsSmall()
    {
        using var data = new TestData();
        using var server = data.CreateService();
        await server.IngestAsync("# Refunds\n\nRefunds are granted within 30 days of purchase.\n", DocumentType.Markdown, "refunds");

        using (var cli = data.CreateService())
        {
            await cli.IngestAsync(Handbook(), DocumentType.Markdown, "handbook");
            Assert.True(WalBytes(data, KnowledgeOptions.CatalogFileName) < Small && WalBytes(data, KnowledgeOptions.EmbeddedStoreFileName) < Small,
                $"after the ingest: catalog log {WalBytes(data, KnowledgeOptions.CatalogFileName)} bytes, store log {WalBytes(data, KnowledgeOptions.EmbeddedStoreFileName)} bytes");
        }

        // The CLI closed; the server's connections are still open.
        Assert.True(WalBytes(data, KnowledgeOptions.CatalogFileName) < Small, $"catalog log {WalBytes(data, KnowledgeOptions.CatalogFileName)} bytes");
        Assert.True(WalBytes(data, KnowledgeOptions.EmbeddedStoreFileName) < Small, $"store log {WalBytes(data, KnowledgeOptions.EmbeddedStoreFileName)} bytes");
        Assert.True(await server.ReloadIfChangedAsync());
        Assert.Equal(["handbook", "refunds"], server.ListDocuments().Select(d => d.Id));
    }
}
