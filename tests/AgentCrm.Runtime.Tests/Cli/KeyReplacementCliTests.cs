using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// A leaked CSM key is replaced under the same name (the CSM id their accounts hang on): once a name's key is revoked,
/// `keys create` gives it a new one; the old key stays revoked and listed, both steps are audited, and a name with a
/// live key still refuses a second one. Works on a data directory made before the replaced-keys table existed.
/// </summary>
public sealed class KeyReplacementCliTests
{
    private static async Task<string> CreateAsync(string data, string name, string role = "csm")
    {
        var created = await CliRunner.RunAsync(["keys", "create", "--name", name, "--role", role, "--data", data, "--json"]);
        Assert.True(created.ExitCode == 0, $"keys create {name}: {created.ExitCode} {created.Stderr}");
        return JsonDocument.Parse(created.Stdout).RootElement.GetProperty("key").GetString()!;
    }

    private static async Task<HttpStatusCode> StatusWithAsync(AgentCrmApp app, string key)
    {
        using var client = new HttpClient { BaseAddress = app.Address };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        using var response = await client.GetAsync("/v1/briefs");
        return response.StatusCode;
    }

    [Fact]
    public async Task CreateAfterRevoke_GivesTheNameANewKey_OldKeyStaysRevoked_LiveNameRefusesASecond()
    {
        var data = TempDirectory.Create();
        var leaked = await CreateAsync(data, "csm-anna");
        Assert.Equal(0, (await CliRunner.RunAsync(["keys", "revoke", "csm-anna", "--data", data])).ExitCode);
        // A data directory from before replaced keys were kept: the table the store adds is not there yet.
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(data, "agentcrm.db")};Pooling=false"))
        {
            connection.Open();
            using var drop = connection.CreateCommand();
            drop.CommandText = "DROP TABLE IF EXISTS api_keys_replaced";
            drop.ExecuteNonQuery();
        }

        var replacement = await CreateAsync(data, "csm-anna");
        var again = await CliRunner.RunAsync(["keys", "create", "--name", "csm-anna", "--role", "csm", "--data", data]);
        var list = await CliRunner.RunAsync(["keys", "list", "--data", data, "--json"]);

        Assert.Equal(1, again.ExitCode);
        Assert.Single(again.Stderr.Trim().Split('\n'));
        Assert.Contains("csm-anna", again.Stderr, StringComparison.Ordinal);
        var anna = JsonDocument.Parse(list.Stdout).RootElement.GetProperty("items").EnumerateArray()
            .Where(k => k.GetProperty("name").GetString() == "csm-anna").ToList();
        Assert.Equal(2, anna.Count);
        Assert.NotEqual(JsonValueKind.Null, anna[0].GetProperty("revokedAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, anna[1].GetProperty("revokedAt").ValueKind);
        Assert.Equal(leaked[..11], anna[0].GetProperty("prefix").GetString());
        Assert.Equal(replacement[..11], anna[1].GetProperty("prefix").GetString());

        // Revoking the name now revokes the replacement; a third key can follow.
        await using (var app = await AgentCrmApp.StartAsync(data))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusWithAsync(app, leaked));
            Assert.Equal(HttpStatusCode.OK, await StatusWithAsync(app, replacement));
            var audit = (await app.GetJsonAsync("/v1/audit?subject=key:csm-anna")).GetProperty("items").EnumerateArray()
                .Select(r => r.GetProperty("action").GetString()).ToList();
            Assert.Equal(["key.created", "key.revoked", "key.created"], audit.AsEnumerable().Reverse());
        }
        var revoked = await CliRunner.RunAsync(["keys", "revoke", "csm-anna", "--data", data, "--json"]);
        Assert.Equal(0, revoked.ExitCode);
        Assert.Equal(replacement[..11], JsonDocument.Parse(revoked.Stdout).RootElement.GetProperty("prefix").GetString());
        var third = await CreateAsync(data, "csm-anna");
        await using (var app = await AgentCrmApp.StartAsync(data))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusWithAsync(app, leaked));
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusWithAsync(app, replacement));
            Assert.Equal(HttpStatusCode.OK, await StatusWithAsync(app, third));
        }
    }
}
