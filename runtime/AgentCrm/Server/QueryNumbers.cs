using System.Globalization;

namespace AgentCrm.Server;

/// <summary>
/// Integer query parameters (<c>limit</c>, <c>k</c>). They bind as strings and are parsed here: a minimal-API
/// <c>int?</c> answers <c>?limit=abc</c> with a bare 400 that names no parameter, where API.md promises
/// <c>errors</c> naming the field.
/// </summary>
internal static class QueryNumbers
{
    /// <summary>
    /// Null when absent (or empty); a whole number in [<paramref name="min"/>, <paramref name="max"/>] written in plain ASCII
    /// digits, or null with <c>errors[name]</c> set. A sign or leading zeros (<c>+5</c>, <c>05</c>, <c>0000…5</c>) are refused
    /// as <c>5.0</c> and <c> 5</c> are (qa37c): one written form per number, on every list and search.
    /// </summary>
    public static int? Read(string? value, string name, int min, int max, IDictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(value))
            return null;
        if (value.All(char.IsAsciiDigit) && (value.Length == 1 || value[0] != '0')
            && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max)
            return number;
        errors[name] = [$"{name} must be a whole number between {min} and {max}, in digits only (no sign, spaces or leading zeros)."];
        return null;
    }
}
