using System.Diagnostics.CodeAnalysis;

namespace AgentCrm.Actors;

/// <summary>The fixed set of actor types, registered with <c>AddActor</c> and read once at start.</summary>
public sealed class ActorTypeRegistry
{
    private readonly Dictionary<string, ActorTypeInfo> _types = new(StringComparer.Ordinal);

    public ActorTypeRegistry(IEnumerable<ActorTypeInfo> types)
    {
        foreach (var type in types)
        {
            if (!typeof(Actor).IsAssignableFrom(type.ClrType) || type.ClrType.IsAbstract)
                throw new ArgumentException($"Actor type '{type.Name}' maps to {type.ClrType}, which is not a concrete {nameof(Actor)}.", nameof(types));
            if (_types.TryGetValue(type.Name, out var existing) && existing.ClrType != type.ClrType)
                throw new ArgumentException($"Actor type '{type.Name}' is registered twice ({existing.ClrType} and {type.ClrType}).", nameof(types));
            _types[type.Name] = type;
        }
    }

    public IReadOnlyCollection<ActorTypeInfo> Types => _types.Values;

    public bool TryGet(string name, [NotNullWhen(true)] out ActorTypeInfo? type) => _types.TryGetValue(name, out type);

    public ActorTypeInfo Get(string name) => _types.TryGetValue(name, out var type) ? type : throw NotRegistered(name);

    internal static KeyNotFoundException NotRegistered(string name) =>
        new($"Actor type '{name}' is not registered; register it with AddActor<T>(\"{name}\", methods).");
}
