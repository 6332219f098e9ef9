using System.Net;
using AgentCrm.Agents;
using AgentCrm.Audit;
using AgentCrm.Runtime.Tests.Reviews;
using AgentCrm.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentCrm.Runtime.Tests.Agents;

/// <summary>
/// Registry changes made elsewhere (the CLI, on the same database) that commit together with, or right before, one of the
/// server's own: the server counted one as its own and never loaded it, and a lifecycle change decided before another process's
/// committed was written over it (qa40c: a promote after a CLI unregister left the agent delivering; two promotes left two
/// versions active).
/// </summary>
public sealed class RegistryOtherProcessTests
{
    [Fact]
    public async Task ARegistrationFromAnotherRegistry_CommittedWithAServerPromote_IsSeenByTheServer()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await Variants.RegisterAsync(app, "2.0.0");
        await app.EvaluateAsync("renewal-risk", "2.0.0");
        var other = await OtherRegistryAsync(app);
        var manifest = other.Find("renewal-risk", "1.0.1").Manifest with { Version = "3.0.0" };

        var (writer, busy) = await BusyWriter.StartAsync(app);
        var promote = app.Client.PostAsync("/v1/agents/renewal-risk/versions/2.0.0/promote", null);
        // Each write queued before the gate opens (waited for, not assumed after a delay: a busy machine may take longer).
        await AbandonedPromoteTests.QueuedAsync(writer, 1);
        var register = other.RegisterAsync(manifest, "cli");
        await AbandonedPromoteTests.QueuedAsync(writer, 2, 200);
        await busy.ReleaseAsync();
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

    /// <summary>
    /// A promote over HTTP right after another process registered the version: the server looked it up before reading the
    /// stored versions and answered 404 "No agent … is registered" until its timed reload (qa42d #2); shadow did not.
    /// </summary>
    [Fact]
    public async Task APromoteRightAfterAnotherProcessRegisteredTheVersion_IsJudgedByTheGate_NotA404()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var other = await OtherRegistryAsync(app);
        var manifest = other.Find("renewal-risk", "1.0.1").Manifest with { Id = "other-process", Version = "1.0.0" };
        Assert.True((await other.RegisterAsync(manifest, "cli:root")).Created);

        using var promoted = await app.Client.PostAsync("/v1/agents/other-process/versions/1.0.0/promote", null);

        var body = await promoted.Content.ReadAsStringAsync();
        Assert.True(promoted.StatusCode == HttpStatusCode.Conflict, body);
        Assert.Contains("no report for content hash", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APromoteDecidedBeforeAnotherProcessUnregistersTheAgent_IsRefused_AndTheAgentStaysUnregistered()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await Variants.RegisterAsync(app, "2.0.0");
        await app.EvaluateAsync("renewal-risk", "2.0.0");
        var other = await OtherRegistryAsync(app);

        // `agents unregister` beside the server commits first; the server's promote, decided from the registry before it, commits after.
        using (var promoted = await PromoteAfterAsync(app, () => other.UnregisterAsync("renewal-risk", "cli:root"), "2.0.0"))
        {
            Assert.True(promoted.StatusCode == HttpStatusCode.Conflict, await promoted.Content.ReadAsStringAsync());
            Assert.Contains("retired", await promoted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        var states = (await app.GetJsonAsync("/v1/agents/renewal-risk")).GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("state").GetString()).ToList();
        Assert.All(states, s => Assert.Equal("retired", s));
        using var rollback = await app.Client.PostAsync("/v1/agents/renewal-risk/rollback", null);
        Assert.Equal(HttpStatusCode.Conflict, rollback.StatusCode);
    }

    [Fact]
    public async Task TwoPromotesFromTwoProcesses_LeaveOneActiveVersion_AndEachRetiresWhatWasActiveWhenItCommitted()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await Variants.RegisterAsync(app, "2.0.0");
        await app.EvaluateAsync("renewal-risk", "2.0.0");
        await Variants.RegisterAsync(app, "3.0.0");
        await app.EvaluateAsync("renewal-risk", "3.0.0");
        var other = await OtherRegistryAsync(app);

        using (var promoted = await PromoteAfterAsync(app, () => other.PromoteAsync("renewal-risk", "3.0.0", "cli:root"), "2.0.0"))
            Assert.True(promoted.StatusCode == HttpStatusCode.OK, await promoted.Content.ReadAsStringAsync());

        var versions = (await app.GetJsonAsync("/v1/agents/renewal-risk")).GetProperty("versions").EnumerateArray()
            .ToDictionary(v => v.GetProperty("version").GetString()!, v => v.GetProperty("state").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["1.0.1"] = "retired", ["2.0.0"] = "active", ["3.0.0"] = "retired" }, versions);
        // The audit tells it as it happened: 1.0.1 retired once (by the CLI's promote), then 3.0.0 by the server's.
        var retired = (await app.GetJsonAsync("/v1/audit?action=agent.retired&limit=50")).GetProperty("items").EnumerateArray()
            .Select(r => (r.GetProperty("subject").GetString(), r.GetProperty("actor").GetString(), r.GetProperty("data").GetProperty("from").GetString())).ToList();
        Assert.Equal(1, retired.Count(r => r.Item1 == "agent:renewal-risk@1.0.1"));
        Assert.Contains(("agent:renewal-risk@1.0.1", "cli:root", "active"), retired);
        Assert.Contains(retired, r => r is ("agent:renewal-risk@3.0.0", { } actor, "active") && actor.StartsWith("key:test-admin", StringComparison.Ordinal));
    }

    /// <summary>
    /// The server's promote of renewal-risk@<paramref name="version"/>, decided before <paramref name="otherProcess"/>'s change
    /// and committed right after it: the writer is held busy until both are queued, in that order, so they commit in one batch.
    /// </summary>
    private static async Task<HttpResponseMessage> PromoteAfterAsync(AgentCrmApp app, Func<Task> otherProcess, string version)
    {
        var (writer, busy) = await BusyWriter.StartAsync(app);
        var first = otherProcess();
        await AbandonedPromoteTests.QueuedAsync(writer, 1);
        var promote = app.Client.PostAsync($"/v1/agents/renewal-risk/versions/{version}/promote", null);
        await AbandonedPromoteTests.QueuedAsync(writer, 2, 200);
        await busy.ReleaseAsync();
        await first;
        return await promote;
    }

    /// <summary>Another registry on the server's database, as the CLI (`agentcrm agents …`) opens one.</summary>
    private static async Task<AgentRegistry> OtherRegistryAsync(AgentCrmApp app)
    {
        var other = new AgentRegistry(app.Services.GetRequiredService<SqliteDatabase>(), app.Services.GetRequiredService<SqliteWriter>(),
            app.Services.GetRequiredService<AuditLog>(), TimeProvider.System, app.Services.GetServices<IAgentKind>(), NullLogger<AgentRegistry>.Instance);
        await other.InitializeAsync();
        return other;
    }

    /// <summary>The server's writer held busy, so the writes queued meanwhile commit in one transaction, in the order queued.</summary>
    private sealed class BusyWriter(ManualResetEventSlim gate, Task busy) : IDisposable
    {
        public static async Task<(SqliteWriter Writer, BusyWriter Busy)> StartAsync(AgentCrmApp app)
        {
            var writer = app.Services.GetRequiredService<SqliteWriter>();
            var gate = new ManualResetEventSlim(false);
            var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var busy = writer.WriteAsync(_ =>
            {
                running.TrySetResult();
                gate.Wait(TimeSpan.FromSeconds(60));
            });
            await running.Task.WaitAsync(TimeSpan.FromMinutes(1));
            return (writer, new BusyWriter(gate, busy));
        }

        public async Task ReleaseAsync()
        {
            gate.Set();
            await busy;
        }

        public void Dispose() => gate.Dispose();
    }
}
