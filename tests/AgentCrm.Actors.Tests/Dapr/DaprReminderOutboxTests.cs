using AgentCrm.Actors.Tests.Actors;
using AgentCrm.Dapr;

namespace AgentCrm.Actors.Tests.Dapr;

/// <summary>
/// daprd keeps reminders apart from actor state, so the Dapr host saves a turn's reminder calls with its state (the
/// outbox) and sends them once that state is saved: they change with the turn's state or not at all, and a call daprd
/// refused after the save is sent again before the actor's next turn, on this activation or the next.
/// </summary>
public sealed class DaprReminderOutboxTests : IAsyncLifetime
{
    private readonly TestDirectory _directory = new();
    private readonly ManualTimeProvider _time = new();
    private DaprHostUnderTest _host = null!;

    private FakeDaprd Daprd => _host.Daprd;

    public async Task InitializeAsync() => _host = await DaprHostUnderTest.StartAsync(_directory, _time, new Probe(), sharedClock: true);

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task StateTransactionRefused_TheTurnsReminderChangeIsNotSent()
    {
        var id = ProbeActor.For("refused");
        await _host.InvokeAsync(id, "remind", new ReminderRequest("nudge", TimeSpan.FromHours(1), null));

        // The turn moves the reminder a month on; daprd then refuses its state: the reminder must stay where it was.
        Daprd.FailStateTransactions(1);
        await Assert.ThrowsAnyAsync<Exception>(() => _host.InvokeAsync(id, "remind-then-set", new ReminderRequest("nudge", TimeSpan.FromDays(30), null)));
        _time.Advance(TimeSpan.FromHours(2));

        Assert.Equal(1, await Daprd.FireDueRemindersAsync());
        Assert.Null(await _host.InvokeAsync(id, "get"));
        Assert.Null(Daprd.StateOf(id, ReminderOutbox.Key));
    }

    [Fact]
    public async Task ReminderRefusedAfterTheStateWasSaved_CallFails_NextTurnSendsItFirst()
    {
        var id = ProbeActor.For("unconfirmed");
        Daprd.FailReminderCreates(1);

        var failed = await Assert.ThrowsAnyAsync<Exception>(() => _host.InvokeAsync(id, "remind-then-set", new ReminderRequest("nudge", TimeSpan.FromMinutes(1), null)));

        // The state is saved with the reminder call beside it; daprd has no reminder yet.
        Assert.Contains("sent again before the actor's next turn", failed.Message, StringComparison.Ordinal);
        Assert.NotNull(Daprd.StateOf(id, "value"));
        Assert.NotNull(Daprd.StateOf(id, ReminderOutbox.Key));
        Assert.False(Daprd.HasReminder(id, "nudge"));

        // The sender's retry (any next turn) sends it before it runs, then clears the outbox.
        Assert.Equal("nudge", await _host.InvokeAsync(id, "get"));
        Assert.True(Daprd.HasReminder(id, "nudge"));
        Assert.Null(Daprd.StateOf(id, ReminderOutbox.Key));
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await Daprd.FireDueRemindersAsync());
        Assert.Equal(["nudge"], _host.Probe.Reminders(id));
    }

    [Fact]
    public async Task ReminderRefusedAfterTheStateWasSaved_TheTurnsTimerIsStillSet()
    {
        var id = ProbeActor.For("timed");
        Daprd.FailReminderCreates(1);

        await Assert.ThrowsAnyAsync<Exception>(() => _host.InvokeAsync(id, "remind-and-timer", new ReminderRequest("poll", TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1))));
        await _host.AdvanceAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(["poll"], _host.Probe.Timers(id));
    }

    [Fact]
    public async Task OutboxOfADeactivatedActor_IsSentOnItsNextActivation_KeepingItsDueTime()
    {
        var id = ProbeActor.For("moved-away");
        Daprd.FailReminderCreates(1);
        await Assert.ThrowsAnyAsync<Exception>(() => _host.InvokeAsync(id, "remind-then-set", new ReminderRequest("nudge", TimeSpan.FromHours(1), null)));
        Assert.True(await Daprd.DeactivateAsync(id));

        // Two hours later the actor is called again: the reminder, due an hour ago, is registered due at once.
        _time.Advance(TimeSpan.FromHours(2));
        Assert.Equal("nudge", await _host.InvokeAsync(id, "get"));

        Assert.Equal(1, await Daprd.FireDueRemindersAsync());
        Assert.Null(Daprd.StateOf(id, ReminderOutbox.Key));
    }

    [Fact]
    public async Task OutboxRefusedAgain_TheNextTurnStillRuns_AndALaterOneSendsIt()
    {
        var id = ProbeActor.For("refused-twice");
        Daprd.FailReminderCreates(2);
        await Assert.ThrowsAnyAsync<Exception>(() => _host.InvokeAsync(id, "remind-then-set", new ReminderRequest("first", TimeSpan.FromMinutes(1), null)));

        // Still refused before the next turn: that turn runs all the same (a sidecar refusing reminders does not stop the actor).
        await _host.InvokeAsync(id, "set", "second");
        Assert.False(Daprd.HasReminder(id, "first"));
        Assert.NotNull(Daprd.StateOf(id, ReminderOutbox.Key));

        // Tries before turns pause after a refusal (5 s, doubling), so a refusing sidecar does not slow every turn.
        _time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal("second", await _host.InvokeAsync(id, "get"));
        Assert.True(Daprd.HasReminder(id, "first"));
        Assert.Null(Daprd.StateOf(id, ReminderOutbox.Key));
    }

    [Fact]
    public async Task OutboxRefusedBeforeATurn_LaterTurnsDoNotTryAgainUntilThePauseIsOver()
    {
        var id = ProbeActor.For("paused");
        Daprd.FailReminderCreates(100);
        await Assert.ThrowsAnyAsync<Exception>(() => _host.InvokeAsync(id, "remind-then-set", new ReminderRequest("nudge", TimeSpan.FromMinutes(1), null)));
        await _host.InvokeAsync(id, "set", "tried before this turn");
        var tries = ReminderPosts(id);

        for (var i = 0; i < 5; i++)
            await _host.InvokeAsync(id, "increment");
        Assert.Equal(tries, ReminderPosts(id));

        Daprd.FailReminderCreates(0);
        _time.Advance(TimeSpan.FromSeconds(6));
        await _host.InvokeAsync(id, "increment");
        Assert.Equal(tries + 1, ReminderPosts(id));
        Assert.True(Daprd.HasReminder(id, "nudge"));
    }

    private int ReminderPosts(ActorId id) =>
        Daprd.Received.Count(r => r.Method is "POST" or "PUT" && r.Path.Contains($"/{id.Id}/reminders/", StringComparison.Ordinal));

    [Fact]
    public async Task OutboxRemovalFails_TheOneShotReminderIsNotArmedAgainAfterItFired()
    {
        var id = ProbeActor.For("fired-once");
        Daprd.FailOutboxRemovals(1);
        await _host.InvokeAsync(id, "remind", new ReminderRequest("nudge", TimeSpan.FromMinutes(1), null));
        Assert.NotNull(Daprd.StateOf(id, ReminderOutbox.Key));

        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await Daprd.FireDueRemindersAsync());
        // The firing turn carried the owed removal; nothing re-registered the reminder it fired.
        Assert.Null(Daprd.StateOf(id, ReminderOutbox.Key));
        Assert.False(Daprd.HasReminder(id, "nudge"));
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(0, await Daprd.FireDueRemindersAsync());
        Assert.Equal(["nudge"], _host.Probe.Reminders(id));
    }

    [Fact]
    public async Task ReminderRefusedForGood_IsDropped_AndTheActorGoesOn()
    {
        var id = ProbeActor.For("bad-name");
        Daprd.RefuseReminderCreates(1);

        // A refusal that sending again cannot change is not an outbox failure: the call answers, nothing stays pending.
        await _host.InvokeAsync(id, "remind-then-set", new ReminderRequest("nudge", TimeSpan.FromMinutes(1), null));

        Assert.False(Daprd.HasReminder(id, "nudge"));
        Assert.Null(Daprd.StateOf(id, ReminderOutbox.Key));
        Assert.Equal("nudge", await _host.InvokeAsync(id, "get"));
    }

    [Fact]
    public async Task UnreadableOutboxInState_IsDropped_AndTheActorGoesOn()
    {
        var id = ProbeActor.For("garbled");
        await _host.InvokeAsync(id, "set", "before");
        Assert.True(await Daprd.DeactivateAsync(id));
        Daprd.PutState(id, ReminderOutbox.Key, "{\"not\":\"a list\"}");

        Assert.Equal("before", await _host.InvokeAsync(id, "get"));
        await _host.InvokeAsync(id, "set", "after");

        Assert.Null(Daprd.StateOf(id, ReminderOutbox.Key));
    }

    [Fact]
    public async Task DueTimeBeyondWhatDaprdParses_FailsTheTurnBeforeItsSave()
    {
        var id = ProbeActor.For("far-future");

        // Go's longest duration is ~292 years: daprd would refuse the call for ever after the state was saved.
        await Assert.ThrowsAnyAsync<Exception>(() => _host.InvokeAsync(id, "remind-then-set", new ReminderRequest("nudge", TimeSpan.FromDays(365 * 300), null)));

        Assert.Null(Daprd.StateOf(id, "value"));
        Assert.Null(Daprd.StateOf(id, ReminderOutbox.Key));
        await _host.InvokeAsync(id, "remind-then-set", new ReminderRequest("nudge", TimeSpan.FromDays(365 * 200), null));
        Assert.True(Daprd.HasReminder(id, "nudge"));
    }
}
