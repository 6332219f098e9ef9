using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentCrm.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AgentCrm.Actors.Tests.Actors;

/// <summary>
/// A turn's state JSON is written into pooled arrays (not an exact-size <c>byte[]</c> per save) and bound from that memory:
/// the bytes must be the ones <see cref="JsonSerializer.SerializeToUtf8Bytes(object?, Type, JsonSerializerOptions?)"/> writes,
/// stay as written until the host reports the save, and be stored as the <c>byte[]</c> would have been.
/// </summary>
public sealed class PooledStateJsonTests : IDisposable
{
    private static readonly ActorId Id = new("probe", "pooled");
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static Doc Big(int items, string tag) => new(
        $"Zoë <{tag}> & \"quotes\" + 東京 🚀",
        [.. Enumerable.Range(0, items).Select(i => new Item(i, $"{tag}-{i}", i * 0.1, i % 3 == 0 ? null : new DateTimeOffset(2026, 12, 6, 7, 0, 0, TimeSpan.FromHours(i % 5))))]);

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(400)] // ~30 KB: past the first rented array, so the buffer grows while writing
    [InlineData(3_000)] // ~230 KB
    [InlineData(20_000)] // ~1.5 MB: larger than the pool keeps, so its arrays are plain ones, dropped when given back
    public void TakeChanges_WritesTheBytesSerializeToUtf8BytesWrites(int items)
    {
        var custom = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = true,
            IndentCharacter = '\t',
            IndentSize = 1,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        };
        var typeInfo = (JsonTypeInfo<Doc>)custom.GetTypeInfo(typeof(Doc));
        var state = new ActorStateManager(Id, new NoStore());
        var doc = Big(items, "a");
        state.Set("web", doc);
        state.Set("custom", doc, typeInfo);
        state.Set("text", "plain <b> é");

        var changes = state.TakeChanges().State.ToDictionary(c => c.Key, c => c.Value!.Value.ToArray());

        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(doc, ActorStateManager.Json), changes["web"]);
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(doc, typeInfo), changes["custom"]);
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes("plain <b> é", ActorStateManager.Json), changes["text"]);
        Assert.Contains("\n\t\"name\"", System.Text.Encoding.UTF8.GetString(changes["custom"]), StringComparison.Ordinal);
        // Given back to the pool (or, past its largest size, dropped) without complaint.
        state.Saved(NullLogger.Instance);
    }

    [Fact]
    public void TakeChanges_TypeInfoWithoutAnEncoder_WritesTextAsUtf8_AndStateWrittenEscapedReadsTheSame()
    {
        // A source-generated context (the customer's state) has no encoder of its own, which would cost it its fast path: it is
        // written with the state's. A Cyrillic letter took 6 bytes as \uXXXX, and five contracts passed daprd's 4 MiB body limit.
        var generated = new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        var typeInfo = (JsonTypeInfo<Doc>)generated.GetTypeInfo(typeof(Doc));
        var name = "Договор «Ромашка» 契約 😀 \u0001\u0085\n\"q\"\\ </script> & + ' \u2028";
        var doc = new Doc(name, [new Item(1, "Ж", 0.5, null)]);
        var state = new ActorStateManager(Id, new NoStore());
        state.Set("doc", doc, typeInfo);

        var json = state.TakeChanges().State.Single().Value!.Value.ToArray();

        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(doc, ActorStateManager.Json), json);
        var text = System.Text.Encoding.UTF8.GetString(json);
        Assert.Contains("Договор «Ромашка» 契約 \\uD83D\\uDE00 \\u0001\\u0085\\n\\\"q\\\"\\\\ </script> & + ' \\u2028", text, StringComparison.Ordinal);
        // Read back the same, as is what earlier builds wrote (every non-ASCII character escaped).
        var escaped = JsonSerializer.SerializeToUtf8Bytes(doc, typeInfo);
        Assert.Contains("\\u0414", System.Text.Encoding.UTF8.GetString(escaped), StringComparison.Ordinal);
        Assert.Equal(name, JsonSerializer.Deserialize(json, typeInfo)!.Name);
        Assert.Equal(name, JsonSerializer.Deserialize(escaped, typeInfo)!.Name);
        Assert.Equal("Ж", JsonSerializer.Deserialize(json, typeInfo)!.Items.Single().Label);
    }

    [Fact]
    public void TakeChanges_DoesNotAllocateTheJsonsSize()
    {
        // A turn used to make a byte[] the size of each value's JSON (the customer's state: 8-20 KB per save, the largest single
        // allocation of the event path); written into a pooled array, what a save allocates no longer grows with the state.
        var state = new ActorStateManager(Id, new NoStore());
        var doc = Big(800, "b");
        var size = JsonSerializer.SerializeToUtf8Bytes(doc, ActorStateManager.Json).Length;
        Assert.True(size > 50_000, $"{size} bytes");
        for (var i = 0; i < 3; i++)
        {
            state.Set("doc", doc);
            state.TakeChanges();
            state.Saved(NullLogger.Instance);
        }

        state.Set("doc", doc);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var changes = state.TakeChanges();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        state.Saved(NullLogger.Instance);

        Assert.Equal(size, changes.State.Single().Value!.Value.Length);
        Assert.True(allocated < size / 10, $"{allocated} bytes allocated for {size} bytes of JSON");
    }

    [Fact]
    public void HundredsOfSavesOutAtOnce_TakeTheirArraysBackFromThePool()
    {
        // A group commit holds hundreds of turns' JSON until it is durable; once they are back, the next round of turns
        // reuses those arrays instead of renting new ones (ArrayPool<byte>.Shared kept a few dozen per size).
        var states = Enumerable.Range(0, 400).Select(i => new ActorStateManager(new ActorId("probe", $"c{i}"), new NoStore())).ToArray();
        var doc = Big(150, "e"); // ~11 KB: a customer's state
        var size = JsonSerializer.SerializeToUtf8Bytes(doc, ActorStateManager.Json).Length;
        var taken = new TurnChanges[states.Length];
        for (var round = 0; round < 2; round++)
        {
            foreach (var state in states)
                state.Set("doc", doc);
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < states.Length; i++)
                taken[i] = states[i].TakeChanges();
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            foreach (var state in states)
                state.Saved(NullLogger.Instance);
            if (round == 1)
                Assert.True(allocated < states.Length * size / 10, $"{allocated} bytes allocated for {states.Length} saves of {size} bytes");
        }
    }

    [Fact]
    public void TheBytes_StayAsWritten_UntilTheSaveIsReported()
    {
        // Another activation's turns on the same thread rent, write and return arrays while this save is still on its way.
        var waiting = new ActorStateManager(Id, new NoStore());
        waiting.Set("doc", Big(200, "waiting"));
        var taken = waiting.TakeChanges().State.Single().Value!.Value;
        var expected = taken.ToArray();

        var other = new ActorStateManager(new ActorId("probe", "other"), new NoStore());
        for (var i = 0; i < 20; i++)
        {
            other.Set("doc", Big(200 + i, $"other{i}"));
            other.TakeChanges();
            if (i % 2 == 0)
                other.Saved(NullLogger.Instance);
            else
                other.DiscardChanges();
        }

        Assert.Equal(expected, taken.ToArray());
        waiting.Saved(NullLogger.Instance);
    }

    [Fact]
    public void AValueThatCannotBeSerialized_Throws_AndTheNextTakeWritesWholeJson()
    {
        var state = new ActorStateManager(Id, new NoStore());
        state.Set("doc", Big(300, "c"));
        state.Set("bad", new Throwing());

        Assert.Throws<InvalidOperationException>(() => state.TakeChanges());
        Assert.True(state.HasChanges);

        // The thread's writer stopped inside a value: the next value written on it starts clean.
        state.Remove("bad");
        var doc = Big(5, "d");
        state.Set("doc", doc);
        var changes = state.TakeChanges().State;
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(doc, ActorStateManager.Json), changes.Single(c => c.Key == "doc").Value!.Value.ToArray());
        Assert.Null(changes.Single(c => c.Key == "bad").Value);
    }

    [Fact]
    public async Task AMemorySlice_IsStoredAsTheByteArrayOfItsContents_ThroughTheStatementAndTheCommand()
    {
        var options = Options.Create(new StorageOptions { DataDirectory = _directory.Path, Synchronous = SyncMode.Normal });
        var database = new SqliteDatabase(options);
        var backing = "--{\"a\":1}--"u8.ToArray();
        var slice = new ReadOnlyMemory<byte>(backing, 2, backing.Length - 4);
        await using (var writer = new SqliteWriter(database, options, NullLogger<SqliteWriter>.Instance))
        {
            await writer.WriteAsync(ctx => ctx.Execute("CREATE TABLE v (k TEXT NOT NULL, x ANY, at ANY) STRICT"));
            await writer.WriteAsync(ctx =>
            {
                const string Sql = "INSERT INTO v (k, x, at) VALUES ($k, $x, $at)";
                ctx.Execute(Sql, ("$k", "array"), ("$x", slice.ToArray()), ("$at", null));
                ctx.Execute(Sql, ("$k", "memory"), ("$x", slice), ("$at", null));
                // A DateTime is not bound by the statement: the command binds every argument, the memory too.
                ctx.Execute(Sql, ("$k", "memory, command"), ("$x", slice), ("$at", new DateTime(2026, 12, 6, 0, 0, 0, DateTimeKind.Utc)));
                ctx.Execute(Sql, ("$k", "empty array"), ("$x", Array.Empty<byte>()), ("$at", null));
                ctx.Execute(Sql, ("$k", "empty memory"), ("$x", ReadOnlyMemory<byte>.Empty), ("$at", null));
            });
        }

        using var connection = database.Open();
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT k, typeof(x), quote(x) FROM v";
        using var rows = read.ExecuteReader();
        var stored = new Dictionary<string, string>();
        while (rows.Read())
            stored[rows.GetString(0)] = $"{rows.GetString(1)} {rows.GetString(2)}";
        Assert.Equal("blob X'7B2261223A317D'", stored["array"]);
        Assert.Equal(stored["array"], stored["memory"]);
        Assert.Equal(stored["array"], stored["memory, command"]);
        Assert.Equal(stored["empty array"], stored["empty memory"]);
    }

    private sealed record Doc(string Name, List<Item> Items);

    private sealed record Item(int N, string Label, double Score, DateTimeOffset? At);

    private sealed class Throwing
    {
        public string First => "written before the failure";

        public string Second => throw new InvalidOperationException("This value cannot be serialized.");
    }

    private sealed class NoStore : IActorStateStore
    {
        public Task<byte[]?> LoadAsync(ActorId id, string key, CancellationToken cancellationToken) => Task.FromResult<byte[]?>(null);

        public Task SaveAsync(ActorId id, TurnChanges changes, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
