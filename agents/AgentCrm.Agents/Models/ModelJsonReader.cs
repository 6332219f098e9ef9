using System.Text.Json;

namespace AgentCrm.Agents.Models;

/// <summary>
/// What the strict model readers share: every problem is collected under its JSON path, then thrown once
/// as a <see cref="ManifestException"/>, so a bad model is reported in full.
/// </summary>
internal abstract class ModelJsonReader
{
    private readonly Dictionary<string, string[]> _errors = new(StringComparer.Ordinal);

    protected int ErrorCount => _errors.Count;

    protected bool HasError(string path) => _errors.ContainsKey(path);

    protected T Finish<T>(T? model)
        where T : class =>
        _errors.Count > 0 ? throw new ManifestException(_errors) : model!;

    protected void Error(string path, string message) => _errors.TryAdd(path, [message]);

    protected double Number(JsonElement o, string key, string path, double min, double max, bool required = true)
    {
        if (!o.TryGetProperty(key, out var v))
        {
            if (required)
                Error($"{path}.{key}", "is required.");
            return 0;
        }
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && d >= min && d <= max)
            return d;
        Error($"{path}.{key}", $"must be a number between {min:G} and {max:G}.");
        return 0;
    }

    protected void OnlyKeys(JsonElement o, string path, string[] allowed)
    {
        foreach (var p in o.EnumerateObject())
            if (!allowed.Contains(p.Name, StringComparer.Ordinal))
                Error($"{path}.{p.Name}", $"unknown property; allowed: {string.Join(", ", allowed)}.");
    }
}
