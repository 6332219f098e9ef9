using System.Net;
using AgentCrm.Runtime.Tests.Cli;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>A gate decision rests on a case set: adding and removing one is audited with who did it (it left no trace).</summary>
public sealed class CaseSetAuditTests
{
    [Fact]
    public async Task AddingAndRemovingACaseSet_OverHttpAndTheCli_IsAuditedWithWhoDidIt()
    {
        var dir = TempDirectory.Create();
        var (ndjson, labels) = CaseFiles.Timeline(30, DateTimeOffset.UtcNow.AddDays(-1));
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            using var ops = await app.ClientAsync("ops", "olga");
            using (var added = await ops.PostAsync("/v1/cases/audited", CaseFiles.Upload(ndjson, labels)))
                Assert.Equal(HttpStatusCode.Created, added.StatusCode);
            // The same content again changes nothing and records nothing.
            using (var again = await ops.PostAsync("/v1/cases/audited", CaseFiles.Upload(ndjson, labels)))
                Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            using (var removed = await ops.DeleteAsync("/v1/cases/audited"))
                Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
            var records = (await app.GetJsonAsync("/v1/audit?subject=caseset:audited")).GetProperty("items").EnumerateArray().ToList();
            Assert.Equal([("caseset.removed", "key:olga"), ("caseset.added", "key:olga")], records.Select(r => (r.GetProperty("action").GetString(), r.GetProperty("actor").GetString())));
            Assert.Equal(30, records[1].GetProperty("data").GetProperty("cases").GetInt32());
        }

        var events = Path.Combine(dir, "cases.ndjson");
        var labelsFile = Path.Combine(dir, "labels.csv");
        await File.WriteAllTextAsync(events, ndjson);
        await File.WriteAllTextAsync(labelsFile, labels);
        Assert.Equal(0, (await CliRunner.RunAsync(["cases", "add", "from-cli", events, "--labels", labelsFile, "--data", dir])).ExitCode);
        Assert.Equal(0, (await CliRunner.RunAsync(["cases", "remove", "from-cli", "--data", dir])).ExitCode);
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT action || ' ' || actor FROM audit WHERE subject = 'caseset:from-cli' ORDER BY seq";
        using var reader = cmd.ExecuteReader();
        var cli = new List<string>();
        while (reader.Read())
            cli.Add(reader.GetString(0));
        Assert.Equal([$"caseset.added cli:{Environment.UserName}", $"caseset.removed cli:{Environment.UserName}"], cli);
    }
}
