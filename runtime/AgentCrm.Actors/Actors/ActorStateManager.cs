using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentCrm.Storage;
using Microsoft.Extensions.Logging;

namespace AgentCrm.Actors;

/// <summary>
/// The state of one activation. Values are cached as objects after the first read; a turn's sets and
/// removes go straight into the cache and are remembered as dirty until the host takes them (turn
/// succeeded) or discards them (turn failed, which also forgets every cached value). Writes the turn enlisted
/// travel with its changes; actions it queued for after the save stay here until the host reports the save (<see cref="Saved"/>)
/// or drops them with the turn.
/// </summary>
internal sealed class ActorStateManager(ActorId id, IActorStateStore store) : IActorStateManager
{
    /// <summary>
    /// How the runtime writes actor state, arguments and results: the Web defaults, non-ASCII text as UTF-8 rather than
    /// <c>\uXXXX</c> (a Cyrillic contract took 6 bytes a letter, three times its UTF-8, and its saves passed daprd's body
    /// limit). The JSON is never embedded in HTML; control characters, quotes and backslashes are still escaped, and state
    /// written escaped by earlier builds reads the same.
    /// </summary>
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Dictionary<string, Entry> _cache = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private List<Action<WriteContext>>? _writes;
    // Kept across turns (cleared, not dropped): a turn that queues one action each time allocates nothing for it.
    private List<Action>? _onSaved;
    // The pooled arrays holding the JSON of the changes last taken, until their save has completed (see ReturnBuffers).
    private List<byte[]>? _rented;
    // The longest JSON this activation wrote: the next one starts in an array that fits it.
    private int _longestJson;

    public bool HasChanges => _dirty.Count > 0 || _writes is not null;

    public ValueTask<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default) => GetCoreAsync<T>(key, null, cancellationToken);

    public ValueTask<T?> GetAsync<T>(string key, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return GetCoreAsync(key, typeInfo, cancellationToken);
    }

    private async ValueTask<T?> GetCoreAsync<T>(string key, JsonTypeInfo<T>? typeInfo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_cache.TryGetValue(key, out var entry))
            return entry switch
            {
                { Exists: false } or { Value: null } => default,
                { Value: T value } => value,
                // Read back under another type than it was written with: convert through JSON.
                _ => JsonSerializer.Deserialize<T>(JsonSerializer.SerializeToUtf8Bytes(entry.Value, entry.Type, Json), Json),
            };
        var bytes = await store.LoadAsync(id, key, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            _cache[key] = Entry.Absent;
            return default;
        }
        var loaded = typeInfo is null ? JsonSerializer.Deserialize<T>(bytes, Json) : JsonSerializer.Deserialize(bytes, typeInfo);
        _cache[key] = new Entry(loaded, typeof(T), Exists: true, typeInfo);
        return loaded;
    }

    public void Set<T>(string key, T value) => SetCore(key, value, null);

    public void Set<T>(string key, T value, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        SetCore(key, value, typeInfo);
    }

    private void SetCore<T>(string key, T value, JsonTypeInfo? typeInfo)
    {
        ThrowIfReserved(key);
        _cache[key] = new Entry(value, typeof(T), Exists: true, typeInfo);
        _dirty.Add(key);
    }

    public void Remove(string key)
    {
        ThrowIfReserved(key);
        _cache[key] = Entry.Absent;
        _dirty.Add(key);
    }

    /// <summary>Keys the hosts keep beside an actor's own (the Dapr host's reminder outbox) start with this.</summary>
    public const string ReservedPrefix = "agentcrm.";

    private static void ThrowIfReserved(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.StartsWith(ReservedPrefix, StringComparison.Ordinal))
            throw new ArgumentException($"State keys starting with '{ReservedPrefix}' are the host's.", nameof(key));
    }

    public void Enlist(Action<WriteContext> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        (_writes ??= []).Add(write);
    }

    public void OnSaved(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        (_onSaved ??= []).Add(action);
    }

    /// <summary>
    /// The turn's state is saved: runs the actions it queued (<see cref="OnSaved"/>), in order, and forgets them. One that
    /// throws is logged and the others still run.
    /// </summary>
    public void Saved(ILogger logger)
    {
        ReturnBuffers();
        if (_onSaved is not { Count: > 0 } actions)
            return;
        try
        {
            for (var i = 0; i < actions.Count; i++)
            {
                try
                {
                    actions[i]();
                }
                catch (Exception ex)
                {
                    ActorLog.SavedActionFailed(logger, ex, id);
                }
            }
        }
        finally
        {
            actions.Clear();
        }
    }

    /// <summary>
    /// Serializes the turn's changes and takes its enlisted writes; throws (leaving both intact) if a value cannot be serialized.
    /// The JSON is in pooled arrays, taken back when the host reports the save's outcome (<see cref="Saved"/>,
    /// <see cref="Forget"/>, <see cref="DiscardChanges"/>) or at the next take: until then the bytes stay as written.
    /// </summary>
    public TurnChanges TakeChanges()
    {
        ReturnBuffers();
        if (_dirty.Count == 0 && _writes is null)
            return TurnChanges.None;
        var changes = new List<StateChange>(_dirty.Count);
        try
        {
            foreach (var key in _dirty)
            {
                var entry = _cache[key];
                if (!entry.Exists)
                {
                    changes.Add(new StateChange(key, null));
                    continue;
                }
                var (rented, json) = PooledJson.Serialize(entry.Value, entry.Type, entry.TypeInfo, Json, _longestJson);
                (_rented ??= []).Add(rented);
                _longestJson = Math.Max(_longestJson, json.Length);
                changes.Add(new StateChange(key, json));
            }
        }
        catch
        {
            ReturnBuffers();
            throw;
        }
        var taken = new TurnChanges(changes, (IReadOnlyList<Action<WriteContext>>?)_writes ?? []);
        _dirty.Clear();
        _writes = null;
        return taken;
    }

    /// <summary>
    /// Drops the failed turn's changes and every cached value: values are handed out by reference, so a turn may
    /// have changed one in place before it failed (without a <see cref="Set{T}(string, T)"/>). The next read reloads from the store,
    /// so a redelivered message meets the state as it was saved, not as the failed turn left it.
    /// </summary>
    public void DiscardChanges()
    {
        ReturnBuffers();
        _cache.Clear();
        _dirty.Clear();
        _writes = null;
        _onSaved?.Clear();
    }

    /// <summary>Forgets cached values whose save failed, so the cache never runs ahead of the store, and the turn's after-save actions.</summary>
    public void Forget(TurnChanges changes)
    {
        ReturnBuffers();
        foreach (var change in changes.State)
            _cache.Remove(change.Key);
        _onSaved?.Clear();
    }

    /// <summary>
    /// Gives the arrays of the changes last taken back to the pool. Only once nothing reads them: the hosts report a save's
    /// outcome after its task completed, and a store is done with the bytes by then (<see cref="IActorStateStore.SaveAsync"/>).
    /// </summary>
    private void ReturnBuffers()
    {
        if (_rented is not { Count: > 0 } rented)
            return;
        foreach (var array in rented)
            PooledJson.Return(array);
        rented.Clear();
    }

    /// <summary><see cref="TypeInfo"/>: what the value is written with (null: reflection and <see cref="Json"/>).</summary>
    private readonly record struct Entry(object? Value, Type Type, bool Exists, JsonTypeInfo? TypeInfo = null)
    {
        public static Entry Absent => new(null, typeof(object), Exists: false);
    }
}
