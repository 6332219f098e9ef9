using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using AgentCrm.Intake;
using AgentCrm.Runtime.Tests.Access;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>
/// A body broken at the HTTP level (a chunk size that is not hex, a body that stops arriving) fails inside Kestrel while
/// the endpoint reads it: the client's fault, answered with its 4xx as ProblemDetails naming the body, not a 500; nothing stored.
/// </summary>
public sealed class MalformedBodyTests
{
    private const string Event = """[{"id":"framing-1","customerId":"acme","type":"login","occurredAt":"2026-11-01T09:00:00Z"}]""";

    [Fact]
    public async Task Events_WithAMalformedChunk_Is400NamingTheBody_AndStoresNothing()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var key = await app.CreateKeyAsync("integrator");

        var (status, mediaType, body, head) = await SendAsync(app, key, $"{Event.Length:x}\r\n{Event}\r\nzz\r\nabc\r\n0\r\n\r\n");

        Assert.True(status == 400, $"expected 400, got {status}: {body}");
        AssertProblemNamingTheBody(status, mediaType, body);
        // The exception handler clears the answer's headers before writing it: the security headers are set again.
        foreach (var header in new[] { "X-Content-Type-Options: nosniff", "X-Frame-Options: DENY", "Referrer-Policy: no-referrer" })
            Assert.Contains(header, head.Split("\r\n"));
        Assert.Equal(0, app.Services.GetRequiredService<EventStore>().MaxSeq());
    }

    [Fact]
    public async Task Events_WhoseChunkedBodyStalls_Is408NamingTheBody_AndStoresNothing()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var key = await app.CreateKeyAsync("integrator");
        var half = Event[..(Event.Length / 2)];

        // Kestrel's minimum body rate (240 bytes/s after a 5 s grace) ends the wait, not the test.
        var (status, mediaType, body, _) = await SendAsync(app, key, $"{half.Length:x}\r\n{half}\r\n");

        Assert.True(status == 408, $"expected 408, got {status}: {body}");
        AssertProblemNamingTheBody(status, mediaType, body);
        Assert.Equal(0, app.Services.GetRequiredService<EventStore>().MaxSeq());
    }

    private static void AssertProblemNamingTheBody(int status, string? mediaType, string body)
    {
        Assert.Null(AccessHttp.ProblemError((System.Net.HttpStatusCode)status, mediaType, body));
        Assert.True(AccessHttp.Leak(body) is null, $"the body reveals internals ('{AccessHttp.Leak(body)}'): {body}");
        Assert.True(JsonDocument.Parse(body).RootElement.GetProperty("errors").TryGetProperty("$", out _), body);
    }

    /// <summary>POST /v1/events with a chunked body written as given (framing included); the status, content type and body of the answer.</summary>
    private static async Task<(int Status, string? MediaType, string Body, string Head)> SendAsync(AgentCrmApp app, string key, string chunkedBody)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(app.Address.Host, app.Address.Port);
        var stream = tcp.GetStream();
        var request = $"POST /v1/events HTTP/1.1\r\nHost: {app.Address.Authority}\r\nX-Api-Key: {key}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{chunkedBody}";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        // The answer ends the connection (Kestrel closes it after a bad body); a stalled request is never completed by us.
        var response = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            response.Write(buffer, 0, read);
        var text = Encoding.UTF8.GetString(response.ToArray());
        var head = text[..text.IndexOf("\r\n\r\n", StringComparison.Ordinal)];
        var status = int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var mediaType = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))?.Split(':', 2)[1].Split(';')[0].Trim();
        // The body is chunked: the JSON object is what lies between its first '{' and last '}'.
        var start = text.IndexOf('{', head.Length);
        var body = start < 0 ? "" : text[start..(text.LastIndexOf('}') + 1)];
        return (status, mediaType, body, head);
    }
}
