using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentCrm.Knowledge.Tests.Qdrant;

internal sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public JsonNode? Json => Body.Length == 0 ? null : JsonNode.Parse(Body);

    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : null;
}

internal sealed record CannedResponse(int Status, string Body, string ContentType = "application/json", TimeSpan Delay = default, string? RetryAfter = null);

internal sealed record Exchange(RecordedRequest Request, CannedResponse Response);

/// <summary>
/// Real HTTP on loopback (Kestrel, 127.0.0.1:0) that records every request and answers like Qdrant, with the
/// request/response examples of the protocol sheet (<see cref="QdrantExamples"/>). Tests script exceptions per
/// method and path; everything else gets the default route below.
/// </summary>
internal sealed class RecordingQdrantServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly List<Exchange> _exchanges = [];
    private readonly Dictionary<(string Method, string Path), Queue<CannedResponse>> _scripted = [];
    private readonly SemaphoreSlim _arrivals = new(0);

    private RecordingQdrantServer(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    /// <summary>Whether GET /collections/{name} answers 200 (with <see cref="CollectionInfo"/>) or 404.</summary>
    public bool CollectionExists { get; set; }

    public string CollectionInfo { get; set; } = QdrantExamples.CollectionInfo(4, []);

    public string QueryResult { get; set; } = QdrantExamples.QueryResponse;

    public IReadOnlyList<Exchange> Exchanges { get { lock (_gate) return [.. _exchanges]; } }

    public IReadOnlyList<RecordedRequest> Requests => [.. Exchanges.Select(e => e.Request)];

    public static async Task<RecordingQdrantServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new RecordingQdrantServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server.Url = app.Urls.Single();
        return server;
    }

    public void Script(string method, string path, params CannedResponse[] responses)
    {
        lock (_gate)
        {
            if (!_scripted.TryGetValue((method, path), out var queue))
                _scripted[(method, path)] = queue = new Queue<CannedResponse>();
            foreach (var r in responses)
                queue.Enqueue(r);
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> requests arrived; fails naming what did arrive.</summary>
    public async Task WaitForRequestsAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Requests.Count < count)
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero || !await _arrivals.WaitAsync(remaining))
                Assert.Fail($"Expected {count} requests within {timeout}, got {Requests.Count}: {string.Join(", ", Requests.Select(r => $"{r.Method} {r.Path}"))}");
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            _exchanges.Clear();
            _scripted.Clear();
        }
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        using var reader = new StreamReader(ctx.Request.Body);
        var body = await reader.ReadToEndAsync();
        var headers = ctx.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        var request = new RecordedRequest(ctx.Request.Method, ctx.Request.Path.Value ?? "", ctx.Request.QueryString.Value ?? "", headers, body);
        CannedResponse response;
        lock (_gate)
        {
            response = _scripted.TryGetValue((request.Method, request.Path), out var queue) && queue.Count > 0 ? queue.Dequeue() : Default(request);
            _exchanges.Add(new Exchange(request, response));
        }
        _arrivals.Release();
        if (response.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(response.Delay, ctx.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        ctx.Response.StatusCode = response.Status;
        ctx.Response.ContentType = response.ContentType;
        if (response.RetryAfter is { } retryAfter)
            ctx.Response.Headers.RetryAfter = retryAfter;
        await ctx.Response.WriteAsync(response.Body);
    }

    private CannedResponse Default(RecordedRequest r)
    {
        var segments = r.Path.Trim('/').Split('/');
        return (r.Method, segments) switch
        {
            ("GET", ["healthz"]) => new(200, "healthz check passed", "text/plain; charset=utf-8"),
            ("GET", ["collections", var name]) => CollectionExists ? new(200, CollectionInfo) : QdrantExamples.NotFound(name),
            ("PUT", ["collections", _]) => new(200, QdrantExamples.CreateCollection),
            ("PUT", ["collections", _, "index"]) => new(200, QdrantExamples.UpdateResult("completed")),
            ("PUT", ["collections", _, "points"]) => new(200, QdrantExamples.UpdateResult("completed")),
            ("POST", ["collections", _, "points", "delete"]) => new(200, QdrantExamples.UpdateResult("completed")),
            ("POST", ["collections", _, "points", "payload"]) => new(200, QdrantExamples.UpdateResult("completed")),
            ("POST", ["collections", _, "points", "query"]) => new(200, QueryResult),
            ("POST", ["collections", _, "points", "count"]) => new(200, QdrantExamples.CountResponse(0)),
            _ => new(404, """{"status":{"error":"Not found: no such route in the recording server"},"time":0.0}"""),
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _arrivals.Dispose();
    }
}
