namespace AgentCrm.Server;

/// <summary>
/// An answer type that always sends every member it does not leave out by a <c>JsonIgnore</c> condition (nulls as
/// <c>null</c>): <see cref="OpenApiSchemas"/> lists them all as <c>required</c>. The generator only lists the constructor's
/// parameters and <c>required</c> members, so a type with defaulted <c>init</c> members (a brief's <c>status</c>, <c>score</c>…)
/// looked optional. A marker, not the <c>required</c> modifier: stored JSON from older builds that lacks a member still loads.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class OpenApiAlwaysSentAttribute : Attribute;
