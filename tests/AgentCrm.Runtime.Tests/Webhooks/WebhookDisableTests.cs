using System.Net;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Cli;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Runtime.Tests.Intake;
using AgentCrm.Runtime.Tests.Observability;
using AgentCrm.Runtime.Tests.Reviews;
using AgentCrm.Runtime.Tests.Server;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Webhooks;

/// <summary>
/// Webhooks:DisableAfter end to end: a receiver that fails for days is disabled (durably, audited as the system's, logged
/// once, counted, shown), attempts stop, and an enable sends its backlog from the cursor in order, none twice. Days pass on
/// the server's clock (<see cref="ShiftedClock"/>), not in the test: its timers are the system's, so retries stay fast.
/// </summary>
public sealed class WebhookDisableTests
{
    private static readonly TimeSpan DisableAfter = TimeSpan.FromDays(3);

    /// <summary>Short retries and polls, so a test waits milliseconds where production waits seconds; DisableAfter is the default (3 days).</summary>
    private static readonly Dictionary<string, string?> Fast = new()
    {
        ["Webhooks:RetryBaseDelay"] = "00:00:00.050",
        ["Webhooks:RetryMaxDelay"] = "00:00:00.200",
        ["Webhooks:PollInterval"] = "00:00:00.200",
        ["Webhooks:RequestTimeout"] = "00:00:05",
    };

    /// <summary>The server's clock moved on by <see cref="Shift"/> (its timers are the system's).</summary>
    internal sealed class ShiftedClock : TimeProvider
    {
        private long _shift;

        public TimeSpan Shift
        {
            get => TimeSpan.FromTicks(Interlocked.Read(ref _shift));
            set => Interlocked.Exchange(ref _shift, value.Ticks);
        }

        public override DateTimeOffset GetUtcNow() => TimeProvider.System.GetUtcNow() + Shift;
    }

    internal static Task<AgentCrmApp> StartAsync(string data, ShiftedClock clock, IDictionary<string, string?>? settings = null, CapturedLogs? logs = null) =>
        AgentCrmApp.StartAsync(data, settings ?? Fast, s =>
        {
            s.AddSingleton<TimeProvider>(clock);
            if (logs is not null)
                s.AddSingleton(logs.Provider());
        });

    private static async Task<string> SubscribeAsync(AgentCrmApp app, string url)
    {
        using var response = await app.Client.PostAsync("/v1/webhooks", Variants.Json($$"""{"url":"{{url}}"}"""));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Briefs of two customers, delivered: the changes a subscription made before them is to receive; their ids, oldest first.</summary>
    internal static async Task<List<string>> DeliveredBriefsAsync(AgentCrmApp app)
    {
        await app.PostEventsAsync([.. Timelines.AtRisk("acme", DateTimeOffset.UtcNow), .. Timelines.AtRisk("globex", DateTimeOffset.UtcNow)]);
        await app.WaitForProcessingAsync();
        var delivered = (await app.BriefsAsync("&status=delivered")).Select(b => b.GetProperty("id").GetString()!).Reverse().ToList();
        Assert.True(delivered.Count >= 2, $"expected at least two delivered briefs, got {delivered.Count}");
        return delivered;
    }

    /// <summary>Waits until the subscription's state meets <paramref name="done"/>, and returns it.</summary>
    internal static async Task<JsonElement> StateAsync(AgentCrmApp app, string id, Func<JsonElement, bool> done, string expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var state = await app.GetJsonAsync($"/v1/webhooks/{id}");
            if (done(state))
                return state;
            Assert.True(DateTime.UtcNow < deadline, $"Expected webhook {id} {expected} within 30 s: {state}");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits for <paramref name="more"/> attempts after those made so far (each one after the clock last moved).</summary>
    internal static async Task AttemptsAsync(WebhookReceiver receiver, int more)
    {
        var target = receiver.Attempts.Count + more;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (receiver.Attempts.Count < target)
        {
            Assert.True(DateTime.UtcNow < deadline, $"Expected {target} attempts within 30 s; got {receiver.Attempts.Count}.");
            await Task.Delay(20);
        }
    }

    private static async Task<Prometheus> ScrapeAsync(AgentCrmApp app, Func<Prometheus, bool> done, string expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var metrics = Prometheus.Parse(await app.Client.GetStringAsync("/metrics"));
            if (done(metrics))
                return metrics;
            Assert.True(DateTime.UtcNow < deadline, $"Expected {expected} within 30 s.");
            await Task.Delay(100);
        }
    }

    private static async Task<List<(string? Action, string? Actor, JsonElement Data)>> AuditAsync(AgentCrmApp app, string id) =>
        [.. (await app.GetJsonAsync($"/v1/audit?subject=webhook:{id}")).GetProperty("items").EnumerateArray()
            .Select(r => (r.GetProperty("action").GetString(), r.GetProperty("actor").GetString(), r.GetProperty("data").Clone()))];

    [Fact]
    public async Task AlwaysFailing_IsDisabledPastDisableAfterNotBefore_AttemptsStop_KeptAcrossARestart_EnableSendsTheBacklogInOrderOnce()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Down = true;
        var data = TempDirectory.Create();
        var clock = new ShiftedClock();
        var logs = new CapturedLogs();
        string id;
        List<string> delivered;
        long cursor;
        await using (var app = await StartAsync(data, clock, logs: logs))
        {
            id = await SubscribeAsync(app, receiver.Url);
            delivered = await DeliveredBriefsAsync(app);
            var failing = await StateAsync(app, id, s => s.GetProperty("consecutiveFailures").GetInt32() >= 2, "to fail twice");
            Assert.Equal("active", failing.GetProperty("status").GetString());
            // Held at the first brief from now on (before it, audit records not for it may have been passed over).
            cursor = failing.GetProperty("cursor").GetInt64();
            var since = failing.GetProperty("failingSince").GetDateTimeOffset();

            // A minute short of three days failing: still retried.
            clock.Shift = DisableAfter - TimeSpan.FromMinutes(1);
            await AttemptsAsync(receiver, 3);
            var almost = await app.GetJsonAsync($"/v1/webhooks/{id}");
            Assert.Equal(("active", JsonValueKind.Null), (almost.GetProperty("status").GetString(), almost.GetProperty("disabledAt").ValueKind));
            Assert.Equal(since, almost.GetProperty("failingSince").GetDateTimeOffset());

            // Past three days: the next failed attempt disables it.
            clock.Shift = DisableAfter + TimeSpan.FromMinutes(1);
            var disabled = await StateAsync(app, id, s => s.GetProperty("status").GetString() == "disabled", "disabled");
            Assert.True(disabled.GetProperty("disabledAt").GetDateTimeOffset() - since > DisableAfter, disabled.ToString());
            var reason = disabled.GetProperty("disabledReason").GetString()!;
            Assert.Contains("Webhooks:DisableAfter", reason, StringComparison.Ordinal);
            Assert.EndsWith("last error: HTTP 503", reason, StringComparison.Ordinal);
            Assert.Equal(("HTTP 503", JsonValueKind.Null), (disabled.GetProperty("lastError").GetString(), disabled.GetProperty("nextAttemptAt").ValueKind));
            // Nothing lost: the cursor did not move and the backlog is every brief.
            Assert.Equal((cursor, delivered.Count), (disabled.GetProperty("cursor").GetInt64(), (int)disabled.GetProperty("backlog").GetInt64()));

            // Attempts stop (they came every 200 ms at most).
            var attempts = receiver.Attempts.Count;
            await Task.Delay(1000);
            Assert.Equal(attempts, receiver.Attempts.Count);

            var ready = await app.GetJsonAsync("/readyz");
            Assert.Equal(("ready", 0, 1), (ready.GetProperty("status").GetString(), ready.GetProperty("webhooksFailing").GetInt32(), ready.GetProperty("webhooksDisabled").GetInt32()));
            Assert.Equal("disabled", Assert.Single((await app.GetJsonAsync("/v1/webhooks")).GetProperty("items").EnumerateArray()).GetProperty("status").GetString());
            var record = (await AuditAsync(app, id))[0];
            Assert.Equal(("webhook.disabled", "system:auto-disable"), (record.Action, record.Actor));
            Assert.Equal((since, "HTTP 503", cursor), (record.Data.GetProperty("failingSince").GetDateTimeOffset(), record.Data.GetProperty("lastError").GetString(),
                record.Data.GetProperty("deliveredSeq").GetInt64()));
            var metrics = await ScrapeAsync(app, m => m.Sum("agentcrm_webhooks_disabled") == 1, "agentcrm_webhooks_disabled 1");
            Assert.Equal((1.0, 1.0), (metrics.Single("agentcrm_webhooks_disabled"), metrics.Sum("agentcrm_webhooks_disablements_total")));
            var warnings = logs.Entries.Where(e => e.Message.Contains($"Webhook {id}: disabled", StringComparison.Ordinal)).ToList();
            Assert.Contains("HTTP 503", Assert.Single(warnings).Message, StringComparison.Ordinal);
        }

        // After a restart it is still disabled: no loop, no attempt.
        var before = receiver.Attempts.Count;
        await using (var app = await StartAsync(data, clock))
        {
            await Task.Delay(1000);
            Assert.Equal(before, receiver.Attempts.Count);
            Assert.Equal("disabled", (await app.GetJsonAsync($"/v1/webhooks/{id}")).GetProperty("status").GetString());
            Assert.Equal(1, (await app.GetJsonAsync("/readyz")).GetProperty("webhooksDisabled").GetInt32());

            // Enabled once the receiver is back: every brief since the cursor, in order, once.
            receiver.Down = false;
            using var ops = await app.ClientAsync("ops", "olga");
            using (var enable = await ops.PostAsync($"/v1/webhooks/{id}/enable", null))
            {
                var body = JsonDocument.Parse(await enable.Content.ReadAsStringAsync()).RootElement;
                Assert.True(enable.StatusCode == HttpStatusCode.OK, body.ToString());
                Assert.Equal(("active", JsonValueKind.Null, JsonValueKind.Null, 0, cursor),
                    (body.GetProperty("status").GetString(), body.GetProperty("disabledAt").ValueKind, body.GetProperty("failingSince").ValueKind,
                        body.GetProperty("consecutiveFailures").GetInt32(), body.GetProperty("cursor").GetInt64()));
            }
            var accepted = await receiver.WaitForAsync(delivered.Count);
            Assert.Equal(delivered, accepted.Select(a => a.Json.GetProperty("brief").GetProperty("id").GetString()!));
            var sequences = accepted.Select(a => a.Json.GetProperty("sequence").GetInt64()).ToList();
            Assert.Equal(sequences.Order(), sequences);
            await StateAsync(app, id, s => s.GetProperty("backlog").GetInt64() == 0 && s.GetProperty("delivered").GetInt64() == delivered.Count, "caught up");
            await Task.Delay(500);
            Assert.Equal((delivered.Count, 0), (receiver.Accepted.Count, receiver.Redelivered));

            // Enabling an active one changes nothing (200, not audited); an unknown id is a 404 ProblemDetails.
            using (var again = await ops.PostAsync($"/v1/webhooks/{id}/enable", null))
                Assert.Equal("active", JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
            using (var unknown = await ops.PostAsync("/v1/webhooks/wh_nosuchhook/enable", null))
            {
                Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
                Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType!.MediaType);
            }
            Assert.Equal([("webhook.enabled", "key:olga"), ("webhook.disabled", "system:auto-disable"), ("webhook.created", "key:test-admin")],
                (await AuditAsync(app, id)).Select(r => (r.Action, r.Actor?.StartsWith("key:test-admin", StringComparison.Ordinal) == true ? "key:test-admin" : r.Actor)));
            var ready = await app.GetJsonAsync("/readyz");
            Assert.Equal((0, 0), (ready.GetProperty("webhooksFailing").GetInt32(), ready.GetProperty("webhooksDisabled").GetInt32()));
        }
    }

    [Fact]
    public async Task IntermittentlyFailing_ASuccessWithinTheWindowEndsTheStreak_DisabledOnlyAfterAFullWindowOfFailuresSinceIt()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Down = true;
        var clock = new ShiftedClock();
        await using var app = await StartAsync(TempDirectory.Create(), clock);
        var id = await SubscribeAsync(app, receiver.Url);
        await DeliveredBriefsAsync(app);
        var first = (await StateAsync(app, id, s => s.GetProperty("consecutiveFailures").GetInt32() >= 1, "to fail")).GetProperty("failingSince").GetDateTimeOffset();

        // Two days on, one delivery gets through, then the receiver fails again.
        clock.Shift = TimeSpan.FromDays(2);
        receiver.Pass(1);
        await receiver.WaitForAsync(1);
        var second = (await StateAsync(app, id, s => s.GetProperty("failingSince").ValueKind == JsonValueKind.String && s.GetProperty("failingSince").GetDateTimeOffset() > first,
            "to fail again after its success")).GetProperty("failingSince").GetDateTimeOffset();
        Assert.True(second - first >= TimeSpan.FromDays(2), $"the new streak began at {second:o}, the first at {first:o}");

        // Four days after the first failure, two after the success: not disabled.
        clock.Shift = TimeSpan.FromDays(4);
        await AttemptsAsync(receiver, 3);
        var state = await app.GetJsonAsync($"/v1/webhooks/{id}");
        Assert.Equal(("active", second), (state.GetProperty("status").GetString(), state.GetProperty("failingSince").GetDateTimeOffset()));

        // Three days after the streak that followed the success: disabled.
        clock.Shift = TimeSpan.FromDays(5) + TimeSpan.FromMinutes(1);
        await StateAsync(app, id, s => s.GetProperty("status").GetString() == "disabled", "disabled three days into its second streak");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("00:00:00")]
    public async Task DisableAfterZero_NeverDisables_ItRetriesForever(string value)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Down = true;
        var clock = new ShiftedClock();
        await using var app = await StartAsync(TempDirectory.Create(), clock, new Dictionary<string, string?>(Fast) { ["Webhooks:DisableAfter"] = value });
        var id = await SubscribeAsync(app, receiver.Url);
        await DeliveredBriefsAsync(app);
        await StateAsync(app, id, s => s.GetProperty("consecutiveFailures").GetInt32() >= 1, "to fail");

        clock.Shift = TimeSpan.FromDays(40);
        await AttemptsAsync(receiver, 3);

        var state = await app.GetJsonAsync($"/v1/webhooks/{id}");
        Assert.Equal(("active", JsonValueKind.Null), (state.GetProperty("status").GetString(), state.GetProperty("disabledAt").ValueKind));
        var ready = await app.GetJsonAsync("/readyz");
        Assert.Equal((1, 0), (ready.GetProperty("webhooksFailing").GetInt32(), ready.GetProperty("webhooksDisabled").GetInt32()));
    }

    [Theory]
    [InlineData("-01:00:00", "Webhooks:DisableAfter must be 0 (never disable) or between 00:01:00 and 30.00:00:00 (got '-01:00:00').")]
    [InlineData("00:00:30", "Webhooks:DisableAfter must be 0 (never disable) or between 00:01:00 and 30.00:00:00 (got '00:00:30').")]
    [InlineData("31.00:00:00", "Webhooks:DisableAfter: '31.00:00:00' is too long; it takes at most 30.00:00:00.")]
    [InlineData("off", "Webhooks:DisableAfter: 'off' is not valid; it takes a time span such as 00:00:30 (hh:mm:ss).")]
    public async Task ABadDisableAfter_IsRefusedAtStart_InOneLineNamingTheKey(string value, string expected)
    {
        var environment = new Dictionary<string, string> { ["Webhooks__DisableAfter"] = value, ["Storage__DataDirectory"] = TempDirectory.Create() };

        var serve = await CliRunner.RunAsync(["serve", "--urls", $"http://127.0.0.1:{ServeProcess.FreePort()}"], environment);

        Assert.Equal("agentcrm: invalid configuration: " + expected, DataDirectoryStartTests.OneLineFailure(serve));
    }
}
