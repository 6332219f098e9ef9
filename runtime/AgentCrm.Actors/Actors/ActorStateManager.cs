using System.Text.Json;
using AgentCrm.Storage;

namespace AgentCrm.Actors;

/// <summary>
/// The state of one activation. Values are cached as objects after the first read; a turn's sets and
/// removes go straight into the cache and are remembered as dirty until the host takes them (turn
/// succeeded) or discards them (turn failed, which also forgets every cached value). Writes the turn enlisted
/// travel with its changes.
/// </summary>
internal sealed class ActorStateManager(ActorId id, IActorStateStore store) : IActorStateManager
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Dictionary<string, Entry> _cache = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private List<Action<WriteContext>>? _writes;

    public bool HasChanges => _dirty.Count > 0 || _writes is not null;

    public async ValueTask<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default)
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
        var loaded = JsonSerializer.Deserialize<T>(bytes, Json);
        _cache[key] = new Entry(loaded, typeof(T), Exists: true);
        return loaded;
    }

    public void Set<T>(string key, T value)
    {
        ArgumentNullException.ThrowIfNull(key);
        _cache[key] = new Entry(value, typeof(T), Exists: true);
        _dirty.Add(key);
    }

    public void Remove(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        _cache[key] = Entry.Absent;
        _dirty.Add(key);
    }

    public void Enlist(Action<WriteContext> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        (_writes ??= []).Add(write);
    }

    /// <summary>Serializes the turn's changes and takes its enlisted writes; throws (leaving both intact) if a value cannot be serialized.</summary>
    public TurnChanges TakeChanges()
    {
        if (_dirty.Count == 0 && _writes is null)
            return TurnChanges.None;
        var changes = new List<StateChange>(_dirty.Count);
        foreach (var key in _dirty)
        {
            var entry = _cache[key];
            changes.Add(new StateChange(key, entry.Exists ? JsonSerializer.SerializeToUtf8Bytes(entry.Value, entry.Type, Json) : null));
        }
        var taken = new TurnChanges(changes, (IReadOnlyList<Action<WriteContext>>?)_writes ?? []);
        _dirty.Clear();
        _writes = null;
        return taken;
    }

    /// <summary>
    /// Drops the failed turn's changes and every cached value: values are handed out by reference, so a turn may
    /// have changed one in place before it failed (without a <see cref="Set{T}"/>). The next read reloads from the store,
    /// so a redelivered message meets the state as it was saved, not as the failed turn left it.
    /// </summary>
    public void DiscardChanges()
    {
        _cache.Clear();
        _dirty.Clear();
        _writes = null;
    }

    /// <summary>Forgets cached values whose save failed, so the cache never runs ahead of the store.</summary>
    public void Forget(TurnChanges changes)
    {
        foreach (var change in changes.State)
            _cache.Remove(change.Key);
    }

    private readonly record struct Entry(object? Value, Type Type, bool Exists)
    {
        public static Entry Absent => new(null, typeof(object), Exists: false);
    }
}
