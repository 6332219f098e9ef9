using System.Net;
using System.Text;
using AgentCrm.Intake;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Access;

/// <summary>POST /v1/events takes JSON and every NDJSON media type the parser reads; anything else is 415 and stores nothing.</summary>
public sealed class EventMediaTypeTests
{
    [Fact]
    public async Task PostEvents_EachNdjsonMediaType_IsAccepted_OtherTypesAre415()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var accepted = new[] { "application/json", "application/x-ndjson", "application/ndjson", "application/jsonl" };
        foreach (var type in accepted)
        {
            var lines = string.Join("\n", Enumerable.Range(0, 2).Select(_ => Ev.Make("media", "nps", DateTimeOffset.UtcNow.AddDays(-1), new { score = 6 }).ToJsonString()));
            var body = type == "application/json" ? $"[{lines.Replace("\n", ",", StringComparison.Ordinal)}]" : lines;
            using var response = await app.Client.PostAsync("/v1/events", new StringContent(body, Encoding.UTF8, type));
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{type}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        var stored = app.Services.GetRequiredService<EventStore>().Count();
        Assert.Equal(2 * accepted.Length, stored);

        foreach (var type in new[] { "text/plain", "application/xml", "application/x-www-form-urlencoded" })
        {
            var json = Ev.Make("media", "nps", DateTimeOffset.UtcNow.AddDays(-1), new { score = 6 }).ToJsonString();
            using var response = await app.Client.PostAsync("/v1/events", new StringContent(json, Encoding.UTF8, type));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{type}: {(int)response.StatusCode} {text}");
            Assert.Null(AccessHttp.ProblemError(response.StatusCode, response.Content.Headers.ContentType?.MediaType, text));
            Assert.Contains(type, text, StringComparison.Ordinal);
        }
        Assert.Equal(stored, app.Services.GetRequiredService<EventStore>().Count());
    }

    [Fact]
    public async Task PostEvents_WithAUtf8ByteOrderMark_IsAccepted_AsJsonAndNdjson()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var bom = new UTF8Encoding(encoderShouldEmitUTF8Identifier: true);
        foreach (var type in new[] { "application/json", "application/x-ndjson" })
        {
            var json = Ev.Make("bom", "nps", DateTimeOffset.UtcNow.AddDays(-1), new { score = 6 }).ToJsonString();
            using var content = new ByteArrayContent([.. bom.GetPreamble(), .. bom.GetBytes(json)]);
            content.Headers.ContentType = new(type);
            using var response = await app.Client.PostAsync("/v1/events", content);
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{type}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        Assert.Equal(2, app.Services.GetRequiredService<EventStore>().Count());
    }

    [Fact]
    public async Task PostEvents_WithAContentEncoding_Is415NamingIt_AndStoresNothing()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var json = Ev.Make("gzip", "nps", DateTimeOffset.UtcNow.AddDays(-1), new { score = 6 }).ToJsonString();
        using var gzipped = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(gzipped, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            gz.Write(Encoding.UTF8.GetBytes(json));
        foreach (var (encoding, bytes) in new[] { ("gzip", gzipped.ToArray()), ("br", Encoding.UTF8.GetBytes(json)) })
        {
            using var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new("application/json");
            content.Headers.ContentEncoding.Add(encoding);
            using var response = await app.Client.PostAsync("/v1/events", content);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{encoding}: {(int)response.StatusCode} {text}");
            Assert.Null(AccessHttp.ProblemError(response.StatusCode, response.Content.Headers.ContentType?.MediaType, text));
            Assert.Contains("\"Content-Encoding\"", text, StringComparison.Ordinal);
        }
        Assert.Equal(0, app.Services.GetRequiredService<EventStore>().Count());
    }
}
