using System.Text.Json.Serialization.Metadata;
using AgentCrm.Actors;
using AgentCrm.Customers;
using AgentCrm.Storage;

namespace AgentCrm.Runtime.Tests.Observability;

/// <summary>A customer turn's counts, held until its save: what a backfill turn leaves behind in the activation.</summary>
public sealed class TurnMetricsTests
{
    /// <summary>A turn of thousands of events kept its lists' room for the activation's life (~100–200 KB each over a backfill; rev27).</summary>
    [Fact]
    public void Apply_AfterABackfillTurn_CountsEveryEventOnce_AndGivesTheRoomBack()
    {
        var metrics = new RuntimeMetrics();
        var turns = new TurnMetrics(metrics);
        var state = new SavedActions();

        turns.Begin(state);
        for (var i = 0; i < 4_096; i++)
        {
            turns.EventApplied(TimeSpan.FromMilliseconds(1), assessed: true);
            turns.Assessed("renewal-risk", "1.0.0", TimeSpan.FromMilliseconds(0.1), fired: false);
        }
        state.Save();

        Assert.Equal(4_096, metrics.EventsApplied);
        Assert.True(turns.Capacity <= 2 * TurnMetrics.KeptCapacity, $"the lists kept room for {turns.Capacity} entries");

        // A turn that is not saved counts nothing, and the next one counts only its own.
        turns.Begin(state);
        turns.EventApplied(TimeSpan.FromMilliseconds(1), assessed: true);
        state.Discard();
        turns.Begin(state);
        turns.EventApplied(TimeSpan.FromMilliseconds(1), assessed: true);
        state.Save();
        Assert.Equal(4_097, metrics.EventsApplied);
    }

    /// <summary>The host's side of <see cref="IActorStateManager.OnSaved"/> and nothing else: actions run at a save, dropped at a discard.</summary>
    private sealed class SavedActions : IActorStateManager
    {
        private readonly List<Action> _actions = [];

        public void OnSaved(Action action) => _actions.Add(action);

        public void Save()
        {
            foreach (var action in _actions)
                action();
            _actions.Clear();
        }

        public void Discard() => _actions.Clear();

        public ValueTask<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<T?> GetAsync<T>(string key, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public void Set<T>(string key, T value) => throw new NotSupportedException();

        public void Set<T>(string key, T value, JsonTypeInfo<T> typeInfo) => throw new NotSupportedException();

        public void Remove(string key) => throw new NotSupportedException();

        public void Enlist(Action<WriteContext> write) => throw new NotSupportedException();
    }
}
