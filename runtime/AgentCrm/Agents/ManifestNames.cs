using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace AgentCrm.Agents;

/// <summary>
/// The shapes of a manifest's names, written once for registration and for the published schema (ECMAScript and .NET read
/// these patterns alike; .NET's <c>$</c> would also match before a final newline, so registration anchors with <c>\z</c>).
/// </summary>
public static class ManifestNames
{
    public const string IdPattern = "^[a-z0-9][a-z0-9-]{1,63}$";

    public const string PurposePattern = "^[a-z0-9][a-z0-9-]{0,63}$";

    /// <summary>SemVer 2.0 without build metadata: no leading zeros, no empty identifiers; up to 6 digits a number, 40 characters the suffix.</summary>
    public const string VersionPattern =
        "^(?:0|[1-9][0-9]{0,5})\\.(?:0|[1-9][0-9]{0,5})\\.(?:0|[1-9][0-9]{0,5})"
        + "(?:-(?=[A-Za-z0-9.]{1,40}$)(?:0|[1-9][0-9]*|[0-9]*[A-Za-z][A-Za-z0-9]*)(?:\\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z][A-Za-z0-9]*))*)?$";

    /// <summary>Some printable text: no control, format (bidi overrides such as U+202E, zero-width) or line/paragraph separator characters.</summary>
    public const string PrintablePattern = "^(?=.*\\S)[^\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]+$";

    private static readonly Regex Version = new(VersionPattern.Replace("$", "\\z", StringComparison.Ordinal), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>Why <paramref name="version"/> is not SemVer (the shape 1.2.3 or 1.2.3-suffix is checked before), or null.</summary>
    public static string? SemVerFault(string version)
    {
        if (Version.IsMatch(version))
            return null;
        var core = version.Split('-', 2)[0].Split('.');
        if (core.FirstOrDefault(n => n.Length > 1 && n[0] == '0') is { } leading)
            return $"a version number has no leading zeros ({leading})";
        var suffix = version.Contains('-') ? version[(version.IndexOf('-') + 1)..].Split('.') : [];
        if (suffix.Any(p => p.Length == 0))
            return "the suffix has an empty part (two dots, or a dot at an end)";
        if (suffix.FirstOrDefault(p => p.Length > 1 && p[0] == '0' && p.All(char.IsAsciiDigit)) is { } zero)
            return $"a numeric part of the suffix has no leading zeros ({zero})";
        return "it must look like 1.2.3 or 1.2.3-suffix";
    }

    /// <summary>
    /// Why <paramref name="version"/> cannot be the version of a manifest registered now (<see cref="ManifestReader"/> refuses it, and
    /// so do a fit's and the CLI's --version): "" when it has not even the shape 1.2.3 or 1.2.3-suffix, the SemVer rule it breaks when
    /// it has; null when it is fine. Versions registered by an earlier build under the shape alone are still found by it.
    /// </summary>
    public static string? NewVersionFault(string version) =>
        !ManifestReader.IsValidVersion(version) ? "" : SemVerFault(version);

    /// <summary>
    /// The hidden characters in <paramref name="text"/> ("U+202E"), or null when there are none. Read by code point, as the
    /// schema's <c>\p{Cf}</c> is: a format character past the BMP (a tag character U+E0041) is a surrogate pair, neither half
    /// of which is one (qa38a #3: it registered, ajv refused it).
    /// </summary>
    public static string? HiddenCharacters(string text)
    {
        var hidden = text.EnumerateRunes().Where(r => Rune.GetUnicodeCategory(r) is UnicodeCategory.Control or UnicodeCategory.Format
                or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
            .Distinct().Select(r => $"U+{r.Value:X4}").ToList();
        return hidden.Count == 0 ? null : string.Join(", ", hidden.Take(5)) + (hidden.Count > 5 ? " …" : "");
    }
}
