using AgentCrm.Agents;
using AgentCrm.Sandbox;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Agents;

/// <summary>A version produced by work that began before its agent was unregistered (a fit) is never registered after the unregister.</summary>
public sealed class RegisterAfterUnregisterTests
{
    private static SqliteConnection Open(string dir)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dir, "agentcrm.db"), Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static long Count(string dir, string sql)
    {
        using var connection = Open(dir);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }

    [Fact]
    public async Task RegisterAsync_AnUnregisterCommittedAfterTheRegistryReadItsState_IsSeenInTheRegistrationsTransaction_AndRefusesTheVersion()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var registry = app.Services.GetRequiredService<AgentRegistry>();
        var manifest = registry.Find("renewal-risk", "1.0.1").Manifest with { Version = "7.0.0" };
        var fitStarted = registry.TransitionsSeq();

        // Another process (the CLI on the same data directory) unregisters the agent: its transaction holds the write lock
        // while the registry reads its state and queues the registration, and commits before the registration's transaction begins.
        using (var cli = Open(app.DataDirectory))
        {
            using var tx = cli.BeginTransaction();
            using (var cmd = cli.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = "INSERT INTO agent_transitions (agent_id, version, from_state, to_state, actor, at) VALUES ('renewal-risk', NULL, NULL, 'retired', 'cli', $at)";
                cmd.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToString("O"));
                cmd.ExecuteNonQuery();
            }
            var registering = registry.RegisterAsync(manifest, "fitter", unlessUnregisteredAfter: fitStarted);
            Assert.False(registering.IsCompleted, "the registration should wait for the unregister's transaction");
            tx.Commit();

            var refused = await Assert.ThrowsAsync<AgentConflictException>(() => registering);
            Assert.Contains("unregistered by cli", refused.Message, StringComparison.Ordinal);
        }
        Assert.Equal(0L, Count(app.DataDirectory, "SELECT COUNT(*) FROM agent_versions WHERE agent_id = 'renewal-risk' AND version = '7.0.0'"));
        Assert.Equal(0L, Count(app.DataDirectory, "SELECT COUNT(*) FROM audit WHERE subject = 'agent:renewal-risk@7.0.0'"));
        Assert.DoesNotContain(registry.Versions("renewal-risk"), v => v.Version == "7.0.0");

        // Work begun after the unregister registers its version: an unregistered agent can be registered anew.
        var again = await registry.RegisterAsync(manifest, "fitter", unlessUnregisteredAfter: registry.TransitionsSeq());
        Assert.True(again.Created);
    }

    [Fact]
    public async Task FitAsync_PreparedBeforeItsAgentWasUnregistered_RegistersNoVersion_AsTheCliFitRuns()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var fitter = app.Services.GetRequiredService<AgentFitter>();
        var fit = fitter.Prepare(new FitRequest("renewal-risk", "telco-churn") { Version = "7.0.0" });
        using var ops = await app.ClientAsync("ops", "ops-unregisterer");
        using (var unregistered = await ops.DeleteAsync("/v1/agents/renewal-risk"))
            Assert.True(unregistered.IsSuccessStatusCode, await unregistered.Content.ReadAsStringAsync());

        var refused = await Assert.ThrowsAsync<AgentConflictException>(() => fitter.FitAsync(fit, "cli"));

        Assert.Contains("ops-unregisterer", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0L, Count(app.DataDirectory, "SELECT COUNT(*) FROM agent_versions WHERE agent_id = 'renewal-risk' AND version = '7.0.0'"));
        Assert.Equal(0L, Count(app.DataDirectory, "SELECT COUNT(*) FROM sandbox_reports"));
    }
}
