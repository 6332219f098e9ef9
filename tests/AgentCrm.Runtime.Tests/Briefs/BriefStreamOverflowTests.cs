using System.Net;
using System.Net.ServerSentEvents;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using AgentCrm.Access;
using AgentCrm.Briefs;

namespace AgentCrm.Runtime.Tests.Briefs;

/// <summary>
/// The brief stream keeps at most <see cref="BriefStreamQueue.Capacity"/> briefs waiting for a client; one that reads too
/// slowly loses the oldest. It used to lose them silently; now it is told in-band how many and where to list them from.
/// </summary>
public sealed class BriefStreamOverflowTests
{
    [Fact]
    public async Task Stream_AClientThatDoesNotRead_IsToldWhatItMissed_AndTheListFromTheCursorHasExactlyThoseBriefs()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await EveryNpsBriefs.PromoteAsync(app);
        // A CSM with every other customer: the briefs of the others take no place in their queue (qa35b), nor are theirs to count.
        var customers = Enumerable.Range(0, EveryNpsBriefs.Customers).Select(i => $"nps-{i:000}").ToList();
        var annasAccounts = customers.Where((_, i) => i % 2 == 0).ToList();
        using (var assigned = await app.Client.PutAsync("/v1/csms/csm-anna/accounts",
            new StringContent(JsonSerializer.Serialize(new { accounts = annasAccounts }), Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);

        using var ops = await SlowClientAsync(app, Roles.Ops, "ops-slow");
        using var anna = await SlowClientAsync(app, Roles.Csm, "csm-anna");
        using var opsStream = await ops.GetAsync("/v1/briefs/stream", HttpCompletionOption.ResponseHeadersRead);
        using var annaStream = await anna.GetAsync("/v1/briefs/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, opsStream.StatusCode);
        Assert.Equal(HttpStatusCode.OK, annaStream.StatusCode);

        // Neither client reads while the briefs are written, far more than their queues hold.
        await EveryNpsBriefs.WriteAsync(app, customers, EveryNpsBriefs.PerCustomer);

        // The queue holds the newest briefs of the CSM's own accounts only, as many as it takes.
        var queuedForAnna = Math.Min(BriefStreamQueue.Capacity, (await ListAsync(anna, null, null)).Count);
        await AssertExactAsync(app.Client, opsStream, BriefStreamQueue.Capacity, "ops");
        await AssertExactAsync(anna, annaStream, queuedForAnna, "anna");
    }

    /// <summary>
    /// A veto changes an old brief, which keeps its place in the list: dropped, it is counted, <c>oldestId</c> is that
    /// brief, and the list from the cursor down to it holds every brief dropped (and the ones between, which the client
    /// was sent before the gap or missed too).
    /// </summary>
    [Fact]
    public async Task Stream_VetoesOfOldBriefsAmongThoseDropped_AreCounted_AndTheListFromTheCursorReachesThem()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await EveryNpsBriefs.PromoteAsync(app);
        var customers = Enumerable.Range(0, EveryNpsBriefs.Customers).Select(i => $"nps-{i:000}").ToList();
        await EveryNpsBriefs.WriteAsync(app, customers, 1);
        var old = (await ListAsync(app.Client, null, null)).Select(Id).Reverse().ToList();
        string[] vetoed = [old[10], old[20]];

        using var ops = await SlowClientAsync(app, Roles.Ops, "ops-slow");
        using var stream = await ops.GetAsync("/v1/briefs/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        await EveryNpsBriefs.WriteAsync(app, customers, EveryNpsBriefs.PerCustomer / 2);
        var firstHalf = (await ListAsync(app.Client, null, null)).Count;
        foreach (var id in vetoed.Reverse())
            using (var veto = await app.Client.PostAsync($"/v1/briefs/{id}/veto", new StringContent("""{"reason":"renewed by phone"}""", Encoding.UTF8, "application/json")))
                Assert.Equal(HttpStatusCode.OK, veto.StatusCode);
        await EveryNpsBriefs.WriteAsync(app, customers, EveryNpsBriefs.PerCustomer / 2);
        // What the stream had to send, in commit order: the first half's new briefs, the two vetoes, the second half's.
        var all = (await ListAsync(app.Client, null, null)).Select(Id).Reverse().ToList();
        List<string> sent = [.. all[old.Count..firstHalf], .. vetoed.Reverse(), .. all[firstHalf..]];

        var (before, notices, after) = await ReadAsync(stream, sent.Count);

        var notice = Assert.Single(notices);
        Assert.Equal(BriefStreamQueue.Capacity, after.Count);
        Assert.Equal(sent[..before.Count], before);
        Assert.Equal(sent[^after.Count..], after);
        var dropped = sent[before.Count..^after.Count];
        Assert.Equal(dropped.Count, notice.GetProperty("dropped").GetInt64());
        Assert.Subset(dropped.ToHashSet(), vetoed.ToHashSet());
        Assert.Equal(vetoed[0], notice.GetProperty("oldestId").GetString());
        var listed = await ListAsync(ops, notice.GetProperty("cursor").GetString(), notice.GetProperty("oldestId").GetString());
        Assert.Equal(dropped.Last(id => !vetoed.Contains(id)), Id(listed[0]));
        Assert.Superset(dropped.ToHashSet(), listed.Select(Id).ToHashSet());
        Assert.All(listed.Where(b => vetoed.Contains(Id(b))), b => Assert.Equal("retracted", b.GetProperty("status").GetString()));
    }

    /// <summary>
    /// Reads the stream until it has accounted for every brief the caller may list, then checks: one overflow notice, then
    /// the briefs still queued (<paramref name="queued"/> of them the caller's); the briefs before it, those the notice's
    /// cursor lists down to its oldest id, and those after it are, in this order and with no repeat, the caller's list
    /// from its oldest brief.
    /// </summary>
    private static async Task AssertExactAsync(HttpClient lister, HttpResponseMessage stream, int queued, string who)
    {
        var listed = (await ListAsync(lister, null, null)).Select(Id).Reverse().ToList();
        var (before, notices, after) = await ReadAsync(stream, listed.Count);
        Assert.True(notices.Count == 1, $"{who}: expected one overflow notice, got {notices.Count}; {before.Count} briefs before, {after.Count} after, of {listed.Count}");
        var notice = notices[0];
        Assert.Equal(queued, after.Count);
        var missed = (await ListAsync(lister, notice.GetProperty("cursor").GetString(), notice.GetProperty("oldestId").GetString())).Select(Id).Reverse().ToList();
        Assert.Equal(notice.GetProperty("dropped").GetInt64(), missed.Count);
        Assert.True(missed.Count > 0, $"{who}: nothing was dropped");
        Assert.Equal(listed, [.. before, .. missed, .. after]);
    }

    /// <summary>
    /// The stream's brief ids before its first overflow notice and after it, and its notices, once the briefs and the
    /// notices' counts make <paramref name="events"/> (or after 30 s: every brief is written by now, so the stream sends
    /// what it holds at once, and without a notice it never accounts for them all).
    /// </summary>
    private static async Task<(List<string> Before, List<JsonElement> Notices, List<string> After)> ReadAsync(HttpResponseMessage stream, int events)
    {
        var before = new List<string>();
        var after = new List<string>();
        var notices = new List<JsonElement>();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var body = await stream.Content.ReadAsStreamAsync(cancel.Token);
        try
        {
            await foreach (var item in SseParser.Create(body).EnumerateAsync(cancel.Token))
            {
                var data = JsonDocument.Parse(item.Data).RootElement.Clone();
                if (item.EventType == "overflow")
                    notices.Add(data);
                else
                {
                    Assert.Equal("brief", item.EventType);
                    Assert.False(string.IsNullOrEmpty(item.EventId), $"brief {Id(data)} came without an event id");
                    (notices.Count == 0 ? before : after).Add(Id(data));
                }
                if (before.Count + after.Count + notices.Sum(n => n.GetProperty("dropped").GetInt64()) >= events)
                    break;
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // what arrived is judged by the caller
        }
        return (before, notices, after);
    }

    /// <summary>The caller's list, newest first, from <paramref name="cursor"/>, down to and including <paramref name="throughId"/> when given.</summary>
    private static async Task<List<JsonElement>> ListAsync(HttpClient client, string? cursor, string? throughId)
    {
        var all = new List<JsonElement>();
        do
        {
            using var response = await client.GetAsync($"/v1/briefs?limit=500{(cursor is null ? "" : "&cursor=" + cursor)}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            foreach (var brief in page.GetProperty("items").EnumerateArray())
            {
                all.Add(brief);
                if (Id(brief) == throughId)
                    return all;
            }
            cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.String ? page.GetProperty("nextCursor").GetString() : null;
        }
        while (cursor is not null);
        Assert.Null(throughId);
        return all;
    }

    private static string Id(JsonElement brief) => brief.GetProperty("id").GetString()!;

    /// <summary>A client whose socket takes in little unread data, so the server's writes to it stall soon.</summary>
    /// <summary>A client with a 4 KiB receive buffer, so the server's writes stall soon once it stops reading.</summary>
    internal static async Task<HttpClient> SlowClientAsync(AgentCrmApp app, string role, string name)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        var client = new HttpClient(handler) { BaseAddress = app.Address, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Add("X-Api-Key", await app.CreateKeyAsync(role, name));
        return client;
    }
}
