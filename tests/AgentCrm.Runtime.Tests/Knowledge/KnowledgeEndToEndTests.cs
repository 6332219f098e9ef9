using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Runtime.Tests.EndToEnd;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace AgentCrm.Runtime.Tests.Knowledge;

public sealed class KnowledgeEndToEndTests
{
    private static Task<AgentCrmApp> StartWithBundledKnowledgeAsync() =>
        AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Knowledge:IngestBundled"] = "true" });

    [Fact]
    public async Task Brief_ForCustomerAtRisk_CitesTheRenewalPlaybookSections()
    {
        await using var app = await StartWithBundledKnowledgeAsync();
        var documents = await app.GetJsonAsync("/v1/knowledge/documents");
        Assert.Contains(documents.GetProperty("items").EnumerateArray(), d => d.GetProperty("id").GetString() == "renewal-playbook");

        await app.PostEventsAsync(Timelines.AtRisk("acme", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var brief = (await app.BriefsAsync("&customerId=acme"))[0];
        var citations = brief.GetProperty("citations").EnumerateArray().ToList();
        Assert.InRange(citations.Count, 1, 3);
        Assert.All(citations, c => Assert.Equal("renewal-playbook", c.GetProperty("documentId").GetString()));
        var sections = citations.Select(c => c.GetProperty("section").GetString()!).ToList();
        Assert.Contains(sections, s => s.Contains("Contract ending soon", StringComparison.Ordinal) || s.Contains("Falling usage", StringComparison.Ordinal) || s.Contains("Failed payments", StringComparison.Ordinal));
        Assert.Contains("Sources:", brief.GetProperty("body").GetString(), StringComparison.Ordinal);
        Assert.False(brief.GetProperty("degraded").GetBoolean());
    }

    [Fact]
    public async Task Knowledge_QdrantDown_Answers503NamingQdrant_NotA500()
    {
        // Nothing listens on the port: every Qdrant call fails after its retries.
        using var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Knowledge:Provider"] = "Qdrant",
            ["Knowledge:Qdrant:Url"] = $"http://127.0.0.1:{port}",
        });

        using var search = await app.Client.GetAsync("/v1/knowledge/search?q=renewal");
        using var ingest = await app.Client.PostAsync("/v1/knowledge/documents?id=retention", new StringContent("# Retention\n\nDelete data within 30 days.", Encoding.UTF8, "text/markdown"));

        foreach (var answer in new[] { search, ingest })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
            Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
            Assert.Contains("Qdrant", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain(port.ToString(System.Globalization.CultureInfo.InvariantCulture), problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.True(problem.TryGetProperty("traceId", out _));
            Assert.True(answer.Headers.Contains("Retry-After"));
        }
    }

    [Fact]
    public async Task Knowledge_QdrantRefusesTheKey_Answers502_WithoutRetryAfter()
    {
        // Qdrant's answer to a wrong api-key: 401 with a plain-text body. Retrying cannot help: 502, not 503.
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var qdrant = builder.Build();
        qdrant.Run(async ctx =>
        {
            ctx.Response.StatusCode = 401;
            ctx.Response.ContentType = "text/plain; charset=utf-8";
            await ctx.Response.WriteAsync("Must provide an API key or an Authorization bearer token");
        });
        await qdrant.StartAsync();
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Knowledge:Provider"] = "Qdrant",
            ["Knowledge:Qdrant:Url"] = qdrant.Urls.Single(),
            ["Knowledge:Qdrant:ApiKey"] = "wrong",
        });

        using var search = await app.Client.GetAsync("/v1/knowledge/search?q=renewal");

        Assert.Equal(HttpStatusCode.BadGateway, search.StatusCode);
        Assert.False(search.Headers.Contains("Retry-After"));
        var problem = JsonDocument.Parse(await search.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("Qdrant", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Knowledge_IngestSearchDelete_OverHttp_BadInputIs400AndStoresNothing()
    {
        await using var app = await AgentCrmApp.StartAsync();
        const string doc = "# Data retention policy\n\n## Deletion\n\nCustomer data must be deleted within 30 days of contract end.\n\n## Export\n\nCustomers may export their data at any time in CSV format.";
        var created = await app.Client.PostAsync("/v1/knowledge/documents?id=retention&tags=policy,privacy", new StringContent(doc, Encoding.UTF8, "text/markdown"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var again = await app.Client.PostAsync("/v1/knowledge/documents?id=retention&tags=policy,privacy", new StringContent(doc, Encoding.UTF8, "text/markdown"));
        Assert.Equal("unchanged", JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());

        var hits = (await app.GetJsonAsync("/v1/knowledge/search?q=how%20long%20until%20data%20is%20deleted&k=3")).GetProperty("items");
        Assert.Equal("retention", hits[0].GetProperty("documentId").GetString());
        Assert.Contains("Deletion", hits[0].GetProperty("section").GetString(), StringComparison.Ordinal);

        foreach (var (body, type, status) in new[] { ("", "text/markdown", HttpStatusCode.BadRequest), ("\0\0binary", "text/plain", HttpStatusCode.BadRequest), ("hello", "application/pdf", HttpStatusCode.UnsupportedMediaType) })
        {
            var bad = await app.Client.PostAsync("/v1/knowledge/documents?id=bad", new StringContent(body, Encoding.UTF8, type));
            Assert.Equal(status, bad.StatusCode);
            Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Client.GetAsync("/v1/knowledge/search?k=3")).StatusCode);
        var listed = (await app.GetJsonAsync("/v1/knowledge/documents")).GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetString()).ToList();
        Assert.Equal(["retention"], listed);

        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.DeleteAsync("/v1/knowledge/documents/retention")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.DeleteAsync("/v1/knowledge/documents/retention")).StatusCode);
        Assert.Empty((await app.GetJsonAsync("/v1/knowledge/search?q=deleted")).GetProperty("items").EnumerateArray());
    }

    [Theory]
    [InlineData("README.md", "readme")]
    [InlineData("Renewal Playbook (v2).md", "renewal-playbook-v2")]
    public async Task Knowledge_MultipartUpload_IdFromTheFileName_IsNormalised(string fileName, string expectedId)
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var form = new MultipartFormDataContent { { new StringContent("# Read me\n\nRenewals are reviewed every quarter.\n", Encoding.UTF8, "text/markdown"), "file", fileName } };

        using var response = await app.Client.PostAsync("/v1/knowledge/documents", form);

        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        Assert.Equal(expectedId, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("documentId").GetString());
        Assert.Equal([expectedId], (await app.GetJsonAsync("/v1/knowledge/documents")).GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Knowledge_MultipartUpload_AGivenIdIsNotRewritten_AnInvalidOneIs400NamingId()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var form = new MultipartFormDataContent
        {
            { new StringContent("# Read me\n\nRenewals are reviewed every quarter.\n", Encoding.UTF8, "text/markdown"), "file", "readme.md" },
            { new StringContent("README"), "id" },
        };

        using var response = await app.Client.PostAsync("/v1/knowledge/documents", form);

        Assert.Contains("README", (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("id")[0].GetString(), StringComparison.Ordinal);
        Assert.Empty((await app.GetJsonAsync("/v1/knowledge/documents")).GetProperty("items").EnumerateArray());
    }
}
