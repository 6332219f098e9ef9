using System.Collections.Concurrent;
using System.Reflection;
using AgentCrm.Agents.Text;
using Microsoft.AspNetCore.Mvc;

namespace AgentCrm.Server;

/// <summary>
/// Query parameters a <c>/v1</c> endpoint reads that its handler does not declare as parameters (it reads them from the
/// request itself); <see cref="QueryParameterCheck"/> takes these as known too.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class QueryParametersAttribute(params string[] names) : Attribute
{
    public IReadOnlyList<string> Names { get; } = names;

    /// <summary>Those of <see cref="Names"/> whose empty value means something (<c>tags=</c>: no tags).</summary>
    public string[] MayBeEmpty { get; set; } = [];
}

/// <summary>
/// Refuses a <c>/v1</c> request whose query string the endpoint would misread, with 400 naming the parameter: one the
/// endpoint does not take (<c>?stauts=vetoed</c> used to answer the whole unfiltered list), one given twice
/// (<c>customerId=a&amp;customerId=b</c> bound as <c>"a,b"</c> and matched nothing) or one given empty (<c>customerId=</c>
/// matched nothing, <c>limit=</c> meant the default; unless the endpoint says its empty value means something). The parameters an endpoint takes are its handler's simple-typed
/// parameters that are not route values, and those its <see cref="QueryParametersAttribute"/> names. Runs after
/// authorization: a caller without the right credential learns nothing about parameters.
/// </summary>
internal sealed class QueryParameterCheck(RequestDelegate next)
{
    private sealed record Parameters(HashSet<string> Known, HashSet<string> MayBeEmpty);

    // Per app (the middleware is made once per pipeline), so an app's endpoints go when it does.
    private readonly ConcurrentDictionary<Endpoint, Parameters?> _taken = new();

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Query.Count == 0 || context.GetEndpoint() is not RouteEndpoint endpoint
            || endpoint.RoutePattern.RawText?.StartsWith("/v1", StringComparison.Ordinal) != true
            || _taken.GetOrAdd(endpoint, e => Read((RouteEndpoint)e)) is not { } taken)
            return next(context);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (name, values) in context.Request.Query)
        {
            if (!taken.Known.Contains(name))
                errors[name] = [Unknown(name, taken.Known)];
            else if (values.Count > 1)
                errors[name] = [$"{name} is given {values.Count} times; give it once."];
            else if (string.IsNullOrEmpty(values[0]) && !taken.MayBeEmpty.Contains(name))
                errors[name] = [$"{name} is empty; give a value or leave {name} out."];
        }
        return errors.Count == 0 ? next(context) : Problems.Validation(errors).ExecuteAsync(context);
    }

    private static string Unknown(string name, IReadOnlySet<string> known) =>
        known.Count == 0 ? $"This endpoint takes no query parameters; '{name}' is not one."
        : EditDistance.Closest(name, known) is { } closest ? $"'{name}' is not a parameter of this endpoint; did you mean {closest}?"
        : $"'{name}' is not a parameter of this endpoint; it takes {string.Join(", ", known.Order(StringComparer.Ordinal))}.";

    /// <summary>The query parameters the endpoint takes (names ignore case, as binding does), or null when its handler is unknown.</summary>
    private static Parameters? Read(RouteEndpoint endpoint)
    {
        if (endpoint.Metadata.GetMetadata<MethodInfo>() is not { } handler)
            return null;
        var route = endpoint.RoutePattern.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var known = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var parameter in handler.GetParameters())
        {
            if (parameter.GetCustomAttribute<FromQueryAttribute>() is { Name: { } named })
                known.Add(named);
            else if (parameter.Name is { } name && !route.Contains(name) && IsSimple(parameter.ParameterType)
                     && !parameter.IsDefined(typeof(FromRouteAttribute)) && !parameter.IsDefined(typeof(FromHeaderAttribute))
                     && !parameter.IsDefined(typeof(FromBodyAttribute)) && !parameter.IsDefined(typeof(FromServicesAttribute)))
                known.Add(name);
        }
        var mayBeEmpty = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var extra in endpoint.Metadata.GetOrderedMetadata<QueryParametersAttribute>())
        {
            known.UnionWith(extra.Names);
            mayBeEmpty.UnionWith(extra.MayBeEmpty);
        }
        return new Parameters(known, mayBeEmpty);
    }

    private static bool IsSimple(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? (type.IsArray ? type.GetElementType()! : type);
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(DateTime)
               || type == typeof(DateTimeOffset) || type == typeof(Guid) || type == typeof(TimeSpan);
    }
}
