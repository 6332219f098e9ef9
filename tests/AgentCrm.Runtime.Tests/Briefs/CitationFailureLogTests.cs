using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Runtime.Tests.Intake;
using AgentCrm.Runtime.Tests.Server;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Briefs;

/// <summary>
/// A knowledge store that goes down fails the citation search of every brief: briefs are still written, citing nothing,
/// and the log gets one warning with its stack trace per interval (with the count since), not one per brief; every such
/// brief is counted (health's <c>citationFailures</c>, <c>agentcrm_agent_citation_failures_total</c>), so ops can alert on it.
/// </summary>
public sealed class CitationFailureLogTests
{
    private const string ChoiceOfLawTerms =
        "Welcome to Acme Cloud. These terms govern your use of the service. " +
        "These terms shall be governed by and construed in accordance with the laws of the State of California, without regard to its conflict of law provisions. " +
        "We hope you enjoy the service.";

    [Fact]
    public async Task AnEmbeddingEndpointThatGoesDown_IsLoggedOncePerInterval_NotOncePerBrief()
    {
        using var embeddings = new FakeEmbeddings(384);
        var logs = new CapturedLogs();
        await using var app = await AgentCrmApp.StartAsync(
            settings: new Dictionary<string, string?> { ["Knowledge:Embeddings:Endpoint"] = embeddings.Endpoint, ["Knowledge:Embeddings:MaxRetries"] = "0" },
            configure: s => s.AddSingleton(logs.Provider()));
        const string house = "# House rules\n\n## Governing law\n\nSend any choice of law clause to legal.";
        var created = await app.Client.PostAsync("/v1/knowledge/documents?id=house-rules", new StringContent(house, Encoding.UTF8, "text/markdown"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        embeddings.Up = false;
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var events = Enumerable.Range(0, 12).Select(i => Ev.Make($"cite-{i}", "document", now, new { docType = "terms", text = ChoiceOfLawTerms })).ToList();
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(events)).StatusCode);
        await app.WaitForProcessingAsync();

        var briefs = await app.BriefsAsync("&agentId=compliance-check");
        Assert.Equal(12, briefs.Count);
        Assert.All(briefs, b => Assert.Empty(b.GetProperty("citations").EnumerateArray()));
        var warned = logs.Entries.Where(e => e.Message.StartsWith("Knowledge search for a compliance-check", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(warned);
        Assert.NotNull(line.Exception);
        Assert.StartsWith("Knowledge search for a compliance-check@1.0.0 brief failed", line.Message, StringComparison.Ordinal);

        using var health = JsonDocument.Parse(await app.Client.GetStringAsync("/v1/agents/compliance-check/health"));
        var version = health.RootElement.GetProperty("versions").EnumerateArray().Single(v => v.GetProperty("version").GetString() == "1.0.0");
        Assert.Equal(12, version.GetProperty("citationFailures").GetInt64());
        var metrics = Observability.Prometheus.Parse(await app.Client.GetStringAsync("/metrics"));
        Assert.Equal(12, metrics.Sum("agentcrm_agent_citation_failures_total", ("agent", "compliance-check"), ("version", "1.0.0")));
    }

    /// <summary>
    /// A brief written while the knowledge cannot be searched says so, to the CSM who reads it, and is marked
    /// <c>citationsFailed</c>: it said that no section matched closely enough to cite, as if the knowledge had been checked.
    /// </summary>
    [Fact]
    public async Task ABriefWrittenWhileTheKnowledgeIsDown_SaysTheKnowledgeCouldNotBeSearched_NotThatNothingMatched()
    {
        using var embeddings = new FakeEmbeddings(384);
        await using var app = await AgentCrmApp.StartAsync(
            settings: new Dictionary<string, string?> { ["Knowledge:Embeddings:Endpoint"] = embeddings.Endpoint, ["Knowledge:Embeddings:MaxRetries"] = "0" });
        const string house = "# House rules\n\n## Governing law\n\nSend any choice of law clause to legal.";
        var created = await app.Client.PostAsync("/v1/knowledge/documents?id=house-rules", new StringContent(house, Encoding.UTF8, "text/markdown"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        embeddings.Up = false;
        var ev = Ev.Make("cite-down", "document", DateTimeOffset.UtcNow.AddMinutes(-5), new { docType = "terms", text = ChoiceOfLawTerms });
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([ev])).StatusCode);
        await app.WaitForProcessingAsync();

        var brief = Assert.Single(await app.BriefsAsync("&agentId=compliance-check"));
        Assert.Empty(brief.GetProperty("citations").EnumerateArray());
        Assert.True(brief.GetProperty("citationsFailed").GetBoolean());
        var body = brief.GetProperty("body").GetString()!;
        Assert.Contains("Sources: none — the knowledge store could not be searched when this brief was written", body, StringComparison.Ordinal);
        Assert.DoesNotContain("matched this finding", body, StringComparison.Ordinal);
        // Read back from the store as written.
        using var stored = JsonDocument.Parse(await app.Client.GetStringAsync($"/v1/briefs/{brief.GetProperty("id").GetString()}"));
        Assert.True(stored.RootElement.GetProperty("citationsFailed").GetBoolean());
    }

    /// <summary>An OpenAI-compatible embeddings endpoint on a loopback port: the same vector for every input while up, 503 while down.</summary>
    private sealed class FakeEmbeddings : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly int _dimension;

        public FakeEmbeddings(int dimension)
        {
            _dimension = dimension;
            // A port picked free may be taken before the listener binds it: another one then.
            for (var attempt = 1; ; attempt++)
            {
                var port = ServeProcess.FreePort();
                _listener.Prefixes.Clear();
                _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
                try
                {
                    _listener.Start();
                    Endpoint = $"http://127.0.0.1:{port}/v1";
                    break;
                }
                catch (HttpListenerException) when (attempt < 3)
                {
                }
            }
            _ = Task.Run(ServeAsync);
        }

        public string Endpoint { get; } = "";

        public volatile bool Up = true;

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
                try
                {
                    await AnswerAsync(context);
                }
                catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException)
                {
                    // The client went away (its own time limit): the next request is still served.
                }
            }
        }

        private async Task AnswerAsync(HttpListenerContext context)
        {
            using var reader = new StreamReader(context.Request.InputStream);
            var request = JsonNode.Parse(await reader.ReadToEndAsync())!;
            if (!Up)
            {
                context.Response.StatusCode = 503;
                context.Response.Close();
                return;
            }
            var inputs = request["input"]!.AsArray().Count;
            var vector = Enumerable.Repeat(1f, _dimension).ToArray();
            var body = JsonSerializer.SerializeToUtf8Bytes(new { data = Enumerable.Range(0, inputs).Select(i => new { index = i, embedding = vector }) });
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }

        public void Dispose() => _listener.Close();
    }
}
