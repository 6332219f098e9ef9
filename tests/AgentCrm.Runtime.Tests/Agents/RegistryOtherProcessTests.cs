using System.Net;
using AgentCrm.Agents;
using AgentCrm.Audit;
using AgentCrm.Runtime.Tests.Reviews;
using AgentCrm.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentCrm.Runtime.Tests.Agents;

/// <summary>
/// A registry change made elsewhere (the CLI, on the same database) that commits together with, or right after, one of the
/// server's own: the server counted it as its own and never loaded it.
/// </summary>
public sealed class RegistryOtherProcessTests
{
    [Fact]
    public async Task ARegistrationFromAnotherRegistry_CommittedWithAServerPromote_IsSeenByTheServer()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await Variants.RegisterAsync(app, "2.0.0");
        await app.EvaluateAsync("renewal-risk", "2.0.0");
        var writer = app.Services.GetRequiredService<SqliteWriter>();
        // Another registry on the same database, as `agentcrm agents register` opens.
        var other = new AgentRegistry(app.Services.GetRequiredService<SqliteDatabase>(), writer, app.Services.GetRequiredService<AuditLog>(),
            TimeProvider.System, app.Services.GetServices<IAgentKind>(), NullLogger<AgentRegistry>.Instance);
        await other.InitializeAsync();
        var manifest = other.Find("renewal-risk", "1.0.1").Manifest with { Version = "3.0.0" };

        // The writer is busy, so both writes queue and commit in one transaction.
        using var gate = new ManualResetEventSlim(false);
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var busy = writer.WriteAsync(_ =>
        {
            running.TrySetResult();
            gate.Wait(TimeSpan.FromSeconds(60));
        });
        await running.Task.WaitAsync(TimeSpan.FromMinutes(1));
        var promote = app.Client.PostAsync("/v1/agents/renewal-risk/versions/2.0.0/promote", null);
        // Each write queued before the gate opens (waited for, not assumed after a delay: a busy machine may take longer).
        await AbandonedPromoteTests.QueuedAsync(writer, 1);
        var register = other.RegisterAsync(manifest, "cli");
        await AbandonedPromoteTests.QueuedAsync(writer, 2, 200);
        gate.Set();
        await busy;
        using (var promoted = await promote)
            Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
        Assert.True((await register).Created);

        // The server notices changes made elsewhere within 2 s (README); waited for generously, as a busy machine runs its timer late.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(await app.GetJsonAsync("/v1/agents/renewal-risk")).GetProperty("versions").EnumerateArray().Any(v => v.GetProperty("version").GetString() == "3.0.0"))
        {
            Assert.True(DateTime.UtcNow < deadline, "Expected the server to list renewal-risk@3.0.0, registered by another registry, within 60 s.");
            await Task.Delay(100);
        }
    }
}
