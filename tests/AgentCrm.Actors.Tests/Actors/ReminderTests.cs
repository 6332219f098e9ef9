using AgentCrm.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Actors.Tests.Actors;

public sealed class ReminderTests : IDisposable
{
    private readonly TestDirectory _directory = new();
    private readonly ManualTimeProvider _time = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task ReminderLoop_ReminderRegisteredBeforeRestart_FiresAfterIt()
    {
        var probe = new Probe();
        var id = ProbeActor.For("renewal");
        await using (var first = await TestHost.StartAsync(_directory, _time, probe))
            await first.InvokeAsync(id, "remind", new ReminderRequest("rescore", TimeSpan.FromDays(30), null));
        Assert.Empty(probe.Reminders(id));

        await using var second = await TestHost.StartAsync(_directory, _time, probe);
        _time.Advance(TimeSpan.FromDays(31));

        await probe.WaitUntilAsync(() => probe.Reminders(id).Length == 1, "reminder rescore of probe/renewal to fire on the restarted host");
        Assert.Equal(["rescore"], probe.Reminders(id));
        Assert.Equal(2, probe.Activations(id));
    }

    [Fact]
    public async Task ReminderLoop_PeriodicReminder_FiresEveryPeriod()
    {
        await using var host = await TestHost.StartAsync(_directory, _time);
        var id = ProbeActor.For("periodic");
        await host.InvokeAsync(id, "remind", new ReminderRequest("tick", TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)));

        for (var fired = 1; fired <= 3; fired++)
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            var expected = fired;
            await host.Probe.WaitUntilAsync(() => host.Probe.Reminders(id).Length == expected, $"firing {expected} of periodic reminder tick");
        }
    }

    [Fact]
    public async Task FireDueReminders_PeriodicThenUnregistered_FiresOncePerPeriodThenStops()
    {
        await using var host = await TestHost.StartAsync(_directory, _time, start: false);
        var id = ProbeActor.For("stoppable");
        await host.InvokeAsync(id, "remind", new ReminderRequest("tick", TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)));
        Assert.Equal(0, await host.Host.FireDueRemindersAsync());

        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await host.Host.FireDueRemindersAsync());
        Assert.Equal(0, await host.Host.FireDueRemindersAsync());
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await host.Host.FireDueRemindersAsync());
        // Three missed periods fold into one firing.
        _time.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(1, await host.Host.FireDueRemindersAsync());
        Assert.Equal(0, await host.Host.FireDueRemindersAsync());

        await host.InvokeAsync(id, "unremind", "tick");
        _time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(0, await host.Host.FireDueRemindersAsync());
        Assert.Equal(["tick", "tick", "tick"], host.Probe.Reminders(id));
        Assert.Equal(0, CountReminderRows(host));
    }

    [Fact]
    public async Task FireDueReminders_OneShotOnInactiveActor_ActivatesItFiresOnceAndDeletesRow()
    {
        await using var host = await TestHost.StartAsync(_directory, _time, start: false);
        var id = ProbeActor.For("once");
        await host.InvokeAsync(id, "remind", new ReminderRequest("nudge", TimeSpan.FromHours(1), null));
        Assert.True(await host.Host.DeactivateAsync(id));

        _time.Advance(TimeSpan.FromHours(2));

        Assert.Equal(1, await host.Host.FireDueRemindersAsync());
        Assert.Equal(0, await host.Host.FireDueRemindersAsync());
        Assert.Equal(["nudge"], host.Probe.Reminders(id));
        Assert.Equal(2, host.Probe.Activations(id));
        Assert.Equal(0, CountReminderRows(host));
    }

    [Fact]
    public async Task RegisterReminder_TurnsStateSaveFails_NeitherStateNorReminderIsStored()
    {
        await using var host = await TestHost.StartAsync(_directory, _time, start: false);
        var id = ProbeActor.For("unsaved");

        // The reminder is written in the turn's own transaction: no commit between it and the state (and briefs) a crash could split.
        await Assert.ThrowsAnyAsync<Exception>(() => host.InvokeAsync(id, "remind-failing-write", new ReminderRequest("nudge", TimeSpan.FromMinutes(1), null)));
        _time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(0, CountReminderRows(host));
        Assert.Equal(0, await host.Host.FireDueRemindersAsync());
        Assert.Null(await host.InvokeAsync(id, "get"));
    }

    [Fact]
    public async Task Timer_WhileActive_FiresEveryPeriodAndStopsWhenUnregistered()
    {
        await using var host = await TestHost.StartAsync(_directory, _time, start: false);
        var id = ProbeActor.For("timed");
        await host.InvokeAsync(id, "timer", new ReminderRequest("poll", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10)));

        _time.Advance(TimeSpan.FromSeconds(10));
        await host.Probe.WaitUntilAsync(() => host.Probe.Timers(id).Length == 1, "the first tick of timer poll");
        _time.Advance(TimeSpan.FromSeconds(10));
        await host.Probe.WaitUntilAsync(() => host.Probe.Timers(id).Length == 2, "the second tick of timer poll");

        await host.InvokeAsync(id, "untimer", "poll");
        _time.Advance(TimeSpan.FromSeconds(30));
        // A tick queued by that advance would run before this call.
        await host.InvokeAsync(id, "get");

        Assert.Equal(["poll", "poll"], host.Probe.Timers(id));
    }

    [Fact]
    public async Task Timer_ActorDeactivated_IsGone()
    {
        await using var host = await TestHost.StartAsync(_directory, _time, start: false);
        var id = ProbeActor.For("timer-gone");
        await host.InvokeAsync(id, "timer", new ReminderRequest("poll", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10)));

        Assert.True(await host.Host.DeactivateAsync(id));
        _time.Advance(TimeSpan.FromSeconds(30));
        await host.InvokeAsync(id, "get");

        Assert.Empty(host.Probe.Timers(id));
    }

    [Fact]
    public async Task Register_TurnThatAlsoSavesState_OneWriteOperation()
    {
        await using var host = await TestHost.StartAsync(_directory, _time, start: false);
        var id = ProbeActor.For("one-commit");
        await host.InvokeAsync(id, "get");
        var writer = host.Services.GetRequiredService<SqliteWriter>();
        var before = writer.Operations;

        await host.InvokeAsync(id, "remind-then-set", new ReminderRequest("rescore", TimeSpan.FromDays(30), null));

        // The registration travels in the turn's state save: the turn waits for one group commit, not two (the customer
        // actor re-registers its re-score reminder on every contract event).
        Assert.Equal(1, writer.Operations - before);
        Assert.Equal(1, CountReminderRows(host));
        Assert.Equal("rescore", await host.InvokeAsync(id, "get"));
    }

    [Fact]
    public async Task FireDueReminders_AThousandThatCannotFire_DoNotKeepALaterReminderFromFiring()
    {
        await using var host = await TestHost.StartAsync(_directory, _time, start: false);
        host.Probe.FailRearms = int.MaxValue;
        var now = _time.GetUtcNow();
        // A poll reads the thousand reminders due first: here half belong to an actor type no longer registered, half fail every turn.
        using (var connection = host.Services.GetRequiredService<SqliteDatabase>().Open())
        using (var transaction = connection.BeginTransaction())
        {
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO actor_reminders (actor_type, actor_id, name, due_at, period_ms, data) VALUES ($t, $i, $n, $d, NULL, NULL)";
            insert.Parameters.AddWithValue("$t", "");
            insert.Parameters.AddWithValue("$i", "");
            insert.Parameters.AddWithValue("$n", "");
            insert.Parameters.AddWithValue("$d", now.AddHours(-2).ToUnixTimeMilliseconds());
            for (var i = 0; i < 1000; i++)
            {
                (insert.Parameters["$t"].Value, insert.Parameters["$n"].Value) = i % 2 == 0 ? ("retired-type", "old") : (ProbeActor.TypeName, "rearm");
                insert.Parameters["$i"].Value = $"stuck-{i}";
                insert.ExecuteNonQuery();
            }
            transaction.Commit();
        }
        var healthy = ProbeActor.For("healthy");
        await host.InvokeAsync(healthy, "remind", new ReminderRequest("nudge", TimeSpan.Zero, null));
        _time.Advance(TimeSpan.FromHours(1));

        Assert.Equal(0, await host.Host.FireDueRemindersAsync());
        Assert.Equal(1, await host.Host.FireDueRemindersAsync());
        Assert.Equal(["nudge"], host.Probe.Reminders(healthy));
        // The failing ones are still due and tried again; those of the unknown type a minute later.
        Assert.Equal(["rearm", "rearm"], host.Probe.Reminders(ProbeActor.For("stuck-1")));
    }

    private static long CountReminderRows(TestHost host)
    {
        using var connection = host.Services.GetRequiredService<SqliteDatabase>().Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM actor_reminders";
        return (long)command.ExecuteScalar()!;
    }
}
