using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AgentCrm.Knowledge.Tests.Chat;

/// <summary>A local OpenAI-compatible chat-completions server on loopback whose behaviour a test sets.</summary>
public sealed class FakeChatServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeChatServer(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    /// <summary>What the next calls get: "good", "slow", "fail", "malformed", "ungrounded".</summary>
    public string Mode { get; set; } = "good";

    public string Answer { get; set; } = "Renewal risk 0.82 for ACME: contract ends in 41 days.\n\nWhy: usage down 38% in 30 days.";

    public ConcurrentQueue<string> Requests { get; } = new();

    public int Calls => Requests.Count;

    public static async Task<FakeChatServer> StartAsync()
    {
        FakeChatServer? server = null;
        var (app, address) = await LoopbackApp.StartAsync(app => app.MapPost("/v1/chat/completions", async (HttpContext ctx) =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            server!.Requests.Enqueue((ctx.Request.Headers.Authorization.ToString()) + "\n" + await reader.ReadToEndAsync());
            switch (server.Mode)
            {
                case "slow":
                    // Far longer than any client's time limit in the tests: only the client's own limit ends the call early.
                    await Task.Delay(TimeSpan.FromSeconds(60), ctx.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                    return Results.Ok();
                case "fail":
                    return Results.Json(new { error = new { message = "overloaded" } }, statusCode: 503);
                case "malformed":
                    return Results.Text("{\"choices\": \"nope\"", "application/json");
                default:
                    var text = server.Mode == "ungrounded" ? "Renewal risk 0.99 for ACME: they will leave in 7 days." : server.Answer;
                    return Results.Json(new { id = "x", choices = new[] { new { index = 0, message = new { role = "assistant", content = text } } } });
            }
        }));
        server = new FakeChatServer(app, new Uri(address, "/v1"));
        return server;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
