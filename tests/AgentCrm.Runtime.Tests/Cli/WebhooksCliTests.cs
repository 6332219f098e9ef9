using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// `agentcrm webhooks add | list | remove` on a data directory: the API's rules, cap and shapes, audited as the CLI's
/// user; a field at fault is one line naming its argument or option, and nothing is stored.
/// </summary>
public sealed class WebhooksCliTests
{
    /// <summary>No delivery loop moves a cursor while a test compares what the CLI and the API list.</summary>
    private static readonly Dictionary<string, string?> Still = new() { ["Webhooks:PollInterval"] = "01:00:00" };

    private static async Task<CliResult> RunAsync(string data, params string[] args) =>
        await CliRunner.RunAsync([.. args, "--data", data]);

    /// <summary>`webhooks add` of one subscription with --json: its answer (id, secret, …).</summary>
    private static async Task<JsonElement> AddedAsync(string data)
    {
        var add = await RunAsync(data, "webhooks", "add", "https://crm.example.com/agentcrm", "--json");
        Assert.True(add.ExitCode == 0, add.Stderr);
        return JsonDocument.Parse(add.Stdout).RootElement;
    }

    private static async Task<List<JsonElement>> ListAsync(string data)
    {
        var list = await RunAsync(data, "webhooks", "list", "--json");
        Assert.True(list.ExitCode == 0, list.Stderr);
        return [.. JsonDocument.Parse(list.Stdout).RootElement.GetProperty("items").EnumerateArray()];
    }

    [Fact]
    public async Task AddListRemove_TheApisShapes_SecretShownOnlyOnAdd_AuditedAsTheCliUser()
    {
        var data = TempDirectory.Create();
        await WebhookInputCliTests.AssignAsync(data, "carla", "acme");

        var json = await RunAsync(data, "webhooks", "add", "https://crm.example.com/agentcrm", "--csm", "carla", "--agent", "renewal-risk",
            "--secret", "a-secret-of-our-own-0123", "--json");
        var text = await RunAsync(data, "webhooks", "add", "http://127.0.0.1:9/hook");

        Assert.True(json.ExitCode == 0, json.Stderr);
        var created = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.Equal(["id", "url", "csmId", "agentId", "createdAt", "createdBy", "cursor", "secret"], created.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("https://crm.example.com/agentcrm", "carla", "renewal-risk", "a-secret-of-our-own-0123", $"cli:{Environment.UserName}"),
            (created.GetProperty("url").GetString(), created.GetProperty("csmId").GetString(), created.GetProperty("agentId").GetString(),
                created.GetProperty("secret").GetString(), created.GetProperty("createdBy").GetString()));
        var first = created.GetProperty("id").GetString()!;
        Assert.True(text.ExitCode == 0, text.Stderr);
        var printed = text.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal(["id", "secret"], printed.Select(l => l[0]));
        var second = printed[0][1];
        Assert.StartsWith("wh_", second, StringComparison.Ordinal);
        Assert.StartsWith("whsec_", printed[1][1], StringComparison.Ordinal);

        var items = await ListAsync(data);
        var table = await RunAsync(data, "webhooks", "list");

        Assert.Equal(new[] { first, second }.Order(StringComparer.Ordinal), items.Select(i => i.GetProperty("id").GetString()!));
        Assert.All(items, i => Assert.False(i.TryGetProperty("secret", out _)));
        Assert.DoesNotContain("whsec_", table.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("a-secret-of-our-own", table.Stdout, StringComparison.Ordinal);
        var row = Assert.Single(table.Stdout.Split('\n'), l => l.StartsWith(first, StringComparison.Ordinal));
        Assert.Matches(@"https://crm\.example\.com/agentcrm +csm carla +agent renewal-risk +0 delivered +0 backlog +0 failed in a row$", row);
        Assert.Contains("every csm", Assert.Single(table.Stdout.Split('\n'), l => l.StartsWith(second, StringComparison.Ordinal)), StringComparison.Ordinal);

        // The API lists them as the CLI does, and its audit log has both creations by the CLI's user.
        await using (var app = await AgentCrmApp.StartAsync(data, Still))
        {
            var api = (await app.GetJsonAsync("/v1/webhooks")).GetProperty("items");
            // But "behind": the audit records after each cursor, which the server's start adds to.
            static JsonNode WithoutBehind(JsonElement item)
            {
                var node = JsonNode.Parse(item.GetRawText())!;
                Assert.True(node.AsObject().Remove("behind"), $"no behind in {item}");
                return node;
            }
            Assert.True(JsonNode.DeepEquals(new JsonArray([.. api.EnumerateArray().Select(WithoutBehind)]), new JsonArray([.. items.Select(WithoutBehind)])),
                $"the API lists {api} where the CLI listed {string.Join(", ", items)}");
            foreach (var id in new[] { first, second })
            {
                var record = Assert.Single((await app.GetJsonAsync($"/v1/audit?subject=webhook:{id}")).GetProperty("items").EnumerateArray());
                Assert.Equal(("webhook.created", $"cli:{Environment.UserName}"), (record.GetProperty("action").GetString(), record.GetProperty("actor").GetString()));
            }
        }

        var removed = await RunAsync(data, "webhooks", "remove", first, "--json");
        var again = await RunAsync(data, "webhooks", "remove", first);

        Assert.True(removed.ExitCode == 0, removed.Stderr);
        Assert.Equal(first, JsonDocument.Parse(removed.Stdout).RootElement.GetProperty("removed").GetString());
        Assert.Equal((1, $"agentcrm: no webhook '{first}' (webhooks list shows them)"), (again.ExitCode, again.Stderr.Trim()));
        Assert.Equal([second], (await ListAsync(data)).Select(i => i.GetProperty("id").GetString()));
        await using (var app = await AgentCrmApp.StartAsync(data, Still))
        {
            var deleted = (await app.GetJsonAsync($"/v1/audit?subject=webhook:{first}")).GetProperty("items")[0];
            Assert.Equal(("webhook.deleted", $"cli:{Environment.UserName}"), (deleted.GetProperty("action").GetString(), deleted.GetProperty("actor").GetString()));
        }
    }

    [Theory]
    [InlineData(new[] { "ftp://example.com/hook" }, "agentcrm: URL must be an absolute http or https URL")]
    [InlineData(new[] { "/relative/path" }, "agentcrm: URL must be an absolute http or https URL")]
    [InlineData(new[] { "https://user:pass@example.com/hook" }, "agentcrm: URL must not carry a user name or password")]
    [InlineData(new[] { "https://example.com/hook#part" }, "agentcrm: URL must not have a fragment")]
    [InlineData(new[] { "https://example.com/hook", "--csm", "no spaces" }, "agentcrm: --csm: A CSM id is 1-64 characters")]
    [InlineData(new[] { "https://example.com/hook", "--secret", "short" }, "agentcrm: --secret is 16-256 printable ASCII characters")]
    public async Task Add_AFieldAtFault_IsAUsageErrorNamingIt_BeforeTheDataDirectoryIsOpened(string[] args, string expected)
    {
        var data = Path.Combine(TempDirectory.Create(), "data");

        var result = await RunAsync(data, ["webhooks", "add", .. args]);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith(expected, result.Stderr, StringComparison.Ordinal);
        Assert.EndsWith("(see agentcrm webhooks add --help)", result.Stderr.Trim(), StringComparison.Ordinal);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.Empty(result.Stdout);
        Assert.False(Directory.Exists(data), "the data directory was opened for a subscription that was refused");
    }

    [Fact]
    public async Task Add_AnAgentTheRegistryDoesNotKnow_FailsNamingAgent_NothingStored()
    {
        var data = TempDirectory.Create();
        Assert.Equal(0, (await RunAsync(data, "webhooks", "list")).ExitCode);

        var result = await RunAsync(data, "webhooks", "add", "https://example.com/hook", "--agent", "no-such-agent");

        Assert.Equal((1, "agentcrm: --agent: No agent 'no-such-agent' is registered (agentcrm agents list lists them)."), (result.ExitCode, result.Stderr.Trim()));
        Assert.Empty(result.Stdout);
        Assert.Empty(await ListAsync(data));
    }

    [Fact]
    public async Task Add_PastWebhooksMaxSubscriptions_FailsInOneLine_AsTheApiRefusesIt()
    {
        var data = TempDirectory.Create();
        var one = new Dictionary<string, string> { ["Webhooks__MaxSubscriptions"] = "1" };

        var first = await CliRunner.RunAsync(["webhooks", "add", "https://example.com/a", "--data", data], one);
        var second = await CliRunner.RunAsync(["webhooks", "add", "https://example.com/b", "--data", data], one);
        var misconfigured = await CliRunner.RunAsync(["webhooks", "add", "https://example.com/c", "--data", data],
            new Dictionary<string, string> { ["Webhooks__MaxSubscriptions"] = "0" });

        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Equal((1, "agentcrm: the limit of 1 subscription (Webhooks:MaxSubscriptions) is reached; remove one first (agentcrm webhooks remove ID)"),
            (second.ExitCode, second.Stderr.Trim()));
        Assert.Equal(1, misconfigured.ExitCode);
        Assert.StartsWith("agentcrm: invalid configuration: Webhooks:MaxSubscriptions must be between 1 and 1000", misconfigured.Stderr, StringComparison.Ordinal);
        Assert.Equal(["https://example.com/a"], (await ListAsync(data)).Select(i => i.GetProperty("url").GetString()));
    }

    [Fact]
    public async Task RotateSecret_PrintsTheNewSecretOnce_JsonIsTheApisBody_CursorKept_UnknownIdFailsInOneLine()
    {
        var data = TempDirectory.Create();
        var created = await AddedAsync(data);
        var id = created.GetProperty("id").GetString()!;

        var json = await RunAsync(data, "webhooks", "rotate-secret", id, "--secret", "a-rotated-secret-of-ours-0123", "--json");
        var text = await RunAsync(data, "webhooks", "rotate-secret", id);
        var unknown = await RunAsync(data, "webhooks", "rotate-secret", "wh_nosuchhook");
        var bad = await RunAsync(data, "webhooks", "rotate-secret", id, "--secret", "short");

        Assert.True(json.ExitCode == 0, json.Stderr);
        var rotated = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.Equal(["id", "url", "csmId", "csmAccounts", "agentId", "createdAt", "createdBy", "delivered", "backlog", "cursor", "lastSuccessAt", "lastFailureAt", "lastError",
            "consecutiveFailures", "nextAttemptAt", "secret", "previousSecretValidUntil", "status", "failingSince", "disabledAt", "disabledReason",
            "oldestPendingAt", "behind"],
            rotated.EnumerateObject().Select(p => p.Name));
        Assert.Equal((id, "a-rotated-secret-of-ours-0123", created.GetProperty("cursor").GetInt64()),
            (rotated.GetProperty("id").GetString(), rotated.GetProperty("secret").GetString(), rotated.GetProperty("cursor").GetInt64()));
        Assert.InRange(rotated.GetProperty("previousSecretValidUntil").GetDateTimeOffset() - DateTimeOffset.UtcNow, TimeSpan.FromHours(23.9), TimeSpan.FromHours(24));
        Assert.True(text.ExitCode == 0, text.Stderr);
        var printed = text.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal([["id", id], ["secret", printed[1][1]]], printed);
        Assert.StartsWith("whsec_", printed[1][1], StringComparison.Ordinal);
        Assert.Contains("shown only now", text.Stderr, StringComparison.Ordinal);
        Assert.Equal((1, "agentcrm: no webhook 'wh_nosuchhook' (webhooks list shows them)"), (unknown.ExitCode, unknown.Stderr.Trim()));
        Assert.Empty(unknown.Stdout);
        Assert.Equal(2, bad.ExitCode);
        Assert.StartsWith("agentcrm: --secret is 16-256 printable ASCII characters", bad.Stderr, StringComparison.Ordinal);
        Assert.Single(bad.Stderr.Trim().Split('\n'));

        // Listing never shows a secret; the API's audit log has both rotations by the CLI's user.
        var table = await RunAsync(data, "webhooks", "list");
        Assert.DoesNotContain(printed[1][1], table.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("a-rotated-secret-of-ours", table.Stdout, StringComparison.Ordinal);
        await using var app = await AgentCrmApp.StartAsync(data, Still);
        var actions = (await app.GetJsonAsync($"/v1/audit?subject=webhook:{id}")).GetProperty("items").EnumerateArray()
            .Select(r => (r.GetProperty("action").GetString(), r.GetProperty("actor").GetString())).ToList();
        var cli = $"cli:{Environment.UserName}";
        Assert.Equal([("webhook.secret_rotated", cli), ("webhook.secret_rotated", cli), ("webhook.created", cli)], actions);
    }

    [Fact]
    public async Task RotateSecret_WebhooksSecretOverlap_ZeroMeansNoOverlap_OutOfRangeIsRefused()
    {
        var data = TempDirectory.Create();
        var id = (await AddedAsync(data)).GetProperty("id").GetString()!;

        var none = await CliRunner.RunAsync(["webhooks", "rotate-secret", id, "--json", "--data", data],
            new Dictionary<string, string> { ["Webhooks__SecretOverlap"] = "00:00:00" });
        var negative = await CliRunner.RunAsync(["webhooks", "rotate-secret", id, "--data", data],
            new Dictionary<string, string> { ["Webhooks__SecretOverlap"] = "-00:00:01" });
        var tooLong = await CliRunner.RunAsync(["webhooks", "rotate-secret", id, "--data", data],
            new Dictionary<string, string> { ["Webhooks__SecretOverlap"] = "8.00:00:00" });

        Assert.True(none.ExitCode == 0, none.Stderr);
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(none.Stdout).RootElement.GetProperty("previousSecretValidUntil").ValueKind);
        foreach (var refused in new[] { negative, tooLong })
        {
            Assert.Equal(1, refused.ExitCode);
            Assert.True(refused.Stderr.StartsWith("agentcrm: invalid configuration: Webhooks:SecretOverlap", StringComparison.Ordinal) && refused.Stderr.Contains("7.00:00:00", StringComparison.Ordinal), refused.Stderr);
            Assert.Empty(refused.Stdout);
        }
    }

    [Fact]
    public async Task RotateSecret_Overlap_OverridesTheSetting_ZeroSignsWithTheNewSecretAlone_ABadOneIsAUsageError()
    {
        var data = TempDirectory.Create();
        var id = (await AddedAsync(data)).GetProperty("id").GetString()!;
        var hour = new Dictionary<string, string> { ["Webhooks__SecretOverlap"] = "01:00:00" };

        var refused = new List<CliResult>();
        foreach (var bad in new[] { "8.00:00:00", "-00:00:01", "30", "soon" })
            refused.Add(await CliRunner.RunAsync(["webhooks", "rotate-secret", id, "--overlap", bad, "--data", data], hour));
        var minute = await CliRunner.RunAsync(["webhooks", "rotate-secret", id, "--overlap", "00:01:00", "--json", "--data", data], hour);
        var none = await CliRunner.RunAsync(["webhooks", "rotate-secret", id, "--overlap", "0", "--json", "--data", data], hour);
        var text = await CliRunner.RunAsync(["webhooks", "rotate-secret", id, "--overlap", "00:00:00", "--data", data], hour);

        foreach (var result in refused)
        {
            Assert.Equal(2, result.ExitCode);
            Assert.StartsWith("agentcrm: --overlap is a time span from 00:00:00 to 7.00:00:00 (hh:mm:ss or d.hh:mm:ss)", result.Stderr, StringComparison.Ordinal);
            Assert.EndsWith("(see agentcrm webhooks rotate-secret --help)", result.Stderr.Trim(), StringComparison.Ordinal);
            Assert.Single(result.Stderr.Trim().Split('\n'));
            Assert.Empty(result.Stdout);
        }
        Assert.True(minute.ExitCode == 0, minute.Stderr);
        Assert.InRange(JsonDocument.Parse(minute.Stdout).RootElement.GetProperty("previousSecretValidUntil").GetDateTimeOffset() - DateTimeOffset.UtcNow,
            TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1));
        Assert.True(none.ExitCode == 0, none.Stderr);
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(none.Stdout).RootElement.GetProperty("previousSecretValidUntil").ValueKind);
        Assert.True(text.ExitCode == 0, text.Stderr);
        Assert.Contains("requests are signed with it alone (--overlap is 0)", text.Stderr, StringComparison.Ordinal);

        // Three rotations, none by the refused commands.
        await using var app = await AgentCrmApp.StartAsync(data, Still);
        Assert.Equal(3, (await app.GetJsonAsync($"/v1/audit?subject=webhook:{id}")).GetProperty("items").EnumerateArray()
            .Count(r => r.GetProperty("action").GetString() == "webhook.secret_rotated"));
    }
}
