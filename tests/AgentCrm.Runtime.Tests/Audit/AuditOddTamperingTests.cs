using System.Net;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Cli;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Runtime.Tests.Reviews;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Audit;

/// <summary>
/// Tampering verify did not expect (qa33d): a cell of another type, a malformed head, a deleted brief, an anchor and a row
/// difference together. Verify crashed (HTTP 500, the CLI an exception's message, the gauge left green) or said intact.
/// </summary>
public sealed class AuditOddTamperingTests
{
    private static async Task<JsonElement> VerifyAsync(AgentCrmApp app, string? body = null)
    {
        using var response = await app.Client.PostAsync("/v1/audit/verify", body is null ? null : Variants.Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static List<string> Differences(JsonElement verify) =>
        verify.GetProperty("differences").EnumerateArray().Select(d => d.GetString()!).ToList();

    private static async Task<string?> GaugeAsync(AgentCrmApp app) =>
        (await app.Client.GetStringAsync("/metrics")).Split('\n')
            .FirstOrDefault(l => l.StartsWith("agentcrm_audit_intact", StringComparison.Ordinal))?.Split(' ')[^1];

    /// <summary>The CLI's verify of <paramref name="dir"/>, which must fail in one line: that line.</summary>
    private static async Task<string> CliFailureAsync(string dir, params string[] more)
    {
        var cli = await CliRunner.RunAsync(["audit", "verify", "--data", dir, .. more]);
        Assert.True(cli.ExitCode == 1, $"exit {cli.ExitCode}: {cli.Stdout}{cli.Stderr}");
        return Assert.Single(cli.Stderr.Trim('\n').Split('\n'));
    }

    /// <summary>A data directory with a CSM key carla and one brief (acme's), the server stopped: the brief's id.</summary>
    private static async Task<string> DirectoryWithABriefAsync(string dir)
    {
        await using var app = await AgentCrmApp.StartAsync(dir);
        await app.CreateKeyAsync("csm", "carla");
        await app.PostEventsAsync(Timelines.AtRisk("acme", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        Assert.True((await VerifyAsync(app)).GetProperty("ok").GetBoolean());
        return (await app.BriefsAsync("&customerId=acme"))[0].GetProperty("id").GetString()!;
    }

    /// <summary>
    /// A record's field stored as a blob of the same bytes reads and hashes as before, so the chain held, and the row checks'
    /// queries (action = 'key.revoked') passed the record by: a revocation undone with its record blobbed verified intact.
    /// </summary>
    [Fact]
    public async Task Verify_ARecordFieldStoredAsABlob_IsAChangedRecord_SoARevocationUndoneCannotHideItsRecord()
    {
        var dir = TempDirectory.Create();
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            await app.CreateKeyAsync("ops", "olga");
            await app.Services.GetRequiredService<AgentCrm.Access.ApiKeyStore>().RevokeAsync("olga", "test");
        }
        AuditTests.Tamper(dir, "UPDATE api_keys SET revoked_at = NULL WHERE name = 'olga'");
        AuditTests.Tamper(dir, "UPDATE audit SET action = CAST(action AS BLOB) WHERE action = 'key.revoked' AND subject = 'key:olga'");

        var line = await CliFailureAsync(dir);
        Assert.Matches("^agentcrm: .*record [0-9]+ was changed after it was written \\(a field is stored as another type than text\\)", line);
        await using var server = await AgentCrmApp.StartAsync(dir);
        var verify = await VerifyAsync(server);
        Assert.False(verify.GetProperty("ok").GetBoolean(), verify.ToString());
        Assert.Contains("another type than text", verify.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_ACellOfAnotherType_IsADifferenceNamingItsRow_AndTheOtherRowsAreStillChecked()
    {
        var dir = TempDirectory.Create();
        var id = await DirectoryWithABriefAsync(dir);
        AuditTests.Tamper(dir, "UPDATE api_keys SET role = 'admin' WHERE name = 'carla'");
        AuditTests.Tamper(dir, $"UPDATE briefs SET status = CAST(status AS BLOB) WHERE id = '{id}'");

        // Was: "agentcrm: Unable to cast object of type 'System.Byte[]' to type 'System.String'. (InvalidCastException)".
        var line = await CliFailureAsync(dir);
        Assert.StartsWith("agentcrm: the audit log does not match the database: key carla has role admin but record ", line);
        Assert.EndsWith(" 1 more row differs. (--json lists them)", line);
        var json = await CliRunner.RunAsync(["audit", "verify", "--data", dir, "--json"]);
        Assert.Equal(1, json.ExitCode);
        Assert.Contains($"brief {id}'s status is not text (it was changed by hand).", Differences(JsonDocument.Parse(json.Stdout).RootElement));

        // The background verify shows it (the gauge stayed -1: "could not run"), and so does the API's (was a 500).
        await using var app = await AgentCrmApp.StartAsync(dir, new Dictionary<string, string?> { ["Audit:BackgroundVerifyDelay"] = "00:00:00" });
        string? gauge = null;
        for (var i = 0; i < 600 && gauge is not "0"; i++)
        {
            gauge = await GaugeAsync(app);
            if (gauge is not "0")
                await Task.Delay(100);
        }
        Assert.True(gauge == "0", $"Expected agentcrm_audit_intact 0 within 60 s of the start; it was {gauge ?? "absent"}.");
        var verify = await VerifyAsync(app);
        Assert.False(verify.GetProperty("ok").GetBoolean());
        var differences = Differences(verify);
        Assert.Equal(2, differences.Count);
        Assert.Contains(differences, d => d.StartsWith($"brief {id}'s status is not text", StringComparison.Ordinal));
        Assert.Contains(differences, d => d.StartsWith("key carla has role admin but record ", StringComparison.Ordinal));
        Assert.True(verify.TryGetProperty("head", out var head) && head.ValueKind == JsonValueKind.Object, verify.ToString());

        // The body and a key's role the same; a gauge that was 1 goes to 0 with the API's verify.
        AuditTests.Tamper(dir, $"UPDATE briefs SET status = CAST(status AS TEXT), body = CAST(body AS BLOB) WHERE id = '{id}'");
        AuditTests.Tamper(dir, "UPDATE api_keys SET role = CAST('csm' AS BLOB) WHERE name = 'carla'");
        differences = Differences(await VerifyAsync(app));
        Assert.Equal(new[] { $"brief {id}'s body is not text (it was changed by hand).", "key carla's role is not text (it was changed by hand)." }, differences.Order(StringComparer.Ordinal));
        Assert.Equal("0", await GaugeAsync(app));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("174")]
    [InlineData("99999999999999999999999:abc")]
    public async Task AMalformedHead_IsReportedByVerify_AndWritesGoOnAfterARecordThatSaysSo(string value)
    {
        var dir = TempDirectory.Create();
        await using var app = await AgentCrmApp.StartAsync(dir);
        static StringContent Consent() => Variants.Json("""{"grants":[{"purpose":"*","categories":["usage"]}]}""");
        Assert.Equal(HttpStatusCode.OK, (await app.Client.PutAsync("/v1/customers/acme/consent", Consent())).StatusCode);
        var last = (await VerifyAsync(app)).GetProperty("records").GetInt64();

        AuditTests.Tamper(dir, $"UPDATE meta SET value = '{value}' WHERE key = 'audit.head'");
        // Was a 500 (FormatException, IndexOutOfRangeException, OverflowException), the gauge left at 1.
        var verify = await VerifyAsync(app);
        Assert.False(verify.GetProperty("ok").GetBoolean());
        Assert.Equal($"the chain's head record is malformed (meta audit.head holds '{value}', not SEQ:HASH).", verify.GetProperty("reason").GetString());
        Assert.Equal("0", await GaugeAsync(app));
        Assert.Contains("head record is malformed", await CliFailureAsync(dir), StringComparison.Ordinal);

        // Every audited write failed with the same exception; it goes on after a record saying the head was lost.
        Assert.Equal(HttpStatusCode.OK, (await app.Client.PutAsync("/v1/customers/globex/consent", Consent())).StatusCode);
        var after = await VerifyAsync(app);
        Assert.False(after.GetProperty("ok").GetBoolean(), after.ToString());
        Assert.Equal(last + 1, after.GetProperty("brokenAt").GetInt64());
        Assert.Contains("head (meta audit.head) was missing or malformed", after.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var newest = (await app.GetJsonAsync("/v1/audit?limit=2")).GetProperty("items");
        Assert.Equal(["consent.updated", "audit.head_lost"], newest.EnumerateArray().Select(r => r.GetProperty("action").GetString()));
        Assert.Equal(value, newest[1].GetProperty("data").GetProperty("malformedHead").GetString());
    }

    [Fact]
    public async Task Verify_ABriefRowDeleted_NamesTheBriefAndItsFirstRecord()
    {
        var dir = TempDirectory.Create();
        var id = await DirectoryWithABriefAsync(dir);
        AuditTests.Tamper(dir, $"DELETE FROM briefs WHERE id = '{id}'");

        await using var app = await AgentCrmApp.StartAsync(dir);
        var first = (await app.GetJsonAsync($"/v1/audit?subject=brief:{id}&limit=100")).GetProperty("items").EnumerateArray().Min(r => r.GetProperty("seq").GetInt64());
        var verify = await VerifyAsync(app);
        Assert.False(verify.GetProperty("ok").GetBoolean(), verify.ToString());
        var expected = $"brief {id} has records (the first is record {first}) but no row (it was deleted from the database).";
        Assert.Equal([expected], Differences(verify));
        Assert.Equal(first, verify.GetProperty("brokenAt").GetInt64());
        Assert.Equal($"agentcrm: the audit log does not match the database: {expected}", await CliFailureAsync(dir));
    }

    [Fact]
    public async Task Verify_TheNewestRecordsRemovedAndTheHeadReset_ReportsTheFailedAnchorAndTheRowDifference()
    {
        var dir = TempDirectory.Create();
        var id = await DirectoryWithABriefAsync(dir);
        var intact = await CliRunner.RunAsync(["audit", "verify", "--data", dir]);
        var anchor = intact.Stdout.Split('\n')[1]["head ".Length..];
        long created;
        await using (var app = await AgentCrmApp.StartAsync(dir))
            created = (await app.GetJsonAsync($"/v1/audit?subject=brief:{id}&action=brief.created")).GetProperty("items")[0].GetProperty("seq").GetInt64();
        // Removes the brief's records and everything after, and sets the head back to the record before: the chain holds.
        AuditTests.Tamper(dir, $"DELETE FROM audit WHERE seq >= {created}");
        AuditTests.Tamper(dir, $"UPDATE meta SET value = (SELECT seq || ':' || hash FROM audit WHERE seq = {created - 1}) WHERE key = 'audit.head'");

        // Was only the brief's difference, with the head of the truncated log (a head to anchor to next).
        var json = await CliRunner.RunAsync(["audit", "verify", "--data", dir, "--anchor", anchor, "--json"]);
        Assert.Equal(1, json.ExitCode);
        var result = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.Equal(JsonValueKind.Null, result.TryGetProperty("head", out var head) ? head.ValueKind : JsonValueKind.Null);
        Assert.Equal(created, result.GetProperty("brokenAt").GetInt64());
        Assert.StartsWith($"record {anchor.Split(':')[0]} is anchored but the log holds {created - 1} records", result.GetProperty("reason").GetString());
        Assert.Contains($"Besides, brief {id} has no audit record", result.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains(Differences(result), d => d.StartsWith($"brief {id} has no audit record", StringComparison.Ordinal));
        var line = await CliFailureAsync(dir, "--anchor", anchor);
        Assert.StartsWith($"agentcrm: the audit chain is broken at record {created}: record {anchor.Split(':')[0]} is anchored", line);

        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            var verify = await VerifyAsync(app, $$"""{"anchors":[{"seq":{{anchor.Split(':')[0]}},"hash":"{{anchor.Split(':')[1]}}"}]}""");
            Assert.False(verify.GetProperty("ok").GetBoolean());
            Assert.StartsWith($"record {anchor.Split(':')[0]} ", verify.GetProperty("reason").GetString());
            Assert.Contains($"Besides, brief {id} has no audit record", verify.GetProperty("reason").GetString(), StringComparison.Ordinal);
        }
    }

    /// <summary>A row numbered 0 sorts before record 1: verify said "record 1 is missing" though record 1 was there (qa41c).</summary>
    [Fact]
    public async Task Verify_ARecordInsertedWithNumberZero_IsNamedAsInserted()
    {
        var dir = TempDirectory.Create();
        Assert.Equal(0, (await CliRunner.RunAsync(["keys", "create", "--role", "csm", "--name", "carla", "--data", dir])).ExitCode);
        AuditTests.Tamper(dir, "INSERT INTO audit (seq, at, actor, action, subject, data, prev_hash, hash) SELECT 0, at, actor, action, subject, data, prev_hash, hash FROM audit WHERE seq = 1");

        Assert.Equal("agentcrm: the audit chain is broken at record 1: a record numbered 0 was inserted (the log numbers its records from 1).", await CliFailureAsync(dir));
    }

    /// <summary>The whole log and its head deleted (qa41c #1): an empty chain holds, so verify said "intact: 0 records".</summary>
    [Fact]
    public async Task Verify_TheWholeLogAndItsHeadDeleted_NamesEveryBriefAndKeyLeftWithoutARecord()
    {
        var dir = TempDirectory.Create();
        var id = await DirectoryWithABriefAsync(dir);
        AuditTests.Tamper(dir, "DELETE FROM audit; DELETE FROM meta WHERE key = 'audit.head'");

        var json = await CliRunner.RunAsync(["audit", "verify", "--data", dir, "--json"]);
        Assert.Equal(1, json.ExitCode);
        var result = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.False(result.GetProperty("ok").GetBoolean());
        Assert.Equal(0, result.GetProperty("records").GetInt64());
        Assert.Contains($"brief {id} has no audit record (it was added to the database directly, or its records were deleted).", Differences(result));
        Assert.Contains("key carla is live but has no audit record (it was added to the database directly, or its records were deleted).", Differences(result));
        Assert.StartsWith("agentcrm: the audit log does not match the database: ", await CliFailureAsync(dir));
    }

    /// <summary>
    /// A brief moved to another customer by hand shows it to that customer's CSM; its body hash does not cover the customer, its
    /// brief.created record does (qa41c's note: verify said intact).
    /// </summary>
    [Fact]
    public async Task Verify_ABriefMovedToAnotherCustomer_NamesTheBriefAndItsRecord()
    {
        var dir = TempDirectory.Create();
        var id = await DirectoryWithABriefAsync(dir);
        AuditTests.Tamper(dir, $"UPDATE briefs SET customer_id = 'initech' WHERE id = '{id}'");

        long created;
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            created = (await app.GetJsonAsync($"/v1/audit?subject=brief:{id}&action=brief.created")).GetProperty("items")[0].GetProperty("seq").GetInt64();
            var verify = await VerifyAsync(app);
            Assert.False(verify.GetProperty("ok").GetBoolean(), verify.ToString());
            Assert.Equal(created, verify.GetProperty("brokenAt").GetInt64());
        }
        var expected = $"brief {id} is on customer initech but record {created} audited it for acme (its customer was changed, which shows it to another CSM).";
        Assert.Equal($"agentcrm: the audit log does not match the database: {expected}", await CliFailureAsync(dir));
    }

    /// <summary>rev41 #4: a customer_id made a blob of the same bytes (its CSM's list no longer finds the brief) is named as such.</summary>
    [Fact]
    public async Task Verify_ACustomerIdStoredAsABlob_IsNamedAsNotText()
    {
        var dir = TempDirectory.Create();
        var id = await DirectoryWithABriefAsync(dir);
        AuditTests.Tamper(dir, $"UPDATE briefs SET customer_id = CAST(customer_id AS BLOB) WHERE id = '{id}'");

        Assert.Equal($"agentcrm: the audit log does not match the database: brief {id}'s customer_id is not text (it was changed by hand).", await CliFailureAsync(dir));
    }

    /// <summary>An empty log is held to the rows now: a fresh directory, and one with keys only, still verify intact.</summary>
    [Fact]
    public async Task Verify_AFreshDirectory_AndOneWithKeysOnly_AreIntact()
    {
        var dir = TempDirectory.Create();
        await using (var app = await AgentCrmApp.StartAsync(dir))
            Assert.True((await VerifyAsync(app)).GetProperty("ok").GetBoolean());
        var cli = await CliRunner.RunAsync(["audit", "verify", "--data", dir]);
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        var keysOnly = TempDirectory.Create();
        Assert.Equal(0, (await CliRunner.RunAsync(["keys", "create", "--role", "csm", "--name", "ann", "--data", keysOnly])).ExitCode);
        var verify = await CliRunner.RunAsync(["audit", "verify", "--data", keysOnly]);
        Assert.True(verify.ExitCode == 0, verify.Stderr);
    }
}
