using System.Net;
using System.Text;
using AgentCrm.Knowledge.Stores.Qdrant;
using AgentCrm.Knowledge.Tests.Qdrant;

namespace AgentCrm.Runtime.Tests.Knowledge;

/// <summary>The knowledge API over a Qdrant that misbehaves as its protocol allows (the stateful fake on loopback).</summary>
public sealed class KnowledgeQdrantTests
{
    private const string Collection = QdrantOptions.DefaultCollection;
    private const string Zebra = "# Zebra care\n\nZebras need quarterly hoof trimming by a farrier.";
    private const string Retention = "# Retention\n\n## Deletion\n\nCustomer data must be deleted within 30 days of contract end.";

    // Large enough that one small document more does not refit the embedder's IDF (which would store every document again first).
    private static readonly string Library = "# Renewal library\n\n" + string.Join("\n\n", Enumerable.Range(1, 12).Select(i =>
        $"## Signal {i}\n\nWhen renewal signal {i} appears, the account team must review the account within {i + 10} days and call the sponsor."));

    [Fact]
    public async Task Knowledge_QdrantBusy_IngestAnswers503WithRetryAfter_AndWhatQdrantAppliesLaterIsNeverCited()
    {
        await using var qdrant = await FakeQdrantServer.StartAsync();
        await using var app = await StartAsync(qdrant);
        Assert.Equal(HttpStatusCode.Created, (await IngestAsync(app, "library", Library)).StatusCode);
        qdrant.DeferWrites = true;

        using var busy = await IngestAsync(app, "qa-doc3", Zebra);

        // Qdrant's "accepted, not applied yet" is Qdrant being busy: worth retrying, not a configuration to fix.
        var detail = (await busy.ProblemAsync(HttpStatusCode.ServiceUnavailable)).GetProperty("detail").GetString()!;
        Assert.NotNull(busy.Headers.RetryAfter);
        Assert.Contains("Qdrant", detail, StringComparison.Ordinal);
        Assert.Contains("busy", detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/knowledge/documents/qa-doc3")).StatusCode);
        qdrant.DeferWrites = false;
        qdrant.ApplyDeferred(1);
        Assert.Contains("qa-doc3", qdrant.PayloadValues(Collection, "document_id"));
        var hits = (await app.GetJsonAsync("/v1/knowledge/search?q=zebra%20hoof%20trimming&k=5")).GetProperty("items").EnumerateArray();
        Assert.DoesNotContain(hits, h => h.GetProperty("documentId").GetString() == "qa-doc3");
        // Any write removes what the failed ingest left (here the delete, which still finds no such document).
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.DeleteAsync("/v1/knowledge/documents/qa-doc3")).StatusCode);
        qdrant.ApplyDeferred();
        Assert.DoesNotContain("qa-doc3", qdrant.PayloadValues(Collection, "document_id"));
    }

    [Fact]
    public async Task Knowledge_QdrantLosesItsCollectionWhileRunning_SearchAndIngestRestoreItOnce()
    {
        await using var qdrant = await FakeQdrantServer.StartAsync();
        await using var app = await StartAsync(qdrant);
        Assert.Equal(HttpStatusCode.Created, (await IngestAsync(app, "retention", Retention)).StatusCode);
        var stored = qdrant.PointCount(Collection);
        Assert.True(qdrant.DropCollection(Collection));

        var searches = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => app.Client.GetAsync("/v1/knowledge/search?q=deleted%20within%2030%20days&k=3")));

        foreach (var search in searches)
        {
            Assert.True(search.StatusCode == HttpStatusCode.OK, await search.Content.ReadAsStringAsync());
            Assert.Contains("\"documentId\":\"retention\"", await search.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(stored, qdrant.PointCount(Collection));
        Assert.Equal(2, qdrant.Requests.Count(r => r == $"PUT /collections/{Collection}"));
        qdrant.DropCollection(Collection);
        Assert.Equal(HttpStatusCode.Created, (await IngestAsync(app, "zebra", Zebra)).StatusCode);
        Assert.Equal(["retention", "zebra"], qdrant.PayloadValues(Collection, "document_id").Distinct().Order());
    }

    private static Task<AgentCrmApp> StartAsync(FakeQdrantServer qdrant) => AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
    {
        ["Knowledge:Provider"] = "Qdrant",
        ["Knowledge:Qdrant:Url"] = qdrant.Url,
    });

    private static Task<HttpResponseMessage> IngestAsync(AgentCrmApp app, string id, string markdown) =>
        app.Client.PostAsync($"/v1/knowledge/documents?id={id}", new StringContent(markdown, Encoding.UTF8, "text/markdown"));
}
