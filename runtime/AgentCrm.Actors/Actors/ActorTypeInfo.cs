namespace AgentCrm.Actors;

/// <summary>
/// A registered actor type: its name, how to create an instance, the argument type of each method and,
/// optionally, its result type (the Dapr host needs them to read a call's JSON body and its answer; a
/// method without a declared result type answers a <see cref="System.Text.Json.JsonElement"/> there).
/// The set of types is fixed at start: agents hot-plug inside actors, not as actor types.
/// </summary>
public sealed record ActorTypeInfo(string Name, Type ClrType, IReadOnlyDictionary<string, Type?> Methods, IReadOnlyDictionary<string, Type?>? Results = null);
