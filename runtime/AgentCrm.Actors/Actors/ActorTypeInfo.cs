namespace AgentCrm.Actors;

/// <summary>
/// A registered actor type: its name, how to create an instance, and the argument type of each method
/// (the Dapr host needs it to deserialize a call's JSON body). The set of types is fixed at start:
/// agents hot-plug inside actors, not as actor types.
/// </summary>
public sealed record ActorTypeInfo(string Name, Type ClrType, IReadOnlyDictionary<string, Type?> Methods);
