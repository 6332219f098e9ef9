using System.Net;
using System.Text.Json;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Runtime.Tests.Reviews;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Runtime.Tests.Webhooks;

/// <summary>
/// POST /v1/webhooks/{id}/secret over real HTTP with a loopback receiver: both signatures during the overlap, the new one
/// alone after it, the cursor kept across the rotation, and the API's refusals.
/// </summary>
public sealed class WebhookSecretRotationTests
{
    /// <summary>
    /// Short retries and polls, and an overlap short enough to wait out: the backlog held back before the rotation is
    /// delivered within milliseconds of the receiver coming back, well inside it. 30 s, not less: the backlog must arrive
    /// inside the overlap, and a shared CI machine can stall a test for seconds.
    /// </summary>
    private static readonly Dictionary<string, string?> Fast = new()
    {
        ["Webhooks:RetryBaseDelay"] = "00:00:00.050",
        ["Webhooks:RetryMaxDelay"] = "00:00:00.200",
        ["Webhooks:PollInterval"] = "00:00:00.200",
        ["Webhooks:RequestTimeout"] = "00:00:05",
        ["Webhooks:SecretOverlap"] = "00:00:30",
    };

    private static async Task<JsonElement> PostAsync(HttpClient client, string path, string? json, HttpStatusCode expected)
    {
        using var response = await client.PostAsync(path, json is null ? null : Variants.Json(json));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private static async Task<List<string>> DeliveredBriefIdsAsync(AgentCrmApp app, params string[] customers)
    {
        var ids = new List<string>();
        foreach (var customer in customers)
            ids.AddRange((await app.BriefsAsync($"&customerId={customer}&status=delivered")).Select(b => b.GetProperty("id").GetString()!));
        return ids;
    }

    [Fact]
    public async Task RotateSecret_DuringTheOverlap_BothSignaturesThenTheNewAlone_CursorKept_EachBriefOnce()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var app = await AgentCrmApp.StartAsync(settings: Fast);
        using var ops = await app.ClientAsync("ops", "olga");
        var created = await PostAsync(ops, "/v1/webhooks", $$"""{"url":"{{receiver.Url}}"}""", HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString()!;
        var first = created.GetProperty("secret").GetString()!;

        // Before any rotation: one signature, with the secret of the creation.
        await app.PostEventsAsync(Timelines.AtRisk("acme", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var acme = await DeliveredBriefIdsAsync(app, "acme");
        Assert.NotEmpty(acme);
        var before = await receiver.WaitForAsync(acme.Count);
        Assert.All(before, a => Assert.Equal([WebhookReceiver.Expected(a, first)], WebhookReceiver.Signatures(a)));

        // The receiver goes down; globex's briefs wait in the backlog, the cursor where acme's left it.
        receiver.Down = true;
        await app.PostEventsAsync(Timelines.AtRisk("globex", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var globex = await DeliveredBriefIdsAsync(app, "globex");
        Assert.NotEmpty(globex);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonElement state;
        while ((state = await app.GetJsonAsync($"/v1/webhooks/{id}")).GetProperty("consecutiveFailures").GetInt32() < 1)
        {
            Assert.True(DateTime.UtcNow < deadline, $"expected a failed attempt while the receiver is down: {state}");
            await Task.Delay(20);
        }

        // Two rotations in the overlap: a generated secret, then one of our own; the first secret is dropped, two remain.
        var second = await PostAsync(ops, $"/v1/webhooks/{id}/secret", null, HttpStatusCode.OK);
        var rotated = await PostAsync(ops, $"/v1/webhooks/{id}/secret", """{"secret":"a-rotated-secret-of-ours-0123"}""", HttpStatusCode.OK);
        var secret2 = second.GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", secret2, StringComparison.Ordinal);
        Assert.NotEqual(first, secret2);
        Assert.Equal("a-rotated-secret-of-ours-0123", rotated.GetProperty("secret").GetString());
        Assert.Equal(id, rotated.GetProperty("id").GetString());
        Assert.Equal(state.GetProperty("cursor").GetInt64(), rotated.GetProperty("cursor").GetInt64());
        Assert.Equal(acme.Count, rotated.GetProperty("delivered").GetInt64());
        Assert.Equal(globex.Count, rotated.GetProperty("backlog").GetInt64());
        var until = rotated.GetProperty("previousSecretValidUntil").GetDateTimeOffset();
        Assert.InRange(until - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        var get = await app.GetJsonAsync($"/v1/webhooks/{id}");
        Assert.False(get.TryGetProperty("secret", out _));
        // The subscription says a rotation's overlap is on, and until when; before any rotation it said none.
        Assert.Equal(JsonValueKind.Null, state.GetProperty("previousSecretValidUntil").ValueKind);
        Assert.Equal(until, get.GetProperty("previousSecretValidUntil").GetDateTimeOffset());

        // The backlog, sent after the rotation: the new secret's v1 first, the one it replaced after, each verifying.
        var attemptsBefore = receiver.Attempts.Count;
        receiver.Down = false;
        var during = (await receiver.WaitForAsync(acme.Count + globex.Count))[acme.Count..];
        Assert.All(during, a =>
        {
            Assert.True(WebhookReceiver.Timestamp(a) < until.ToUnixTimeSeconds(), "delivered after the overlap: the test machine was too slow");
            Assert.Equal([WebhookReceiver.Expected(a, "a-rotated-secret-of-ours-0123"), WebhookReceiver.Expected(a, secret2)], WebhookReceiver.Signatures(a));
            Assert.True(WebhookReceiver.Verifies(a, "a-rotated-secret-of-ours-0123", TimeSpan.FromMinutes(5)));
            Assert.True(WebhookReceiver.Verifies(a, secret2, TimeSpan.FromMinutes(5)));
            Assert.False(WebhookReceiver.Verifies(a, first, TimeSpan.FromMinutes(5)));
        });

        // After the overlap: the new secret alone.
        var wait = until - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200);
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait);
        await app.PostEventsAsync(Timelines.AtRisk("initech", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var initech = await DeliveredBriefIdsAsync(app, "initech");
        Assert.NotEmpty(initech);
        var all = await receiver.WaitForAsync(acme.Count + globex.Count + initech.Count);
        Assert.All(all[(acme.Count + globex.Count)..], a =>
        {
            Assert.Equal([WebhookReceiver.Expected(a, "a-rotated-secret-of-ours-0123")], WebhookReceiver.Signatures(a));
            Assert.False(WebhookReceiver.Verifies(a, secret2, TimeSpan.FromMinutes(5)));
        });

        // Across the rotation no brief was skipped or sent twice, in order.
        await Task.Delay(500);
        var sent = receiver.Accepted.Select(a => a.Json.GetProperty("brief").GetProperty("id").GetString()!).ToList();
        Assert.Equal(new[] { acme, globex, initech }.SelectMany(x => x).Order(StringComparer.Ordinal).ToList(), sent.Order(StringComparer.Ordinal).ToList());
        var sequences = receiver.Accepted.Select(a => a.Json.GetProperty("sequence").GetInt64()).ToList();
        Assert.Equal(sequences.Order().ToList(), sequences);
        Assert.Equal(0, receiver.Redelivered);
        Assert.True(receiver.Attempts.Skip(attemptsBefore).All(a => a.Answered == 200), "an attempt after the receiver came back failed");

        // Audited as the caller, twice, without a secret.
        var records = (await app.GetJsonAsync($"/v1/audit?subject=webhook:{id}")).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["webhook.secret_rotated", "webhook.secret_rotated", "webhook.created"], records.Select(r => r.GetProperty("action").GetString()));
        Assert.All(records, r => Assert.Equal("key:olga", r.GetProperty("actor").GetString()));
        var text = string.Join("\n", records.Select(r => r.GetRawText()));
        Assert.DoesNotContain(first, text, StringComparison.Ordinal);
        Assert.DoesNotContain(secret2, text, StringComparison.Ordinal);
        Assert.DoesNotContain("a-rotated-secret-of-ours", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RotateSecret_OverlapZero_TheReplacedSecretsSignatureIsNotSentOnTheNextDelivery_WhateverTheSetting()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        // The server's setting keeps a replaced secret signing for an hour; the request asks for less.
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>(Fast) { ["Webhooks:SecretOverlap"] = "01:00:00" });
        using var ops = await app.ClientAsync("ops", "olga");
        var created = await PostAsync(ops, "/v1/webhooks", $$"""{"url":"{{receiver.Url}}"}""", HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString()!;
        var first = created.GetProperty("secret").GetString()!;

        // A minute asked for: the answer says so, not the setting's hour.
        var minute = await PostAsync(ops, $"/v1/webhooks/{id}/secret", """{"overlap":"00:01:00"}""", HttpStatusCode.OK);
        Assert.InRange(minute.GetProperty("previousSecretValidUntil").GetDateTimeOffset() - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(50), TimeSpan.FromMinutes(1));
        // Then a leak: no overlap at all. The secret the minute's rotation kept signing is dropped too.
        var leaked = minute.GetProperty("secret").GetString()!;
        var rotated = await PostAsync(ops, $"/v1/webhooks/{id}/secret", """{"secret":"a-rotated-secret-of-ours-0123","overlap":"00:00:00"}""", HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, rotated.GetProperty("previousSecretValidUntil").ValueKind);
        Assert.Equal(JsonValueKind.Null, (await app.GetJsonAsync($"/v1/webhooks/{id}")).GetProperty("previousSecretValidUntil").ValueKind);

        await app.PostEventsAsync(Timelines.AtRisk("acme", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var acme = await DeliveredBriefIdsAsync(app, "acme");
        Assert.NotEmpty(acme);
        Assert.All(await receiver.WaitForAsync(acme.Count), a =>
        {
            Assert.Equal([WebhookReceiver.Expected(a, "a-rotated-secret-of-ours-0123")], WebhookReceiver.Signatures(a));
            Assert.False(WebhookReceiver.Verifies(a, leaked, TimeSpan.FromMinutes(5)));
            Assert.False(WebhookReceiver.Verifies(a, first, TimeSpan.FromMinutes(5)));
        });
        // The audit record says there was no overlap.
        var record = (await app.GetJsonAsync($"/v1/audit?subject=webhook:{id}")).GetProperty("items").EnumerateArray().First();
        Assert.Equal("webhook.secret_rotated", record.GetProperty("action").GetString());
        Assert.DoesNotContain("a-rotated-secret-of-ours", record.GetRawText(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"overlap":"8.00:00:00"}""")]
    [InlineData("""{"overlap":"-00:00:01"}""")]
    [InlineData("""{"overlap":"30"}""")]
    [InlineData("""{"overlap":"soon"}""")]
    [InlineData("""{"overlap":""}""")]
    public async Task RotateSecret_OverlapOutOfRangeOrNotATimeSpan_Is400SayingWhatItTakes(string body)
    {
        await using var app = await AgentCrmApp.StartAsync();
        var id = (await PostAsync(app.Client, "/v1/webhooks", """{"url":"https://example.com/hook"}""", HttpStatusCode.Created)).GetProperty("id").GetString()!;

        var problem = await PostAsync(app.Client, $"/v1/webhooks/{id}/secret", body, HttpStatusCode.BadRequest);

        var message = problem.GetProperty("errors").GetProperty("overlap")[0].GetString()!;
        Assert.StartsWith("overlap is a time span from 00:00:00 to 7.00:00:00 (hh:mm:ss or d.hh:mm:ss)", message, StringComparison.Ordinal);
        Assert.Equal(["webhook.created"], (await app.GetJsonAsync($"/v1/audit?subject=webhook:{id}")).GetProperty("items").EnumerateArray()
            .Select(r => r.GetProperty("action").GetString()));
    }

    [Theory]
    [InlineData("""{"secret":"short"}""", "secret")]
    [InlineData("""{"secret":"has a space in it 0123"}""", "secret")]
    [InlineData("""{"secret":5}""", "secret")]
    [InlineData("""{"secrett":"a-rotated-secret-of-ours-0123"}""", "secrett")]
    [InlineData("""{"overlap":0}""", "overlap")]
    [InlineData("""{"secret":"short","overlap":"9.00:00:00"}""", "overlap")]
    public async Task RotateSecret_BadBody_Is400NamingTheField_AndRotatesNothing(string body, string field)
    {
        await using var app = await AgentCrmApp.StartAsync();
        var created = await PostAsync(app.Client, "/v1/webhooks", """{"url":"https://example.com/hook"}""", HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString()!;

        using var response = await app.Client.PostAsync($"/v1/webhooks/{id}/secret", Variants.Json(body));
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(["webhook.created"], (await app.GetJsonAsync($"/v1/audit?subject=webhook:{id}")).GetProperty("items").EnumerateArray()
            .Select(r => r.GetProperty("action").GetString()));
    }

    [Fact]
    public async Task RotateSecret_UnknownId404_OnlyOpsAndAdmin()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var id = (await PostAsync(app.Client, "/v1/webhooks", """{"url":"https://example.com/hook"}""", HttpStatusCode.Created)).GetProperty("id").GetString()!;

        using (var missing = await app.Client.PostAsync("/v1/webhooks/wh_nosuchhook/secret", null))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Contains("wh_nosuchhook", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        foreach (var role in new[] { "csm", "reviewer", "integrator" })
        {
            using var client = await app.ClientAsync(role);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync($"/v1/webhooks/{id}/secret", null)).StatusCode);
        }
        using var admin = await app.ClientAsync("admin");
        var rotated = await PostAsync(admin, $"/v1/webhooks/{id}/secret", "{}", HttpStatusCode.OK);
        Assert.StartsWith("whsec_", rotated.GetProperty("secret").GetString(), StringComparison.Ordinal);
        // The default overlap: 24 hours.
        Assert.InRange(rotated.GetProperty("previousSecretValidUntil").GetDateTimeOffset() - DateTimeOffset.UtcNow, TimeSpan.FromHours(23.9), TimeSpan.FromHours(24));
        Assert.Equal(["webhook.secret_rotated", "webhook.created"], (await app.GetJsonAsync($"/v1/audit?subject=webhook:{id}")).GetProperty("items").EnumerateArray()
            .Select(r => r.GetProperty("action").GetString()));
    }

    [Fact]
    public async Task RotateSecret_OnADirectoryFromBeforeRotation_GainsTheColumns_AndTheOverlapSurvivesARestart()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var data = TempDirectory.Create();
        string id;
        await using (var app = await AgentCrmApp.StartAsync(data, Fast))
            id = (await PostAsync(app.Client, "/v1/webhooks", $$"""{"url":"{{receiver.Url}}"}""", HttpStatusCode.Created)).GetProperty("id").GetString()!;
        // As the builds before rotation (2026-12-05) left the table: no previous_secret columns.
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(data, "agentcrm.db")};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "ALTER TABLE webhooks DROP COLUMN previous_secret; ALTER TABLE webhooks DROP COLUMN previous_secret_until;";
            command.ExecuteNonQuery();
        }

        var overlap = new Dictionary<string, string?>(Fast) { ["Webhooks:SecretOverlap"] = "01:00:00" };
        string old, current;
        await using (var app = await AgentCrmApp.StartAsync(data, overlap))
        {
            var before = await PostAsync(app.Client, $"/v1/webhooks/{id}/secret", null, HttpStatusCode.OK);
            old = before.GetProperty("secret").GetString()!;
            current = (await PostAsync(app.Client, $"/v1/webhooks/{id}/secret", null, HttpStatusCode.OK)).GetProperty("secret").GetString()!;
        }
        await using (var app = await AgentCrmApp.StartAsync(data, overlap))
        {
            await app.PostEventsAsync(Timelines.AtRisk("acme", DateTimeOffset.UtcNow));
            await app.WaitForProcessingAsync();
            var acme = await DeliveredBriefIdsAsync(app, "acme");
            Assert.NotEmpty(acme);
            Assert.All(await receiver.WaitForAsync(acme.Count),
                a => Assert.Equal([WebhookReceiver.Expected(a, current), WebhookReceiver.Expected(a, old)], WebhookReceiver.Signatures(a)));
        }
    }
}
