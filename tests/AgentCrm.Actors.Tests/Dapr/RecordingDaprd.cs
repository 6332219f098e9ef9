using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentCrm.Actors.Tests.Dapr;

public sealed record RecordedRequest(string Method, string Path, string? Token, string? ContentType, string Body);

/// <summary>
/// A recording HTTP listener standing in for daprd's API: it records every request and answers with
/// daprd's documented success for each route (metadata 200, outbound health 204, state GET 200 + JSON,
/// method 200 + JSON, every write 204).
/// </summary>
public sealed class RecordingDaprd : IAsyncDisposable
{
    private readonly WebApplication _web;

    private RecordingDaprd(WebApplication web) => _web = web;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public Uri Endpoint { get; private set; } = null!;

    public int Port => Endpoint.Port;

    public static async Task<RecordingDaprd> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var web = builder.Build();
        var recorder = new RecordingDaprd(web);
        web.Run(recorder.AnswerAsync);
        await web.StartAsync();
        recorder.Endpoint = new Uri(web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return recorder;
    }

    /// <summary>The recorded actor API calls (what both clients are compared on), in arrival order.</summary>
    public RecordedRequest[] ActorCalls => [.. Requests.Where(r => r.Path.StartsWith("/v1.0/actors/", StringComparison.Ordinal))];

    public async ValueTask DisposeAsync()
    {
        await _web.StopAsync();
        await _web.DisposeAsync();
    }

    private async Task AnswerAsync(HttpContext context)
    {
        var request = context.Request;
        var body = await new StreamReader(request.Body).ReadToEndAsync();
        Requests.Enqueue(new RecordedRequest(request.Method, request.Path + request.QueryString, request.Headers["dapr-api-token"].FirstOrDefault(), request.ContentType, body));
        var path = request.Path.Value!;
        if (path == "/v1.0/metadata")
            await context.Response.WriteAsJsonAsync(new { id = "recording", actors = Array.Empty<object>() });
        else if (request.Method == "GET" && path.Contains("/state/", StringComparison.Ordinal))
            await Json(context, """{"a":1}""");
        else if (path.Contains("/method/", StringComparison.Ordinal))
            await Json(context, "{}");
        else
            context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static Task Json(HttpContext context, string body)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body);
    }
}
