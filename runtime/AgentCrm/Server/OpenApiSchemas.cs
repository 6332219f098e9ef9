using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace AgentCrm.Server;

/// <summary>
/// Makes the document's schemas say what the answers send:
/// <list type="bullet">
/// <item>a property the serializer leaves out when it is null or default (<c>[JsonIgnore(Condition = WhenWritingNull)]</c>,
/// such as a version's <c>manifest</c> outside its own address) is not <c>required</c>: the generator listed every
/// constructor parameter, so a validator refused every list of versions;</item>
/// <item>a string property carrying <see cref="OpenApiValuesAttribute"/> gets its values as <c>enum</c>;</item>
/// <item>a request field carrying <see cref="OpenApiNotNullAttribute"/> (left out or given, never <c>null</c>) is not nullable;</item>
/// <item>a number is a number: the web defaults the generator reads would also read one from a string (<c>"50"</c>), so
/// it made every number <c>integer | string</c> with a pattern, but every answer writes numbers and <see cref="JsonBody"/>
/// refuses strings (the manifest reader still takes them: the document asks for less than it accepts there);</item>
/// <item>every member of a type marked <see cref="OpenApiAlwaysSentAttribute"/> that is never left out is <c>required</c>.</item>
/// </list>
/// </summary>
internal sealed class OpenApiSchemas : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (schema.Type is { } type && type.HasFlag(JsonSchemaType.String) && (type.HasFlag(JsonSchemaType.Integer) || type.HasFlag(JsonSchemaType.Number))
            && schema.Pattern is not null)
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }
        // Before the property branch: a marked type met first as a member (a version's briefStates) is that member's schema here.
        if (context.JsonTypeInfo.Kind == JsonTypeInfoKind.Object
            && (context.JsonTypeInfo.Type.GetCustomAttribute<OpenApiAlwaysSentAttribute>() is not null || AlwaysSentElsewhere.Contains(context.JsonTypeInfo.Type)))
        {
            schema.Required ??= new HashSet<string>();
            foreach (var sent in context.JsonTypeInfo.Properties.Where(p => !MayBeLeftOut(p, context.JsonTypeInfo.Options.DefaultIgnoreCondition)))
                schema.Required.Add(sent.Name);
        }
        // A manifest is refused without every field its JSON Schema requires, not only without the C# `required` ones (a
        // client built from this document sent `{id, version, kind}` and met 400); every answer writes them all. Before the
        // property branch too: the manifest is met first as a version's member.
        if (context.JsonTypeInfo.Type == typeof(Agents.AgentManifest))
        {
            schema.Required ??= new HashSet<string>();
            foreach (var name in Agents.ManifestSchema.RequiredFields)
                schema.Required.Add(name);
        }
        if (context.JsonPropertyInfo is { } property)
        {
            if (Attribute<OpenApiValuesAttribute>(property.AttributeProvider) is { } values)
                SetValues(schema, values.Values);
            if (Attribute<OpenApiNotNullAttribute>(property.AttributeProvider) is not null && schema.Type is { } nullable
                && nullable.HasFlag(JsonSchemaType.Null) && nullable != JsonSchemaType.Null)
                schema.Type = nullable & ~JsonSchemaType.Null;
        }
        else
        {
            if (context.JsonTypeInfo.Kind == JsonTypeInfoKind.Object && schema.Required is { Count: > 0 } required)
            {
                foreach (var omitted in context.JsonTypeInfo.Properties.Where(p => MayBeLeftOut(p, context.JsonTypeInfo.Options.DefaultIgnoreCondition)))
                    required.Remove(omitted.Name);
            }
            AddWrittenMembers(schema, context.JsonTypeInfo.Type);
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// The members an answer carries that its .NET type does not declare: every ProblemDetails' <c>traceId</c> (the framework
    /// adds it), a validation problem's <c>errorsNotListed</c> (<see cref="Problems.MaxErrors"/>), and a sandbox report's <c>id</c>
    /// (the handlers add it to the stored report).
    /// </summary>
    private static void AddWrittenMembers(OpenApiSchema schema, Type type)
    {
        if (typeof(Microsoft.AspNetCore.Mvc.ProblemDetails).IsAssignableFrom(type))
        {
            schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
            schema.Properties["traceId"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "The request's trace id: the server log's lines about this request carry it (traceId=…).",
            };
            if (typeof(Microsoft.AspNetCore.Http.HttpValidationProblemDetails).IsAssignableFrom(type))
                schema.Properties["errorsNotListed"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Integer,
                    Description = $"How many more fields were at fault than errors lists (it names at most {Problems.MaxErrors}); absent when it lists them all.",
                };
        }
        else if (type == typeof(AgentCrm.Sandbox.Reports.SandboxReport))
        {
            schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
            schema.Properties["id"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The report's id: GET /v1/reports/{id} gives it again; a job gives it as reportId." };
            schema.Required ??= new HashSet<string>();
            schema.Required.Add("id");
        }
    }

    /// <summary>The <c>enum</c> of a string schema (and <c>null</c> when the schema allows it).</summary>
    internal static void SetValues(OpenApiSchema schema, IEnumerable<string> values)
    {
        schema.Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))];
        if (schema.Type is { } type && type.HasFlag(JsonSchemaType.Null))
            schema.Enum.Add(null!);
    }

    /// <summary>
    /// Answer types of the assemblies below this one, which cannot carry <see cref="OpenApiAlwaysSentAttribute"/>: a consent
    /// grant's <c>expiresAt</c>, an ingest's <c>changed</c>, a snapshot field's <c>value</c> are always written (null included).
    /// A sandbox report and its segments too: the handlers read the stored JSON into this build's type and write that (a report
    /// stored by an earlier build without <c>warnings</c> or <c>erroredCases</c> is answered with their defaults), so its
    /// <c>scored</c>, <c>precision</c>, <c>passed</c>, <c>unmet</c>, the intervals… are in every answer.
    /// </summary>
    private static readonly HashSet<Type> AlwaysSentElsewhere =
    [
        typeof(AgentCrm.Agents.Consent.ConsentGrant), typeof(AgentCrm.Knowledge.Documents.IngestResult), typeof(AgentCrm.Agents.SnapshotField),
        typeof(AgentCrm.Sandbox.Reports.SandboxReport), typeof(AgentCrm.Sandbox.Reports.SegmentReport),
    ];

    private static bool MayBeLeftOut(JsonPropertyInfo property, JsonIgnoreCondition defaultCondition) =>
        property.ShouldSerialize is not null
        || (Attribute<JsonIgnoreAttribute>(property.AttributeProvider)?.Condition ?? defaultCondition) is JsonIgnoreCondition.WhenWritingNull or JsonIgnoreCondition.WhenWritingDefault;

    private static T? Attribute<T>(ICustomAttributeProvider? provider) where T : Attribute =>
        provider?.GetCustomAttributes(typeof(T), inherit: true).OfType<T>().FirstOrDefault();
}
