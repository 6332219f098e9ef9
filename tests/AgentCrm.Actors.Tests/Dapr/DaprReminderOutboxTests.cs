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
        Assert.Null(Daprd.StateOf(id, DaprActorScheduler.OutboxKey));
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
        Assert.NotNull(Daprd.StateOf(id, DaprActorScheduler.OutboxKey));
        Assert.False(Daprd.HasReminder(id, "nudge"));

        // The sender's retry (any next turn) sends it before it runs, then clears the outbox.
        Assert.Equal("nudge", await _host.InvokeAsync(id, "get"));
        Assert.True(Daprd.HasReminder(id, "nudge"));
        Assert.Null(Daprd.StateOf(id, DaprActorScheduler.OutboxKey));
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
        Assert.Null(Daprd.StateOf(id, DaprActorScheduler.OutboxKey));
    }

    [Fact]
    public async Task OutboxCannotBeSent_NoTurnRunsAheadOfIt()
    {
        var id = ProbeActor.For("blocked");
        Daprd.FailReminderCreates(2);
        await Assert.ThrowsAnyAsync<Exception>(() => _host.InvokeAsync(id, "remind-then-set", new ReminderRequest("first", TimeSpan.FromMinutes(1), null)));

        // Still refused: the next call fails before its turn runs (its state change is not made).
        await Assert.ThrowsAnyAsync<Exception>(() => _host.InvokeAsync(id, "set", "second"));

        Assert.Equal("first", await _host.InvokeAsync(id, "get"));
        Assert.True(Daprd.HasReminder(id, "first"));
    }
}
