using System.Net;
using AgentCrm.Runtime.Tests.Reviews;
using AgentCrm.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Agents;

/// <summary>
/// A lifecycle change whose client goes away while its write waits behind a busy writer: the write still commits, so the
/// next change must see it. It used to stop waiting (the request's token) and free the registry for the next change,
/// which then planned from the state before it.
/// </summary>
public sealed class AbandonedPromoteTests
{
    [Fact]
    public async Task APromoteWhoseClientLeavesDuringItsWrite_AndAnotherPromote_LeaveOneActiveVersion_AfterARestartToo()
    {
        var data = TempDirectory.Create();
        await using (var app = await AgentCrmApp.StartAsync(data))
        {
            await Variants.RegisterAsync(app, "2.0.0");
            await Variants.RegisterAsync(app, "3.0.0");
            await app.EvaluateAsync("renewal-risk", "2.0.0");
            await app.EvaluateAsync("renewal-risk", "3.0.0");

            // The writer is busy (a slow disk): every write queues behind this one until the gate opens.
            using var gate = new ManualResetEventSlim(false);
            var writer = app.Services.GetRequiredService<SqliteWriter>();
            var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var busy = writer.WriteAsync(_ =>
            {
                running.TrySetResult();
                gate.Wait(TimeSpan.FromSeconds(60));
            });
            await running.Task.WaitAsync(TimeSpan.FromMinutes(1));
            using var leaves = new CancellationTokenSource();
            var abandoned = app.Client.PostAsync("/v1/agents/renewal-risk/versions/2.0.0/promote", null, leaves.Token);
            // The promote passes the gate check and queues its write (waited for, not assumed after a delay: a busy machine
            // may take longer); then its client goes away.
            await QueuedAsync(writer, 1);
            await leaves.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
            await Task.Delay(500);
            var second = app.Client.PostAsync("/v1/agents/renewal-risk/versions/3.0.0/promote", null);
            // A second for the second promote to reach the registry while the first's write still waits. Fixed, it waits for
            // that write and plans from the state after it; with the bug it planned from the state before it, and both
            // versions ended active (asserted below). Waiting here for a second queued write, as this test did, passed only
            // when some background write happened to queue behind the busy one: the fixed promote queues none until then.
            await Task.Delay(1_000);
            Assert.False(second.IsCompleted, "the second promote was answered while the first's write waited behind the busy one");
            gate.Set();
            await busy;
            using (var promoted = await second)
                Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
            await AssertOneActiveAsync(app);
        }
        await using var restarted = await AgentCrmApp.StartAsync(data);
        await AssertOneActiveAsync(restarted);
    }

    /// <summary>Waits (at least <paramref name="atLeastMilliseconds"/>, at most a minute) until <paramref name="count"/> writes wait behind the busy one.</summary>
    internal static async Task QueuedAsync(SqliteWriter writer, int count, int atLeastMilliseconds = 500)
    {
        await Task.Delay(atLeastMilliseconds);
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (writer.Queued < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"expected {count} writes waiting behind the busy one, {writer.Queued} after a minute");
            await Task.Delay(20);
        }
    }

    private static async Task AssertOneActiveAsync(AgentCrmApp app)
    {
        var agent = await app.GetJsonAsync("/v1/agents/renewal-risk");
        var active = agent.GetProperty("versions").EnumerateArray().Where(v => v.GetProperty("state").GetString() == "active").Select(v => v.GetProperty("version").GetString()).ToList();
        Assert.True(active.SequenceEqual(["3.0.0"]), $"expected only 3.0.0 active, got [{string.Join(", ", active)}]");
    }
}
