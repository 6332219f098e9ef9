using System.Collections;
using System.Reflection;
using System.Text.Json;

namespace AgentCrm.Server;

/// <summary>
/// The values a string property or query parameter takes, for the OpenAPI document's <c>enum</c>: the field is a string in
/// C# (a state stored as text, a filter the handler checks itself), so nothing else tells the document which strings it is.
/// Give the values from where the code keeps them: an enum (its camelCase names, as the answers write them) or a static
/// list of strings; literal values only where the code has no list.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
internal sealed class OpenApiValuesAttribute : Attribute
{
    /// <param name="values">The values, where the code keeps no list of them.</param>
    public OpenApiValuesAttribute(params string[] values) => Values = values;

    /// <param name="source">An enum (its camelCase names) or a type with a static <paramref name="member"/> holding the strings.</param>
    /// <param name="member">The static field or property of <paramref name="source"/> holding the values; none for an enum.</param>
    public OpenApiValuesAttribute(Type source, string? member = null) => Values = Read(source, member);

    public IReadOnlyList<string> Values { get; }

    private static string[] Read(Type source, string? member)
    {
        if (member is null)
            return source.IsEnum
                ? [.. Enum.GetNames(source).Select(JsonNamingPolicy.CamelCase.ConvertName)]
                : throw new ArgumentException($"{source.Name} is not an enum; name the static member that holds the values.", nameof(member));
        const BindingFlags flags = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static;
        var value = source.GetField(member, flags)?.GetValue(null) ?? source.GetProperty(member, flags)?.GetValue(null);
        return value is IEnumerable values and not string
            ? [.. values.Cast<object>().Select(v => v.ToString()!)]
            : throw new ArgumentException($"{source.Name}.{member} is not a static list of strings.", nameof(member));
    }
}
