using AgentCrm.Actors.Tests.Actors;

namespace AgentCrm.Actors.Tests.Dapr;

/// <summary>
/// One behaviour suite, two hosts: turns, state, reminders, timers and deactivation as an actor sees them,
/// run against the embedded host and against the Dapr host behind an in-process daprd stand-in.
/// </summary>
public abstract class ActorBehaviourSuite : IAsyncLifetime
{
    private readonly TestDirectory _directory = new();
    private IHostUnderTest? _host;

    private protected ManualTimeProvider Time { get; } = new();

    private protected IHostUnderTest Host => _host!;

    private protected abstract Task<IHostUnderTest> StartAsync(TestDirectory directory, ManualTimeProvider time, Probe probe);

    public async Task InitializeAsync() => _host = await StartAsync(_directory, Time, new Probe { RendezvousTarget = 20 });

    public async Task DisposeAsync()
    {
        if (_host is not null)
            await _host.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Turns_ConcurrentCallsToOneActor_RunOneAtATimeWhileOtherActorsRunInParallel()
    {
        var hot = ProbeActor.For("hot");

        var hotCalls = Enumerable.Range(0, 200).Select(_ => Task.Run(() => Host.InvokeAsync(hot, "serial"))).ToArray();
        var otherCalls = Enumerable.Range(0, 20).Select(i => Task.Run(() => Host.InvokeAsync(ProbeActor.For($"other-{i}"), "rendezvous"))).ToArray();
        await Task.WhenAll(hotCalls.Concat(otherCalls)).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, Host.Probe.MaxInTurn);
        Assert.Equal(201, await Host.InvokeAsync(hot, "increment"));
        // Every "rendezvous" turn waits until all 20 are inside, so this only passes if they ran at once.
        Assert.True(Host.Probe.MaxRunning >= 20, $"expected the 20 other actors to run concurrently, saw at most {Host.Probe.MaxRunning}");
        Assert.Equal(21, Host.ActiveActivations);
    }

    [Fact]
    public async Task Turns_TurnThrows_CallerSeesTheErrorAndTheTurnsStateIsDiscarded()
    {
        var id = ProbeActor.For("fails");
        await Host.InvokeAsync(id, "set", "kept");

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => Host.InvokeAsync(id, "set-then-throw", "lost"));

        Assert.Equal("The turn failed on purpose.", ex.Message);
        Assert.Equal("kept", await Host.InvokeAsync(id, "get"));
        Assert.Equal(1, await Host.InvokeAsync(id, "increment"));
    }

    [Fact]
    public async Task EnlistedWrites_LandWithTheTurnsState_AndNotAtAllWhenTheTurnOrTheWriteFails()
    {
        var id = ProbeActor.For("ledger");
        await Host.InvokeAsync(id, "log", "first");

        await Assert.ThrowsAnyAsync<Exception>(() => Host.InvokeAsync(id, "log-then-throw", "lost with the turn"));
        var failed = await Assert.ThrowsAnyAsync<Exception>(() => Host.InvokeAsync(id, "log-failing-write", "lost with the write"));
        Assert.Contains("failed on purpose", failed.Message, StringComparison.Ordinal);

        Assert.Equal(["first"], ReadLog());
        Assert.Equal("first", await Host.InvokeAsync(id, "get"));
        _host = await Host.RestartAsync();
        Assert.Equal("first", await Host.InvokeAsync(id, "get"));
        await Host.InvokeAsync(id, "log", "second");
        Assert.Equal(["first", "second"], ReadLog());
    }

    [Fact]
    public async Task EnlistedWrite_RefusingWithATurnConflict_RunsTheTurnAgainOnTheSavedState_UpToTheLimit()
    {
        var id = ProbeActor.For("conflicted");
        Host.Probe.ConflictsLeft = 2;
        await Host.InvokeAsync(id, "log-conflicting", "third time");
        // Three runs; only the last was saved, its count counting from the state as saved (not from the refused runs').
        Assert.Equal(3, Host.Probe.ConflictingRuns);
        Assert.Equal(["third time (run 3)"], ReadLog());
        Assert.Equal(2, await Host.InvokeAsync(id, "increment"));

        Host.Probe.ConflictsLeft = int.MaxValue;
        var failed = await Assert.ThrowsAnyAsync<Exception>(() => Host.InvokeAsync(id, "log-conflicting", "never"));
        Assert.Contains("on purpose", failed.Message, StringComparison.Ordinal);
        Assert.Equal(3 + TurnConflictException.MaxAttempts, Host.Probe.ConflictingRuns);
        Assert.Equal(["third time (run 3)"], ReadLog());
        Assert.Equal(3, await Host.InvokeAsync(id, "increment"));
    }

    [Fact]
    public async Task OnSaved_TurnRunAgainAfterAConflict_RunsOnceForTheSavedRunAndNotForATurnThatGivesUp()
    {
        var id = ProbeActor.For("counted-once");
        Host.Probe.ConflictsLeft = 2;

        await Host.InvokeAsync(id, "log-conflicting", "counted");

        // Three runs, each queued its action; the two refused runs' were dropped with them. Run before the caller heard back.
        Assert.Equal(3, Host.Probe.ConflictingRuns);
        Assert.Equal(1, Host.Probe.SavedRuns);
        Host.Probe.ConflictsLeft = int.MaxValue;
        await Assert.ThrowsAnyAsync<Exception>(() => Host.InvokeAsync(id, "log-conflicting", "never"));
        Assert.Equal(1, Host.Probe.SavedRuns);
    }

    [Fact]
    public async Task OnSaved_TurnOrItsSaveFails_RunsNothingUntilATurnIsSaved()
    {
        var id = ProbeActor.For("counted-when-saved");
        await Assert.ThrowsAnyAsync<Exception>(() => Host.InvokeAsync(id, "log-then-throw", "lost with the turn"));
        Host.Probe.FailSaves = 2;
        // A save that fails (a full disk, say) twice: the turn is retried later, as the dispatcher retries an event.
        await Assert.ThrowsAnyAsync<Exception>(() => Host.InvokeAsync(id, "count-flaky", "retried"));
        await Assert.ThrowsAnyAsync<Exception>(() => Host.InvokeAsync(id, "count-flaky", "retried"));
        Assert.Equal(0, Host.Probe.SavedRuns);

        await Host.InvokeAsync(id, "count-flaky", "retried");

        Assert.Equal(1, Host.Probe.SavedRuns);
        Assert.Equal(["retried"], ReadLog());
        // A turn that changed nothing has nothing to save, and counts as saved.
        await Host.InvokeAsync(id, "count-only");
        Assert.Equal(2, Host.Probe.SavedRuns);
    }

    private List<string> ReadLog()
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_directory.Path, "agentcrm.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT text FROM {ProbeActor.LogTable} ORDER BY rowid";
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
            rows.Add(reader.GetString(0));
        return rows;
    }

    [Fact]
    public async Task State_SetInTurns_RestartedHostSeesIt()
    {
        var id = ProbeActor.For("durable");
        await Host.InvokeAsync(id, "set", "renewal at risk");
        await Host.InvokeAsync(id, "increment");

        _host = await Host.RestartAsync();

        Assert.Equal("renewal at risk", await Host.InvokeAsync(id, "get"));
        Assert.Equal(2, await Host.InvokeAsync(id, "increment"));
    }

    [Fact]
    public async Task State_Removed_RestartedHostSeesNoValue()
    {
        var id = ProbeActor.For("removed");
        await Host.InvokeAsync(id, "set", "temporary");
        await Host.InvokeAsync(id, "remove");

        _host = await Host.RestartAsync();

        Assert.Null(await Host.InvokeAsync(id, "get"));
    }

    [Fact]
    public async Task Deactivation_NextCall_ActivatesAgainWithItsState()
    {
        var id = ProbeActor.For("idle");
        await Host.InvokeAsync(id, "set", "remembered");

        Assert.True(await Host.DeactivateAsync(id));

        Assert.Equal(1, Host.Probe.Deactivations(id));
        Assert.Equal(0, Host.ActiveActivations);
        Assert.Equal("remembered", await Host.InvokeAsync(id, "get"));
        Assert.Equal(2, Host.Probe.Activations(id));
        Assert.Equal(1, Host.ActiveActivations);
    }

    [Fact]
    public async Task Activation_Throws_CallFailsAndNextCallActivatesAgain()
    {
        var id = ProbeActor.For("flaky");
        Host.Probe.FailActivations = 1;

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => Host.InvokeAsync(id, "increment"));

        Assert.Equal("Activation failed on purpose.", ex.Message);
        Assert.Equal(1, await Host.InvokeAsync(id, "increment"));
        Assert.Equal(1, Host.Probe.Activations(id));
        Assert.Equal(1, Host.ActiveActivations);
    }

    [Fact]
    public async Task Reminders_OneShotOnInactiveActor_ActivatesItAndFiresOnce()
    {
        var id = ProbeActor.For("once");
        await Host.InvokeAsync(id, "remind", new ReminderRequest("nudge", TimeSpan.FromHours(1), null));
        Assert.True(await Host.DeactivateAsync(id));
        Assert.Equal(0, await Host.FireDueRemindersAsync());

        await Host.AdvanceAsync(TimeSpan.FromHours(2));

        Assert.Equal(1, await Host.FireDueRemindersAsync());
        Assert.Equal(0, await Host.FireDueRemindersAsync());
        Assert.Equal(["nudge"], Host.Probe.Reminders(id));
        Assert.Equal(2, Host.Probe.Activations(id));
    }

    [Fact]
    public async Task Reminders_Periodic_FireOncePerPeriodAndStopWhenUnregistered()
    {
        var id = ProbeActor.For("periodic");
        await Host.InvokeAsync(id, "remind", new ReminderRequest("tick", TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)));

        await Host.AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await Host.FireDueRemindersAsync());
        Assert.Equal(0, await Host.FireDueRemindersAsync());
        // Three missed periods fold into one firing.
        await Host.AdvanceAsync(TimeSpan.FromMinutes(3));
        Assert.Equal(1, await Host.FireDueRemindersAsync());
        Assert.Equal(0, await Host.FireDueRemindersAsync());

        await Host.InvokeAsync(id, "unremind", "tick");
        await Host.AdvanceAsync(TimeSpan.FromMinutes(5));

        Assert.Equal(0, await Host.FireDueRemindersAsync());
        Assert.Equal(["tick", "tick"], Host.Probe.Reminders(id));
    }

    [Fact]
    public async Task Reminders_RegisteredByATurnThatFails_AreNotRegistered()
    {
        var id = ProbeActor.For("remind-fails");

        await Assert.ThrowsAnyAsync<Exception>(() => Host.InvokeAsync(id, "remind-then-throw", new ReminderRequest("nudge", TimeSpan.FromMinutes(1), null)));
        await Host.AdvanceAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(0, await Host.FireDueRemindersAsync());
        Assert.Empty(Host.Probe.Reminders(id));
    }

    [Fact]
    public async Task Reminders_RegisteredByATurnWhoseSaveFails_AreNotRegistered()
    {
        var id = ProbeActor.For("remind-unsaved");
        await Host.InvokeAsync(id, "remind", new ReminderRequest("nudge", TimeSpan.FromHours(1), null));

        // The turn moves the reminder a month on, then its save fails (an enlisted write throws): the reminder stays.
        await Assert.ThrowsAnyAsync<Exception>(() => Host.InvokeAsync(id, "remind-failing-write", new ReminderRequest("nudge", TimeSpan.FromDays(30), null)));
        await Host.AdvanceAsync(TimeSpan.FromHours(2));

        Assert.Equal(1, await Host.FireDueRemindersAsync());
        Assert.Equal(["nudge"], Host.Probe.Reminders(id));
        Assert.Null(await Host.InvokeAsync(id, "get"));
    }

    [Fact]
    public async Task Reminders_FiringTurnMovesItsReminderOnThenFails_FiresAgainUntilATurnSucceeds()
    {
        var id = ProbeActor.For("rearmed");
        await Host.InvokeAsync(id, "remind", new ReminderRequest("rearm", TimeSpan.FromHours(1), null));
        Host.Probe.FailRearms = 1;
        await Host.AdvanceAsync(TimeSpan.FromHours(2));

        // The failed turn's re-registration is dropped with the rest of it, so the reminder is still due...
        Assert.Equal(0, await Host.FireDueRemindersAsync());
        Assert.Equal(1, await Host.FireDueRemindersAsync());
        // ...and the turn that succeeded moved it 30 days on.
        Assert.Equal(0, await Host.FireDueRemindersAsync());
        await Host.AdvanceAsync(TimeSpan.FromDays(31));
        Assert.Equal(1, await Host.FireDueRemindersAsync());
        Assert.Equal(["rearm", "rearm", "rearm"], Host.Probe.Reminders(id));
    }

    [Fact]
    public async Task Reminders_RegisteredBeforeRestart_FireAfterIt()
    {
        var id = ProbeActor.For("renewal");
        await Host.InvokeAsync(id, "remind", new ReminderRequest("rescore", TimeSpan.FromDays(30), null));

        _host = await Host.RestartAsync();
        await Host.AdvanceAsync(TimeSpan.FromDays(31));

        Assert.Equal(1, await Host.FireDueRemindersAsync());
        Assert.Equal(["rescore"], Host.Probe.Reminders(id));
        Assert.Equal(2, Host.Probe.Activations(id));
    }

    [Fact]
    public async Task Timers_WhileActive_FireEveryPeriodAndStopWhenUnregistered()
    {
        var id = ProbeActor.For("timed");
        await Host.InvokeAsync(id, "timer", new ReminderRequest("poll", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10)));

        await Host.AdvanceAsync(TimeSpan.FromSeconds(10));
        await Host.Probe.WaitUntilAsync(() => Host.Probe.Timers(id).Length == 1, "the first tick of timer poll");
        await Host.AdvanceAsync(TimeSpan.FromSeconds(10));
        await Host.Probe.WaitUntilAsync(() => Host.Probe.Timers(id).Length == 2, "the second tick of timer poll");

        await Host.InvokeAsync(id, "untimer", "poll");
        await Host.AdvanceAsync(TimeSpan.FromSeconds(30));
        // A tick queued by that advance would run before this call.
        await Host.InvokeAsync(id, "get");

        Assert.Equal(["poll", "poll"], Host.Probe.Timers(id));
    }

    [Fact]
    public async Task Timers_ActorDeactivated_AreGone()
    {
        var id = ProbeActor.For("timer-gone");
        await Host.InvokeAsync(id, "timer", new ReminderRequest("poll", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10)));

        Assert.True(await Host.DeactivateAsync(id));
        await Host.AdvanceAsync(TimeSpan.FromSeconds(30));
        await Host.InvokeAsync(id, "get");

        Assert.Empty(Host.Probe.Timers(id));
    }
}

public sealed class EmbeddedHostBehaviourTests : ActorBehaviourSuite
{
    private protected override Task<IHostUnderTest> StartAsync(TestDirectory directory, ManualTimeProvider time, Probe probe) =>
        EmbeddedHostUnderTest.StartAsync(directory, time, probe);
}

public sealed class DaprHostBehaviourTests : ActorBehaviourSuite
{
    private protected override async Task<IHostUnderTest> StartAsync(TestDirectory directory, ManualTimeProvider time, Probe probe) =>
        await DaprHostUnderTest.StartAsync(directory, time, probe);
}
