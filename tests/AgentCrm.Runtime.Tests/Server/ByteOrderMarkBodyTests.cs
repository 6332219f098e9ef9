using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>
/// One leading UTF-8 byte order mark (what Windows tools and PowerShell 5 write) is ignored by every body reader, as intake
/// ignores it and the CLI's file read does: JSON bodies and manifests answered it "Malformed JSON … '0xEF'", or read a
/// JSON manifest as YAML, or a YAML manifest's first comment as an unknown field.
/// </summary>
public sealed class ByteOrderMarkBodyTests
{
    private static ByteArrayContent WithBom(string text, string mediaType)
    {
        var content = new ByteArrayContent([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(text)]);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return content;
    }

    private const string JsonManifest = """
        {"id":"bom-json","version":"1.0.0","kind":"rules","scenario":"test","subscribes":["support_ticket"],"reads":["tickets.open"],
         "purpose":"customer-success","threshold":0.5,"rules":{"conditions":[{"name":"many","when":"tickets.open > 3","weight":1}]}}
        """;

    private const string YamlManifest = """
        # A manifest saved by a Windows editor
        id: bom-yaml
        version: 1.0.0
        kind: rules
        scenario: test
        subscribes: [support_ticket]
        reads: [tickets.open]
        purpose: customer-success
        threshold: 0.5
        rules:
          conditions:
            - name: many
              when: tickets.open > 3
              weight: 1
        """;

    [Fact]
    public async Task JsonBody_WithALeadingBom_IsRead()
    {
        await using var app = await AgentCrmApp.StartAsync();

        using var response = await app.Client.PutAsync("/v1/csms/alice/accounts", WithBom("""{"accounts":["acme"]}""", "application/json"));

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var accounts = (await app.GetJsonAsync("/v1/csms/alice/accounts")).GetProperty("accounts");
        Assert.Equal("acme", Assert.Single(accounts.EnumerateArray()).GetString());
    }

    [Theory]
    [InlineData("bom-json", JsonManifest, "application/json")]
    [InlineData("bom-yaml", YamlManifest, "application/yaml")]
    public async Task Manifest_WithALeadingBom_Registers(string id, string manifest, string mediaType)
    {
        await using var app = await AgentCrmApp.StartAsync();

        using var response = await app.Client.PostAsync("/v1/agents", WithBom(manifest, mediaType));

        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync($"/v1/agents/{id}/versions/1.0.0")).StatusCode);
    }

    /// <summary>An endpoint that reads no body takes `{}`, `null` or nothing after one too: it answered 400 "This endpoint takes no body" (qa43c #2).</summary>
    [Fact]
    public async Task NoBodyEndpoint_WithAnEmptyObjectOrNothingAfterABom_IsAnsweredOnItsMerits()
    {
        await using var app = await AgentCrmApp.StartAsync();
        foreach (var body in new[] { "{}", "", " null " })
        {
            using var response = await app.Client.PostAsync("/v1/agents/renewal-risk/rollback", WithBom(body, "application/json"));
            // Nothing to roll back to: 409, not "This endpoint takes no body".
            Assert.True(response.StatusCode == HttpStatusCode.Conflict, $"'{body}': {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        using var refused = await app.Client.PostAsync("/v1/agents/renewal-risk/rollback", WithBom("""{"version":"1.0.0"}""", "application/json"));
        Assert.True((await refused.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("version", out _));
    }
}
