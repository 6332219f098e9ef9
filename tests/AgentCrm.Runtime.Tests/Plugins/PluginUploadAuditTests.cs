using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AgentCrm.Access;
using AgentCrm.Agents.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Plugins;

/// <summary>
/// Validating an upload runs the plugin's code (its constructors and Create) before anything is registered, and a refused
/// upload left no audit record. Every attempt is audited with its caller, hash and outcome, and Plugins:AllowUpload=false
/// refuses uploads before any byte is read.
/// </summary>
public sealed class PluginUploadAuditTests
{
    private static readonly string Hash = PluginKind.HashOf(File.ReadAllBytes(PluginTests.PluginPath));

    private static async Task<(HttpStatusCode Status, string? MediaType, JsonElement Body)> UploadAsync(HttpClient client, string manifest)
    {
        using var form = new MultipartFormDataContent();
        var dll = new ByteArrayContent(File.ReadAllBytes(PluginTests.PluginPath));
        dll.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(dll, "assembly", "AgentCrm.SamplePlugin.dll");
        form.Add(new StringContent(manifest, Encoding.UTF8, "application/yaml"), "manifest", "manifest.yaml");
        using var response = await client.PostAsync("/v1/agents/plugins", form);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static async Task<List<JsonElement>> UploadRecordsAsync(AgentCrmApp app) =>
        (await app.GetJsonAsync($"/v1/audit?action={PluginUploadAudit.Action}")).GetProperty("items").EnumerateArray().Reverse().ToList();

    [Fact]
    public async Task Upload_RegisteredAndRefused_AreEachAuditedWithCallerHashAndOutcome()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var ops = await app.ClientAsync(Roles.Ops, "uploader");

        var (status, _, body) = await UploadAsync(ops, PluginTests.TicketSurge());
        Assert.True(status == HttpStatusCode.Created, $"{(int)status} {body}");
        (status, _, body) = await UploadAsync(ops, PluginTests.TicketSurge("no-such-kind").Replace("kind: ticket-surge", "kind: nope", StringComparison.Ordinal));
        Assert.True(status == HttpStatusCode.BadRequest, $"{(int)status} {body}");

        var records = await UploadRecordsAsync(app);
        Assert.Equal(2, records.Count);
        foreach (var record in records)
        {
            Assert.Equal("key:uploader", record.GetProperty("actor").GetString());
            Assert.Equal($"plugin:{Hash}", record.GetProperty("subject").GetString());
        }
        var registered = records[0].GetProperty("data");
        Assert.Equal("registered", registered.GetProperty("outcome").GetString());
        Assert.Equal(201, registered.GetProperty("status").GetInt32());
        Assert.Equal("ticket-surge@1.0.0", registered.GetProperty("agent").GetString());
        var refused = records[1].GetProperty("data");
        Assert.Equal("refused", refused.GetProperty("outcome").GetString());
        Assert.Equal(400, refused.GetProperty("status").GetInt32());
        Assert.Equal("no-such-kind@1.0.0", refused.GetProperty("agent").GetString());
        Assert.Contains("no kind 'nope'", refused.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upload_WithAllowUploadFalse_Is403NamingTheSetting_NothingLoaded_Audited()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Plugins:AllowUpload"] = "false" });
        using var ops = await app.ClientAsync(Roles.Ops, "uploader");

        var (status, mediaType, body) = await UploadAsync(ops, PluginTests.TicketSurge());
        Assert.True(status == HttpStatusCode.Forbidden, $"{(int)status} {body}");
        Assert.Equal("application/problem+json", mediaType);
        Assert.Equal("Plugins:AllowUpload", body.GetProperty("setting").GetString());
        Assert.Contains("Plugins:AllowUpload is false", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(app.Services.GetRequiredService<PluginKind>().Loaded);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/agents/ticket-surge")).StatusCode);

        var record = Assert.Single(await UploadRecordsAsync(app));
        Assert.Equal("key:uploader", record.GetProperty("actor").GetString());
        Assert.Equal("plugin:unread", record.GetProperty("subject").GetString());
        Assert.Equal("refused", record.GetProperty("data").GetProperty("outcome").GetString());
        Assert.Equal(403, record.GetProperty("data").GetProperty("status").GetInt32());
    }
}
