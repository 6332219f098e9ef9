using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentCrm.Actors.Tests.Actors;

public sealed class ActorStateManagerTests
{
    private static readonly ActorId Id = new("probe", "state");

    [Fact]
    public async Task GetAsync_ValueCached_LoadsOnce()
    {
        var store = new MemoryStore();
        store.Values["plan"] = "\"gold\""u8.ToArray();
        var state = new ActorStateManager(Id, store);

        Assert.Equal("gold", await state.GetAsync<string>("plan"));
        Assert.Equal("gold", await state.GetAsync<string>("plan"));

        Assert.Equal(1, store.Loads);
    }

    [Fact]
    public void SetOrRemove_AKeyOfTheHost_Throws_AndChangesNothing()
    {
        var state = new ActorStateManager(Id, new MemoryStore());

        Assert.Throws<ArgumentException>(() => state.Set("agentcrm.reminder-outbox", "[]"));
        Assert.Throws<ArgumentException>(() => state.Remove("agentcrm.anything"));

        Assert.True(state.TakeChanges().IsEmpty);
        state.Set("agentcrm", "an actor's own key");
        Assert.False(state.TakeChanges().IsEmpty);
    }

    [Fact]
    public async Task TakeChanges_SetAndRemove_SerializesWebJsonAndClears()
    {
        var state = new ActorStateManager(Id, new MemoryStore());
        state.Set("score", new Score(0.75, "renewal"));
        state.Remove("old");

        var changes = state.TakeChanges().State;

        Assert.Equal("""{"value":0.75,"reason":"renewal"}""", System.Text.Encoding.UTF8.GetString(changes.Single(c => c.Key == "score").Value!.Value.Span));
        Assert.Null(changes.Single(c => c.Key == "old").Value);
        Assert.True(state.TakeChanges().IsEmpty);
        Assert.Equal(new Score(0.75, "renewal"), await state.GetAsync<Score>("score"));
    }

    [Fact]
    public async Task DiscardChanges_AfterSetOverCachedValue_ReloadsStoredValue()
    {
        var store = new MemoryStore();
        store.Values["plan"] = "\"gold\""u8.ToArray();
        var state = new ActorStateManager(Id, store);
        Assert.Equal("gold", await state.GetAsync<string>("plan"));
        state.Set("plan", "platinum");

        state.DiscardChanges();

        Assert.Equal("gold", await state.GetAsync<string>("plan"));
        Assert.Equal(2, store.Loads);
        Assert.True(state.TakeChanges().IsEmpty);
    }

    [Fact]
    public void Enlist_WritesTravelWithTheTurnsChanges_AndAFailedTurnDropsThem()
    {
        var state = new ActorStateManager(Id, new MemoryStore());
        Action<AgentCrm.Storage.WriteContext> first = _ => { }, second = _ => { };
        state.Enlist(first);
        state.Set("score", new Score(0.5, "renewal"));
        state.Enlist(second);

        var taken = state.TakeChanges();
        Assert.Equal([first, second], taken.Writes);
        Assert.Single(taken.State);
        Assert.True(state.TakeChanges().IsEmpty);

        state.Enlist(first);
        Assert.True(state.HasChanges);
        state.DiscardChanges();
        Assert.True(state.TakeChanges().IsEmpty);
    }

    [Fact]
    public void OnSaved_IsNoChangeToSave_RunsOnceWhenSaved_AndAFailedTurnOrSaveDropsIt()
    {
        var state = new ActorStateManager(Id, new MemoryStore());
        var runs = new List<string>();
        state.OnSaved(() => runs.Add("first"));
        state.OnSaved(() => throw new InvalidOperationException("An action failed on purpose."));
        state.OnSaved(() => runs.Add("after the failing one"));

        Assert.False(state.HasChanges);
        Assert.True(state.TakeChanges().IsEmpty);
        state.Saved(NullLogger.Instance);
        state.Saved(NullLogger.Instance);
        Assert.Equal(["first", "after the failing one"], runs);

        state.OnSaved(() => runs.Add("failed turn"));
        state.DiscardChanges();
        state.OnSaved(() => runs.Add("failed save"));
        state.Set("score", new Score(0.5, "renewal"));
        state.Forget(state.TakeChanges());
        state.Saved(NullLogger.Instance);
        Assert.Equal(["first", "after the failing one"], runs);
    }

    [Fact]
    public async Task DiscardChanges_AfterInPlaceChangeWithoutSet_ReloadsStoredValue()
    {
        // A turn changes the object it read, then fails before Set: the redelivery must see the saved state.
        var store = new MemoryStore();
        store.Values["timeline"] = """{"applied":["e1"]}"""u8.ToArray();
        var state = new ActorStateManager(Id, store);
        var timeline = await state.GetAsync<Timeline>("timeline");
        timeline!.Applied.Add("e2");

        state.DiscardChanges();

        Assert.Equal(["e1"], (await state.GetAsync<Timeline>("timeline"))!.Applied);
    }

    [Fact]
    public async Task SetAndGetAsync_WithTypeInfo_WriteAndReadWithIt()
    {
        // Metadata that names properties otherwise than the Web defaults, so the test sees which one was used.
        var snake = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        var typeInfo = (JsonTypeInfo<Risk>)snake.GetTypeInfo(typeof(Risk));
        var store = new MemoryStore();
        store.Values["saved"] = """{"risk_score":0.25}"""u8.ToArray();
        var state = new ActorStateManager(Id, store);

        Assert.Equal(0.25, (await state.GetAsync("saved", typeInfo))!.RiskScore);
        state.Set("risk", new Risk(0.75), typeInfo);
        state.Set("plain", new Risk(0.5));

        var changes = state.TakeChanges().State;
        Assert.Equal("""{"risk_score":0.75}""", System.Text.Encoding.UTF8.GetString(changes.Single(c => c.Key == "risk").Value!.Value.Span));
        Assert.Equal("""{"riskScore":0.5}""", System.Text.Encoding.UTF8.GetString(changes.Single(c => c.Key == "plain").Value!.Value.Span));
        Assert.Equal(new Risk(0.75), await state.GetAsync("risk", typeInfo));
    }

    private sealed record Risk(double RiskScore);

    private sealed class Timeline
    {
        public List<string> Applied { get; set; } = [];
    }

    private sealed record Score(double Value, string Reason);

    private sealed class MemoryStore : IActorStateStore
    {
        public Dictionary<string, byte[]> Values { get; } = [];

        public int Loads { get; private set; }

        public Task<byte[]?> LoadAsync(ActorId id, string key, CancellationToken cancellationToken)
        {
            Loads++;
            return Task.FromResult(Values.GetValueOrDefault(key));
        }

        public Task SaveAsync(ActorId id, TurnChanges changes, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
