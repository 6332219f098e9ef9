using System.Net;
using System.Text;
using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>`agentcrm knowledge ingest` beside a running server on the same data directory: the server sees it without a restart.</summary>
public sealed class KnowledgeBesideServerCliTests
{
    [Fact]
    public async Task Ingest_FromTheCli_IsSearchableOnTheRunningServer_WithinSeconds_AndAudited()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using (var first = await app.Client.PostAsync("/v1/knowledge/documents?id=refunds", new StringContent("# Refunds\n\nRefunds are granted within 30 days of purchase.\n", Encoding.UTF8, "text/markdown")))
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var docs = Directory.CreateDirectory(Path.Combine(TempDirectory.Create(), "docs")).FullName;
        await File.WriteAllTextAsync(Path.Combine(docs, "zebra-care.md"), "# Zebra care\n\n## Hooves\n\nZebras need quarterly hoof trimming by a farrier.\n");

        var ingested = await CliRunner.RunAsync(["knowledge", "ingest", docs, "--data", app.DataDirectory]);

        Assert.True(ingested.ExitCode == 0, ingested.Stderr);
        // Generous: the server reloads on a timer, which a busy machine runs late.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement hits;
        while (true)
        {
            hits = (await app.GetJsonAsync("/v1/knowledge/search?q=zebra%20hoof%20trimming")).GetProperty("items");
            if (hits.EnumerateArray().Any(h => h.GetProperty("documentId").GetString() == "zebra-care"))
                break;
            Assert.True(DateTime.UtcNow < deadline, "the server did not find the document the CLI ingested within 60 s");
            await Task.Delay(200);
        }

        Assert.Equal("Hooves", hits[0].GetProperty("section").GetString());
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/v1/knowledge/documents/zebra-care")).StatusCode);
        // A write through the server afterwards keeps the CLI's document (the server wrote from what it reloaded).
        using (var second = await app.Client.PostAsync("/v1/knowledge/documents?id=shipping", new StringContent("# Shipping\n\nOrders ship within two days.\n", Encoding.UTF8, "text/markdown")))
            Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        var ids = (await app.GetJsonAsync("/v1/knowledge/documents")).GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetString()).ToList();
        Assert.Equal(["refunds", "shipping", "zebra-care"], ids);
        var audit = (await app.GetJsonAsync("/v1/audit?subject=knowledge:zebra-care")).GetProperty("items").EnumerateArray().Single();
        Assert.StartsWith("cli:", audit.GetProperty("actor").GetString(), StringComparison.Ordinal);
        Assert.Equal("created", audit.GetProperty("data").GetProperty("status").GetString());
    }
}
