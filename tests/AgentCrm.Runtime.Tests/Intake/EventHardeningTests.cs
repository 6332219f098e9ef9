using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AgentCrm.Intake;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Intake;

/// <summary>
/// Event bodies QA found accepted wrongly or answered with a 500: each is a 400 naming the event and
/// field at fault, and nothing of the request is stored.
/// </summary>
public sealed class EventHardeningTests(EventHardeningTests.Server server) : IClassFixture<EventHardeningTests.Server>
{
    private static string Event(string id, string type, string attributes) =>
        $$"""{"id":"{{id}}","customerId":"hard-1","type":"{{type}}","occurredAt":"2026-11-01T09:00:00Z","attributes":{{attributes}}}""";

    /// <summary>Posts <paramref name="body"/> (each <c>¤</c> sent as the byte 0xFF) and returns the <c>errors</c> of the 400.</summary>
    private async Task<JsonElement> RefusedAsync(string body, string contentType = "application/json")
    {
        var before = server.App.Services.GetRequiredService<EventStore>().Count();
        var bytes = body.Split('¤').Select(Encoding.UTF8.GetBytes).Aggregate((a, b) => [.. a, 0xFF, .. b]);
        using var content = new ByteArrayContent(bytes) { Headers = { ContentType = MediaTypeHeaderValue.Parse(contentType) } };
        using var response = await server.App.Client.PostAsync("/v1/events", content);
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(before, server.App.Services.GetRequiredService<EventStore>().Count());
        return problem.GetProperty("errors");
    }

    [Fact]
    public async Task InvalidUtf8_InCustomerId_IsA400NamingIt()
    {
        var errors = await RefusedAsync("""{"id":"u9","customerId":"d¤k","type":"login","occurredAt":"2026-11-01T09:00:00Z"}""");
        Assert.Contains("UTF-8", errors.GetProperty("$.customerId")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidUtf8_OnAnNdjsonLine_NamesTheLineAndTheAttribute()
    {
        var body = Event("nd-1", "login", "{}") + "\n\n" + Event("nd-2", "document", """{"title":"Vertrag¤"}""") + "\n";
        var errors = await RefusedAsync(body, "application/x-ndjson");
        var message = errors.GetProperty("$[1].attributes.title")[0].GetString()!;
        Assert.StartsWith("line 3: ", message, StringComparison.Ordinal);
    }

    /// <summary>One server for the class: every test checks that its request stored nothing.</summary>
    public sealed class Server : IAsyncLifetime
    {
        public AgentCrmApp App { get; private set; } = null!;

        public async Task InitializeAsync() => App = await AgentCrmApp.StartAsync();

        public async Task DisposeAsync() => await App.DisposeAsync();
    }
}
