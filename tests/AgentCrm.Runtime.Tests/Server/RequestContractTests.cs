using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>
/// One rule for every request body and its documentation (api29): field names exactly camelCase on every body (JSON
/// bodies, manifests, events), a body of a type the endpoint does not read is 415 naming Content-Type on every endpoint,
/// a 405 allows HEAD where it allows GET, and the document's descriptions carry no C# signatures.
/// </summary>
public sealed partial class RequestContractTests
{
    [Fact]
    public async Task Bodies_FieldInAnotherCase_Are400UnknownField_Everywhere()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var briefId = await app.AtRiskBriefAsync("acme", "delivered");
        var builtIn = await app.GetJsonAsync("/v1/agents/renewal-risk/versions/1.0.1");
        var manifest = builtIn.GetProperty("manifest").GetRawText().Replace("\"id\":", "\"ID\":", StringComparison.Ordinal).Replace("\"1.0.1\"", "\"1.0.9\"", StringComparison.Ordinal);

        foreach (var (name, url, body, field) in new[]
        {
            ("veto", $"/v1/briefs/{briefId}/veto", """{"Reason":"not at risk"}""", "Reason"),
            ("accounts", "/v1/csms/alice/accounts", """{"Accounts":["acme"]}""", "Accounts"),
            ("events", "/v1/events", """{"ID":"e1","customerId":"acme","type":"nps","occurredAt":"2026-01-01T00:00:00Z"}""", "ID"),
            ("manifest", "/v1/agents", manifest, "ID"),
        })
        {
            using var response = await (url.StartsWith("/v1/csms", StringComparison.Ordinal)
                ? app.Client.PutAsync(url, new StringContent(body, Encoding.UTF8, "application/json"))
                : app.Client.PostAsync(url, new StringContent(body, Encoding.UTF8, "application/json")));
            var errors = (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
            Assert.True(errors.EnumerateObject().Any(e => e.Name.EndsWith(field, StringComparison.Ordinal)), $"{name}: {errors}");
        }
        Assert.Equal("delivered", (await app.GetJsonAsync($"/v1/briefs/{briefId}")).GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("/v1/cases/mine", "application/json", "{}")]
    [InlineData("/v1/agents/plugins", "application/json", "{}")]
    [InlineData("/v1/agents/renewal-risk/versions/1.0.1/promote", "text/plain", "x")]
    [InlineData("/v1/briefs/b/veto", "application/x-www-form-urlencoded", "reason=x")]
    [InlineData("/v1/audit/verify", "application/x-www-form-urlencoded", "a=b")]
    [InlineData("/v1/events", "application/xml", "<e/>")]
    // curl --data-binary @file sends a form type unless told otherwise: the uploads read multipart/form-data only (qa34a).
    [InlineData("/v1/knowledge/documents", "application/x-www-form-urlencoded", "# X\n\ntext\n")]
    [InlineData("/v1/cases/mine", "application/x-www-form-urlencoded", "customerId,cutoff,label\nacme,2026-01-01,1\n")]
    [InlineData("/v1/agents/plugins", "application/x-www-form-urlencoded", "assembly=x&manifest=y")]
    [InlineData("/v1/agents/renewal-risk/versions/1.0.1/evaluate", "application/x-www-form-urlencoded", "cases=x")]
    public async Task Body_OfATypeTheEndpointDoesNotRead_Is415NamingContentType(string url, string type, string body)
    {
        await using var app = await AgentCrmApp.StartAsync();

        using var response = await app.Client.PostAsync(url, new StringContent(body, Encoding.UTF8, type));

        var problem = await response.ProblemAsync(HttpStatusCode.UnsupportedMediaType);
        Assert.True(problem.GetProperty("errors").TryGetProperty("Content-Type", out _), problem.ToString());
    }

    [Fact]
    public async Task KnowledgeDocument_SentAsAFormBody_Is415ListingTheTypesItReads_NothingStored()
    {
        await using var app = await AgentCrmApp.StartAsync();
        // Past the form reader's key limit (2,048 characters) it said "multipart/form-data body is malformed".
        var document = "# Onboarding\n\n" + string.Concat(Enumerable.Repeat("Call the customer in the first week. ", 100));

        using var response = await app.Client.PostAsync("/v1/knowledge/documents?id=onboarding",
            new StringContent(document, Encoding.UTF8, "application/x-www-form-urlencoded"));

        var message = (await response.ProblemAsync(HttpStatusCode.UnsupportedMediaType)).GetProperty("errors").GetProperty("Content-Type")[0].GetString()!;
        Assert.Contains("markdown", message, StringComparison.Ordinal);
        Assert.Contains("multipart/form-data", message, StringComparison.Ordinal);
        Assert.Contains("-H 'Content-Type: text/markdown'", message, StringComparison.Ordinal);
        using var get = await app.Client.GetAsync("/v1/knowledge/documents/onboarding");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task AuditVerify_EmptyFormBody_IsNoAnchors_AnAnchorWithoutHash_SaysHashIsRequired()
    {
        await using var app = await AgentCrmApp.StartAsync();

        using (var empty = await app.Client.PostAsync("/v1/audit/verify", new StringContent("", Encoding.UTF8, "application/x-www-form-urlencoded")))
            Assert.Equal(HttpStatusCode.OK, empty.StatusCode);
        using var anchor = await app.Client.PostAsync("/v1/audit/verify", new StringContent("""{"anchors":[{"seq":1}]}""", Encoding.UTF8, "application/json"));

        var message = (await anchor.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("anchors[0].hash")[0].GetString();
        Assert.StartsWith("Hash is required", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Since_WithAPlusSentUnencoded_SaysToSendItAsPercent2B()
    {
        await using var app = await AgentCrmApp.StartAsync();

        using var response = await app.Client.GetAsync("/v1/briefs?since=2026-12-05T22:20:00+01:00");

        Assert.Contains("%2B", (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("since")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MethodNotAllowed_OnAGetPath_AllowsHeadToo()
    {
        await using var app = await AgentCrmApp.StartAsync();

        using var response = await app.Client.DeleteAsync("/v1/briefs");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        var allow = response.Content.Headers.Allow;
        Assert.Contains("GET", allow);
        Assert.Contains("HEAD", allow);
    }

    [Fact]
    public async Task Document_Descriptions_CarryNoCSharpSignatures_AndNameTheirValues()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var document = await app.GetJsonAsync("/openapi/v1.json");

        var leaks = new List<string>();
        Walk(document, "", leaks);
        Assert.True(leaks.Count == 0, "descriptions with C# references:\n" + string.Join("\n", leaks));
        var schemas = document.GetProperty("components").GetProperty("schemas");
        Assert.EndsWith("absent: 0.01.", schemas.GetProperty("GateCriteria").GetProperty("properties").GetProperty("maxErrorRate").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Contains("`pending` counts", schemas.GetProperty("BriefCounts").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Contains("10 seconds", schemas.GetProperty("ReadyStatus").GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    private static void Walk(JsonElement element, string path, List<string> leaks)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name is "description" or "summary" && property.Value.ValueKind == JsonValueKind.String && Signature().Match(property.Value.GetString()!) is { Success: true } match)
                    leaks.Add($"{path}: …{match.Value}…");
                Walk(property.Value, $"{path}/{property.Name}", leaks);
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in element.EnumerateArray())
                Walk(item, $"{path}/{i++}", leaks);
        }
    }

    // "double GateCriteria.DefaultMaxErrorRate", "IReadOnlyDictionary&lt;string, int&gt; ReadyStatus.LiveVersions", "VetoPolicy.DeliverThenVeto".
    [GeneratedRegex(@"&lt;|\b(string|int|long|double|bool|TimeSpan|DateTimeOffset\??)\s+[A-Z]\w+\.[A-Z]\w+|\b[A-Z][a-z]+[A-Z]\w*\.[A-Z][a-z]\w*\b")]
    private static partial Regex Signature();
}
