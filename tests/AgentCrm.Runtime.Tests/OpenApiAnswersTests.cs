using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Runtime.Tests.Rules;

namespace AgentCrm.Runtime.Tests;

/// <summary>
/// The server's real answers validate against its own <c>GET /openapi/v1.json</c> with ajv (draft 2020-12), as a client
/// generated from the document or a contract test reads them: the agent lifecycle (list, get, register, evaluate, promote,
/// rollback, unregister), jobs, briefs (and a brief event of the stream), evidence, a customer, feedback, the review queue,
/// audit (and its anchors), webhooks, readiness, knowledge upload and search, sandbox reports, and ProblemDetails refusals with
/// their own members (the gate's unmet, a job's state, a CSM's customerId); an answer member its schema does not name is
/// drift too; and the bodies sent, the smallest each handler takes, against the
/// document's request schemas.
/// </summary>
public sealed class OpenApiAnswersTests
{
    [Fact]
    public async Task RealAnswers_OfTheMainOperations_ValidateAgainstTheDocument()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Webhooks:AllowPrivateAddresses"] = "true" });
        var document = await app.GetJsonAsync("/openapi/v1.json");
        var log = new Exchanges(app.Client);

        await log.SendAsync("list agents", HttpMethod.Get, "/v1/agents", "/v1/agents", HttpStatusCode.OK);
        await log.SendAsync("get agent", HttpMethod.Get, "/v1/agents/{id}", "/v1/agents/renewal-risk", HttpStatusCode.OK);
        var builtIn = await log.SendAsync("get version", HttpMethod.Get, "/v1/agents/{id}/versions/{version}", "/v1/agents/renewal-risk/versions/1.0.1", HttpStatusCode.OK);
        var manifest = JsonNode.Parse(builtIn.GetProperty("manifest").GetRawText())!.AsObject();
        manifest["version"] = "1.0.2";
        manifest["gate"] = new JsonObject { ["minCases"] = 1, ["minPrecision"] = 0, ["minRecall"] = 0 };
        await log.SendAsync("register", HttpMethod.Post, "/v1/agents", "/v1/agents", HttpStatusCode.Created, manifest);
        await log.SendAsync("register again", HttpMethod.Post, "/v1/agents", "/v1/agents", HttpStatusCode.OK, manifest);
        var job = await log.SendAsync("evaluate", HttpMethod.Post, "/v1/agents/{id}/versions/{version}/evaluate", "/v1/agents/renewal-risk/versions/1.0.2/evaluate",
            HttpStatusCode.Accepted, new JsonObject { ["caseSet"] = "telco-churn" });
        var jobId = job.GetProperty("id").GetString()!;
        for (var i = 0; i < 1200 && job.GetProperty("state").GetString() == "running"; i++)
        {
            await Task.Delay(50);
            job = await log.SendAsync("get job", HttpMethod.Get, "/v1/jobs/{jobId}", $"/v1/jobs/{jobId}", HttpStatusCode.OK);
        }
        Assert.Equal("succeeded", job.GetProperty("state").GetString());
        await log.SendAsync("list jobs", HttpMethod.Get, "/v1/jobs", "/v1/jobs?state=succeeded&kind=evaluate", HttpStatusCode.OK);
        await log.SendAsync("cancel an ended job", HttpMethod.Delete, "/v1/jobs/{jobId}", $"/v1/jobs/{jobId}", HttpStatusCode.Conflict);
        await log.SendAsync("latest report", HttpMethod.Get, "/v1/agents/{id}/versions/{version}/reports/latest", "/v1/agents/renewal-risk/versions/1.0.2/reports/latest", HttpStatusCode.OK);
        await log.SendAsync("report by id", HttpMethod.Get, "/v1/reports/{reportId}", $"/v1/reports/{job.GetProperty("reportId").GetString()}", HttpStatusCode.OK);
        var ungated = manifest.DeepClone().AsObject();
        ungated["version"] = "1.0.3";
        await log.SendAsync("register an unevaluated version", HttpMethod.Post, "/v1/agents", "/v1/agents", HttpStatusCode.Created, ungated);
        await log.SendAsync("promote refused by the gate", HttpMethod.Post, "/v1/agents/{id}/versions/{version}/promote", "/v1/agents/renewal-risk/versions/1.0.3/promote",
            HttpStatusCode.Conflict, new JsonObject());
        await log.SendAsync("promote", HttpMethod.Post, "/v1/agents/{id}/versions/{version}/promote", "/v1/agents/renewal-risk/versions/1.0.2/promote",
            HttpStatusCode.OK, new JsonObject { ["canaryPercent"] = 50 });
        await log.SendAsync("health", HttpMethod.Get, "/v1/agents/{id}/health", "/v1/agents/renewal-risk/health", HttpStatusCode.OK);
        await log.SendAsync("rollback", HttpMethod.Post, "/v1/agents/{id}/rollback", "/v1/agents/renewal-risk/rollback", HttpStatusCode.OK);

        using var csm = await app.ClientAsync("csm", "alice");
        await log.SendAsync("assign accounts", HttpMethod.Put, "/v1/csms/{csmId}/accounts", "/v1/csms/alice/accounts", HttpStatusCode.OK, new JsonObject { ["accounts"] = new JsonArray("acme") });
        using var stream = await app.Client.GetAsync("/v1/briefs/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        using var events = new StreamReader(await stream.Content.ReadAsStreamAsync());
        await log.SendAsync("post events", HttpMethod.Post, "/v1/events", "/v1/events", HttpStatusCode.Accepted, new JsonArray([.. Timelines.AtRisk("acme", DateTimeOffset.UtcNow)]));
        await app.WaitForProcessingAsync();
        log.RecordEvent("stream", "/v1/briefs/stream", await NextEventAsync(events, "brief"));
        var briefs = await log.SendAsync("list briefs", HttpMethod.Get, "/v1/briefs", "/v1/briefs?customerId=acme", HttpStatusCode.OK);
        var briefId = briefs.GetProperty("items")[0].GetProperty("id").GetString()!;
        await log.SendAsync("get brief", HttpMethod.Get, "/v1/briefs/{id}", $"/v1/briefs/{briefId}", HttpStatusCode.OK);
        await log.SendAsync("evidence", HttpMethod.Get, "/v1/briefs/{id}/evidence", $"/v1/briefs/{briefId}/evidence", HttpStatusCode.OK);
        await log.SendAsync("customer", HttpMethod.Get, "/v1/customers/{id}", "/v1/customers/acme", HttpStatusCode.OK);
        await log.SendAsync("csm's other customer", HttpMethod.Get, "/v1/customers/{id}", "/v1/customers/globex", HttpStatusCode.Forbidden, client: csm);
        await log.SendAsync("csm's other customer's briefs", HttpMethod.Get, "/v1/briefs", "/v1/briefs?customerId=globex", HttpStatusCode.Forbidden, client: csm);
        await log.SendAsync("feedback", HttpMethod.Post, "/v1/briefs/{id}/feedback", $"/v1/briefs/{briefId}/feedback", HttpStatusCode.OK, new JsonObject { ["useful"] = true }, client: csm);
        await log.SendAsync("csm's brief", HttpMethod.Get, "/v1/briefs/{id}", $"/v1/briefs/{briefId}", HttpStatusCode.OK, client: csm);
        await log.SendAsync("review queue", HttpMethod.Get, "/v1/reviews", "/v1/reviews", HttpStatusCode.OK);
        await log.SendAsync("veto", HttpMethod.Post, "/v1/briefs/{id}/veto", $"/v1/briefs/{briefId}/veto", HttpStatusCode.OK, new JsonObject { ["reason"] = "not at risk" });
        await log.SendAsync("get vetoed brief", HttpMethod.Get, "/v1/briefs/{id}", $"/v1/briefs/{briefId}", HttpStatusCode.OK);
        await log.SendAsync("me", HttpMethod.Get, "/v1/me", "/v1/me", HttpStatusCode.OK);
        await log.SendAsync("audit", HttpMethod.Get, "/v1/audit", "/v1/audit", HttpStatusCode.OK);
        var verified = await log.SendAsync("verify audit", HttpMethod.Post, "/v1/audit/verify", "/v1/audit/verify", HttpStatusCode.OK);
        await log.SendAsync("verify audit with an anchor", HttpMethod.Post, "/v1/audit/verify", "/v1/audit/verify", HttpStatusCode.OK,
            new JsonObject { ["anchors"] = new JsonArray(JsonNode.Parse(verified.GetProperty("head").GetRawText())) });
        await log.SendAsync("anchor without a hash", HttpMethod.Post, "/v1/audit/verify", "/v1/audit/verify", HttpStatusCode.BadRequest,
            new JsonObject { ["anchors"] = new JsonArray(new JsonObject { ["seq"] = 1 }) });
        await log.SendAsync("readiness", HttpMethod.Get, "/readyz", "/readyz", HttpStatusCode.OK);
        await log.SendAsync("upload a document", HttpMethod.Post, "/v1/knowledge/documents", "/v1/knowledge/documents?id=playbook&title=Playbook&tags=renewal",
            HttpStatusCode.Created, content: new StringContent("# Playbook\n\nCall the sponsor before the renewal.\n", Encoding.UTF8, "text/markdown"));
        await log.SendAsync("search", HttpMethod.Get, "/v1/knowledge/search", "/v1/knowledge/search?q=sponsor", HttpStatusCode.OK);
        await log.SendAsync("case sets", HttpMethod.Get, "/v1/cases", "/v1/cases", HttpStatusCode.OK);
        await log.SendAsync("case set", HttpMethod.Get, "/v1/cases/{name}", "/v1/cases/telco-churn", HttpStatusCode.OK);
        await log.SendAsync("dead letters", HttpMethod.Get, "/v1/dead-letters", "/v1/dead-letters", HttpStatusCode.OK);

        var hook = await log.SendAsync("create webhook", HttpMethod.Post, "/v1/webhooks", "/v1/webhooks", HttpStatusCode.Created, new JsonObject { ["url"] = "http://127.0.0.1:9/hook" });
        var hookId = hook.GetProperty("id").GetString()!;
        await log.SendAsync("list webhooks", HttpMethod.Get, "/v1/webhooks", "/v1/webhooks", HttpStatusCode.OK);
        await log.SendAsync("rotate secret without a body", HttpMethod.Post, "/v1/webhooks/{id}/secret", $"/v1/webhooks/{hookId}/secret", HttpStatusCode.OK);

        await log.SendAsync("unknown agent", HttpMethod.Get, "/v1/agents/{id}", "/v1/agents/nobody", HttpStatusCode.NotFound);
        await log.SendAsync("unknown query parameter", HttpMethod.Get, "/v1/agents", "/v1/agents?limt=5", HttpStatusCode.BadRequest);
        await log.SendAsync("gzipped manifest", HttpMethod.Post, "/v1/agents", "/v1/agents", HttpStatusCode.UnsupportedMediaType, manifest, contentEncoding: "gzip");
        await log.SendAsync("JSON to an upload", HttpMethod.Post, "/v1/cases/{name}", "/v1/cases/mine", HttpStatusCode.UnsupportedMediaType, new JsonObject { ["events"] = new JsonArray() });
        await log.SendAsync("a field in another case", HttpMethod.Post, "/v1/briefs/{id}/veto", $"/v1/briefs/{briefId}/veto", HttpStatusCode.BadRequest, new JsonObject { ["Reason"] = "a" });
        using (var anonymous = await app.ClientAsync(role: null))
            await log.SendAsync("no credential", HttpMethod.Get, "/v1/agents", "/v1/agents", HttpStatusCode.Unauthorized, client: anonymous);
        await log.SendAsync("wrong role", HttpMethod.Get, "/v1/jobs", "/v1/jobs", HttpStatusCode.Forbidden, client: csm);
        await log.SendAsync("unregister", HttpMethod.Delete, "/v1/agents/{id}", "/v1/agents/renewal-risk", HttpStatusCode.OK);

        var results = await ValidateAsync(document, log.Recorded);
        Assert.Equal(log.Recorded.Count, results.Count);
        var invalid = results.Where(r => !r.GetProperty("valid").GetBoolean()).Select(r => r.ToString()).ToList();
        Assert.True(invalid.Count == 0, "answers the document does not describe:\n" + string.Join("\n", invalid));

        // 201 and 202 answers carry Location where the document says so, and only there.
        foreach (var (exchange, location) in log.Recorded.Zip(log.Locations))
        {
            if ((int)exchange["status"]! is not (201 or 202))
                continue;
            var declared = document.GetProperty("paths").GetProperty((string)exchange["path"]!).GetProperty(((string)exchange["method"]!).ToLowerInvariant())
                .GetProperty("responses").GetProperty(((int)exchange["status"]!).ToString(System.Globalization.CultureInfo.InvariantCulture))
                .TryGetProperty("headers", out var headers) && headers.TryGetProperty("Location", out _);
            Assert.True(declared == (location is not null), $"{exchange["name"]}: Location {(location is null ? "absent" : location)}, documented: {declared}");
        }
    }

    /// <summary>The next server-sent event named <paramref name="name"/> (others, such as heartbeats, are skipped): its data.</summary>
    private static async Task<(string Name, JsonNode Data)> NextEventAsync(StreamReader reader, string name)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string? current = null;
        while (await reader.ReadLineAsync(cancel.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
                current = line["event: ".Length..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && current == name)
                return (name, JsonNode.Parse(line["data: ".Length..])!);
        }
        throw new InvalidOperationException($"Expected a '{name}' event before the stream ended.");
    }

    /// <summary>Runs schema-js/openapi.js over the exchanges; one result per exchange.</summary>
    private static async Task<List<JsonElement>> ValidateAsync(JsonElement document, IReadOnlyList<JsonObject> exchanges)
    {
        var scripts = await SchemaJs.InstallAsync();
        var dir = TempDirectory.Create();
        var documentFile = Path.Combine(dir, "openapi.json");
        await File.WriteAllTextAsync(documentFile, document.GetRawText());
        var exchangesFile = Path.Combine(dir, "exchanges.json");
        await File.WriteAllTextAsync(exchangesFile, new JsonArray([.. exchanges]).ToJsonString());
        var run = await SchemaJs.RunAsync("node", scripts, Path.Combine(scripts, "openapi.js"), documentFile, exchangesFile);
        Assert.True(run.ExitCode == 0, run.Stderr);
        return [.. run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    /// <summary>Sends requests and records each exchange as openapi.js reads it (with the Location each answer carried).</summary>
    private sealed class Exchanges(HttpClient admin)
    {
        public List<JsonObject> Recorded { get; } = [];

        public List<string?> Locations { get; } = [];

        /// <summary>Records an event read from a <c>text/event-stream</c> answer of GET <paramref name="template"/>.</summary>
        public void RecordEvent(string name, string template, (string Name, JsonNode Data) e)
        {
            Recorded.Add(new JsonObject
            {
                ["name"] = name,
                ["method"] = "GET",
                ["path"] = template,
                ["status"] = 200,
                ["contentType"] = "text/event-stream",
                ["event"] = e.Name,
                ["body"] = e.Data,
            });
            Locations.Add(null);
        }

        public async Task<JsonElement> SendAsync(string name, HttpMethod method, string template, string url, HttpStatusCode expected,
            JsonNode? body = null, HttpClient? client = null, string? contentEncoding = null, HttpContent? content = null)
        {
            using var request = new HttpRequestMessage(method, url) { Content = content };
            if (body is not null)
            {
                request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
                if (contentEncoding is not null)
                    request.Content.Headers.ContentEncoding.Add(contentEncoding);
            }
            using var response = await (client ?? admin).SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == expected, $"{name}: {method} {url} answered {(int)response.StatusCode}, expected {(int)expected}: {text}");
            var json = text.Length == 0 ? null : JsonNode.Parse(text);
            var exchange = new JsonObject
            {
                ["name"] = name,
                ["method"] = method.Method,
                ["path"] = template,
                ["status"] = (int)response.StatusCode,
                ["contentType"] = response.Content.Headers.ContentType?.MediaType,
                ["body"] = json,
            };
            // A refused body is not one the handler takes: only accepted ones are checked against the request schema.
            if (body is not null && response.IsSuccessStatusCode)
                exchange["request"] = new JsonObject { ["contentType"] = "application/json", ["body"] = body.DeepClone() };
            Recorded.Add(exchange);
            Locations.Add(response.Headers.Location?.OriginalString);
            return json is null ? default : JsonDocument.Parse(text).RootElement.Clone();
        }
    }
}
