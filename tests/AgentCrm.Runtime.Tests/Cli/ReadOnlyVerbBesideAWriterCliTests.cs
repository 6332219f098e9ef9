using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// A verb that only reads answers while another process holds the database's write lock (qa31: `agents list` failed after 30 s,
/// "stayed locked by another process", although in WAL mode readers need no lock: opening the database wrote its schema again).
/// </summary>
public sealed class ReadOnlyVerbBesideAWriterCliTests
{
    [Fact]
    public async Task AgentsList_AndKeysList_Answer_WhileAnotherConnectionHoldsBeginImmediate()
    {
        var dir = TempDirectory.Create();
        var init = await CliRunner.RunAsync(["agents", "list", "--data", dir]);
        Assert.True(init.ExitCode == 0, init.Stderr);
        using var writer = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Pooling=False");
        writer.Open();
        using (var begin = writer.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();
        }

        var clock = Stopwatch.StartNew();
        var agents = await CliRunner.RunAsync(["agents", "list", "--data", dir, "--json"], timeLimit: TimeSpan.FromSeconds(90));
        var keys = await CliRunner.RunAsync(["keys", "list", "--data", dir], timeLimit: TimeSpan.FromSeconds(90));

        Assert.True(agents.ExitCode == 0, $"after {clock.Elapsed.TotalSeconds:0.0} s: {agents.Stderr}");
        Assert.Contains(JsonDocument.Parse(agents.Stdout).RootElement.GetProperty("items").EnumerateArray(), v => v.GetProperty("id").GetString() == "renewal-risk");
        Assert.True(keys.ExitCode == 0, keys.Stderr);
        // The lock was held throughout: nothing the verbs did waited for it (its wait is 30 s).
        using (var rollback = writer.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }
    }
}
