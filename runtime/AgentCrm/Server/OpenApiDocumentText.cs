using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace AgentCrm.Server;

/// <summary>
/// The document's descriptions in the words a client reads. The generator renders an XML-doc <c>&lt;see cref&gt;</c> as the
/// C# signature of what it names ("absent: double GateCriteria.DefaultMaxErrorRate", "long BriefCounts.Pending"): a
/// constant or static value becomes its value (0.05, 10 seconds), a property its JSON name (<c>`pending`</c>), an enum member
/// its camelCase name. Only references to a member of one of the server's own types that has that member are rewritten.
/// </summary>
internal static partial class OpenApiDocumentText
{
    /// <summary>Rewrites every description and summary of <paramref name="document"/>.</summary>
    public static void Render(OpenApiDocument document)
    {
        foreach (var schema in (document.Components?.Schemas ?? new Dictionary<string, IOpenApiSchema>()).Values)
            RenderSchema(schema, []);
        foreach (var path in document.Paths.Values)
        {
            foreach (var operation in (path.Operations ?? []).Values)
            {
                operation.Summary = Rendered(operation.Summary);
                operation.Description = Rendered(operation.Description);
                foreach (var parameter in (operation.Parameters ?? []).OfType<OpenApiParameter>())
                {
                    parameter.Description = Rendered(parameter.Description);
                    RenderSchema(parameter.Schema, []);
                }
                if (operation.RequestBody is OpenApiRequestBody body)
                {
                    body.Description = Rendered(body.Description);
                    foreach (var media in (body.Content ?? new Dictionary<string, OpenApiMediaType>()).Values)
                        RenderSchema(media.Schema, []);
                }
                foreach (var response in (operation.Responses ?? []).Values.OfType<OpenApiResponse>())
                {
                    response.Description = Rendered(response.Description);
                    foreach (var media in (response.Content ?? new Dictionary<string, OpenApiMediaType>()).Values)
                        RenderSchema(media.Schema, []);
                }
            }
        }
    }

    private static void RenderSchema(IOpenApiSchema? candidate, HashSet<OpenApiSchema> seen)
    {
        if (candidate is not OpenApiSchema schema || !seen.Add(schema))
            return;
        schema.Description = Rendered(schema.Description);
        foreach (var property in (schema.Properties ?? new Dictionary<string, IOpenApiSchema>()).Values)
            RenderSchema(property, seen);
        RenderSchema(schema.Items, seen);
        RenderSchema(schema.AdditionalProperties, seen);
        foreach (var part in (schema.AllOf ?? []).Concat(schema.OneOf ?? []).Concat(schema.AnyOf ?? []))
            RenderSchema(part, seen);
    }

    /// <summary><paramref name="text"/> with every C# member reference the generator wrote replaced by what a client reads.</summary>
    internal static string? Rendered(string? text) => text is null ? null : Reference().Replace(Unescaped(text), m =>
    {
        if (Member(m.Groups["owner"].Value, m.Groups["member"].Value, m.Groups["call"].Success) is not { } member)
            return m.Value;
        // A type written before the member is the member's own (the generator's signature), else it is the sentence's word.
        var type = m.Groups["type"];
        var kept = type.Success && !IsTypeOf(type.Value, member) ? type.Value + " " : "";
        return m.Groups["lead"].Value + kept + Words(member);
    });

    /// <summary>The generator escapes the angle brackets of a generic type (<c>&amp;lt;string, int&amp;gt;</c>); the document is JSON, not HTML.</summary>
    private static string Unescaped(string text) => text.Replace("&lt;", "<", StringComparison.Ordinal).Replace("&gt;", ">", StringComparison.Ordinal);

    // "double GateCriteria.DefaultMaxErrorRate", "IReadOnlyDictionary<string, int> ReadyStatus.LiveVersions", "VetoPolicy.DeliverThenVeto",
    // "AuditVerification AuditLog.Verify()", "Brief BriefStore.AsSeenBy(Brief brief, Caller caller)".
    [GeneratedRegex(@"(?<lead>^|[\s(`""'])(?:(?<type>[A-Za-z][\w.]*(?:<[^<>]*(?:<[^<>]*>[^<>]*)*>)?\??(?:\[\])?)\s)?(?<owner>[A-Z]\w*)\.(?<member>[A-Z]\w*)(?<call>\([^()]*\))?(?!\w|\.\w|\()")]
    private static partial Regex Reference();

    /// <summary>What a client reads for <paramref name="member"/>: a static value as its value, an instance member as its JSON name.</summary>
    private static string Words(MemberInfo member)
    {
        if (member.DeclaringType is { IsEnum: true })
            return $"`{JsonNamingPolicy.CamelCase.ConvertName(member.Name)}`";
        // A method is what it does, in words: AuditLog.Verify() is "verify", BriefStore.AsSeenBy(…) "as seen by".
        if (member is MethodInfo method)
            return Spaced().Replace(method.Name, " $1").ToLowerInvariant();
        var value = member switch
        {
            FieldInfo { IsStatic: true } field => (true, field.GetValue(null)),
            PropertyInfo property when property.GetMethod?.IsStatic == true => (true, property.GetValue(null)),
            _ => (false, null),
        };
        if (value.Item1)
            return Value(value.Item2);
        var name = member.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(member.Name);
        return $"`{name}`";
    }

    private static string Value(object? value) => value switch
    {
        null => "null",
        string text => $"`{text}`",
        TimeSpan span when span.TotalSeconds < 120 && span.TotalSeconds == Math.Floor(span.TotalSeconds) => $"{span.TotalSeconds.ToString(CultureInfo.InvariantCulture)} seconds",
        TimeSpan span when span.TotalMinutes < 120 && span.TotalMinutes == Math.Floor(span.TotalMinutes) => $"{span.TotalMinutes.ToString(CultureInfo.InvariantCulture)} minutes",
        TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        System.Collections.IEnumerable items => string.Join(", ", items.Cast<object?>().Select(Value)),
        _ => value.ToString() ?? "",
    };

    [GeneratedRegex("(?<=[a-z])([A-Z])")]
    private static partial Regex Spaced();

    /// <summary>Whether <paramref name="written"/> is the C# name of <paramref name="member"/>'s type (so the text is a rendered reference, not prose).</summary>
    private static bool IsTypeOf(string written, MemberInfo member)
    {
        var type = member switch
        {
            FieldInfo field => field.FieldType,
            PropertyInfo property => property.PropertyType,
            MethodInfo method => method.ReturnType,
            _ => null,
        };
        if (type is null)
            return false;
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsGenericType && type.GetGenericTypeDefinition() is var definition && (definition == typeof(Task<>) || definition == typeof(ValueTask<>)))
            type = type.GetGenericArguments()[0];
        var bare = written.TrimEnd('?').Replace("[]", "", StringComparison.Ordinal);
        var generic = bare.IndexOf('<', StringComparison.Ordinal);
        if (generic >= 0)
            bare = bare[..generic];
        bare = bare[(bare.LastIndexOf('.') + 1)..];
        var name = type.IsArray ? type.GetElementType()!.Name : type.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        if (tick >= 0)
            name = name[..tick];
        return bare == name || (Keywords.TryGetValue(bare, out var clr) && clr == name);
    }

    private static readonly Dictionary<string, string> Keywords = new(StringComparer.Ordinal)
    {
        ["string"] = nameof(String), ["int"] = nameof(Int32), ["long"] = nameof(Int64), ["double"] = nameof(Double), ["bool"] = nameof(Boolean),
        ["decimal"] = nameof(Decimal), ["float"] = nameof(Single), ["short"] = nameof(Int16), ["byte"] = nameof(Byte), ["object"] = nameof(Object),
    };

    /// <summary>The field or property (<paramref name="call"/>: method) <paramref name="member"/> of the server's own type named <paramref name="owner"/>, or null.</summary>
    private static MemberInfo? Member(string owner, string member, bool call)
    {
        const BindingFlags flags = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance;
        return OwnTypes.Value.TryGetValue(owner, out var types)
            ? types.SelectMany(t => t.GetMember(member, call ? MemberTypes.Method : MemberTypes.Field | MemberTypes.Property, flags)).FirstOrDefault()
            : null;
    }

    /// <summary>The types of the AgentCrm assemblies, by simple name.</summary>
    private static readonly Lazy<Dictionary<string, Type[]>> OwnTypes = new(() =>
        AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name?.StartsWith("AgentCrm", StringComparison.Ordinal) == true || a == typeof(OpenApiDocumentText).Assembly)
            .SelectMany(Loadable)
            .GroupBy(t => Simple(t.Name), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal));

    private static string Simple(string name) => name.IndexOf('`', StringComparison.Ordinal) is var tick and >= 0 ? name[..tick] : name;

    private static IEnumerable<Type> Loadable(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            return ex.Types.OfType<Type>();
        }
    }
}

/// <summary>
/// The document as a whole: descriptions in a client's words (<see cref="OpenApiDocumentText"/>), request bodies as strict as
/// the server reads them (<see cref="OpenApiRequestSchemas"/>), and <c>GET /metrics</c>, which is no route handler.
/// </summary>
internal sealed class OpenApiDocumentTransformer : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        OpenApiMetrics.Add(document, context.ApplicationServices);
        OpenApiRequestSchemas.Tighten(document);
        OpenApiDocumentText.Render(document);
        return Task.CompletedTask;
    }
}
