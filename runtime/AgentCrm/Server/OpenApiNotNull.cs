namespace AgentCrm.Server;

/// <summary>
/// A request field that may be left out but is refused as <c>null</c> (400 naming it; <see cref="JsonBody"/>'s
/// <c>nullRefused</c>): <see cref="OpenApiSchemas"/> documents it without <c>null</c> in its type. The generator typed every
/// nullable reference-type member <c>null | …</c>, which told a client that a webhook's <c>"secret": null</c> or a rotation's
/// <c>"overlap": null</c> were accepted.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class OpenApiNotNullAttribute : Attribute;
