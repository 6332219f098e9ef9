using System.Globalization;

namespace AgentCrm.Server;

/// <summary>
/// Integer query parameters (<c>limit</c>, <c>k</c>). They bind as strings and are parsed here: a minimal-API
/// <c>int?</c> answers <c>?limit=abc</c> with a bare 400 that names no parameter, where API.md promises
/// <c>errors</c> naming the field.
/// </summary>
internal static class QueryNumbers
{
    /// <summary>Null when absent (or empty); a whole number in [<paramref name="min"/>, <paramref name="max"/>], or null with <c>errors[name]</c> set.</summary>
    public static int? Read(string? value, string name, int min, int max, IDictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(value))
            return null;
        if (int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max)
            return number;
        errors[name] = [$"{name} must be a whole number between {min} and {max}."];
        return null;
    }
}
