using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Briefs;

internal sealed record StreamEvent(string EventType, string? EventId, JsonElement Data);

/// <summary>An open brief stream read event by event, heartbeats left out.</summary>
internal sealed class StreamEvents : IAsyncDisposable
{
    private readonly CancellationTokenSource _cancel = new(TimeSpan.FromSeconds(60));
    private HttpResponseMessage _response = null!;
    private Stream _body = null!;
    private IAsyncEnumerator<SseItem<string>> _events = null!;

    public static async Task<StreamEvents> OpenAsync(HttpClient client, string? lastEventId = null, bool inQuery = false)
    {
        var stream = new StreamEvents();
        using var request = new HttpRequestMessage(HttpMethod.Get,
            "/v1/briefs/stream" + (inQuery && lastEventId is not null ? "?lastEventId=" + Uri.EscapeDataString(lastEventId) : ""));
        if (!inQuery && lastEventId is not null)
            request.Headers.Add("Last-Event-ID", lastEventId);
        stream._response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stream._cancel.Token);
        Assert.Equal(HttpStatusCode.OK, stream._response.StatusCode);
        stream._body = await stream._response.Content.ReadAsStreamAsync(stream._cancel.Token);
        stream._events = SseParser.Create(stream._body).EnumerateAsync(stream._cancel.Token).GetAsyncEnumerator(stream._cancel.Token);
        return stream;
    }

    /// <summary>The next event other than a heartbeat, which must be of <paramref name="type"/>.</summary>
    public async Task<StreamEvent> NextAsync(string type, string expecting)
    {
        try
        {
            while (await _events.MoveNextAsync())
            {
                var item = _events.Current;
                if (item.EventType == "heartbeat")
                    continue;
                var e = new StreamEvent(item.EventType, item.EventId, JsonDocument.Parse(item.Data).RootElement.Clone());
                Assert.True(item.EventType == type, $"expected {expecting} (event: {type}), got event: {item.EventType} {item.Data}");
                return e;
            }
        }
        catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
        {
        }
        throw new Xunit.Sdk.XunitException($"expected {expecting} (event: {type}) within 60 s of opening the stream; it ended or nothing came");
    }

    /// <summary>The next <paramref name="count"/> events, each a brief.</summary>
    public async Task<List<StreamEvent>> BriefsAsync(int count, string expecting)
    {
        var briefs = new List<StreamEvent>();
        while (briefs.Count < count)
            briefs.Add(await NextAsync("brief", $"{expecting} ({briefs.Count + 1} of {count})"));
        return briefs;
    }

    /// <summary>Briefs up to and including <paramref name="id"/>'s.</summary>
    public async Task<StreamEvent> ThroughAsync(string id)
    {
        while (true)
            if (await NextAsync("brief", $"briefs through {id}") is var e && e.Data.GetProperty("id").GetString() == id)
                return e;
    }

    public async ValueTask DisposeAsync()
    {
        await _cancel.CancelAsync();
        await _events.DisposeAsync();
        await _body.DisposeAsync();
        _response.Dispose();
        _cancel.Dispose();
    }
}
