namespace AgentCrm.Cli;

/// <summary>A configuration that could not be read, told in one line: a value the binder could not convert, a settings file that is not JSON or repeats a key.</summary>
internal static class ConfigurationProblems
{
    /// <summary>
    /// A setting the configuration binder could not convert ("Failed to convert configuration value 'x' at 'Key' to type
    /// 'T'"), told as the key, the value and what it takes — not the .NET type name. Null for any other exception.
    /// </summary>
    public static string? OfValue(InvalidOperationException ex)
    {
        var m = System.Text.RegularExpressions.Regex.Match(ex.Message, "^Failed to convert configuration value '(?<value>.*)' at '(?<key>[^']+)' to type '(?<type>[^']+)'");
        if (!m.Success)
            return null;
        var typeName = m.Groups["type"].Value;
        var type = Type.GetType(typeName) ?? AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(typeName)).FirstOrDefault(t => t is not null);
        type = type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
        return $"{m.Groups["key"].Value}: '{m.Groups["value"].Value}' is not valid; it takes {AgentCrmCli.Takes(type)}.";
    }

    /// <summary>
    /// "File '…/appsettings.json': &lt;reason&gt;", the reason being the JSON reader's or the duplicate key, with its line and
    /// position (the provider does not say where a key is repeated: <see cref="DuplicateSettingKey"/> finds it).
    /// </summary>
    public static string OfFile(InvalidDataException ex)
    {
        var file = System.Text.RegularExpressions.Regex.Match(ex.Message, "from file '(?<file>[^']*)'") is { Success: true } m ? m.Groups["file"].Value : "?";
        var inner = ex.InnerException;
        while (inner?.InnerException is not null && inner is not System.Text.Json.JsonException)
            inner = inner.InnerException;
        var reason = inner switch
        {
            System.Text.Json.JsonException json when json.LineNumber is { } line =>
                $"{System.Text.RegularExpressions.Regex.Replace(json.Message, @"\s*(Path|LineNumber|BytePositionInLine): .*$", "").TrimEnd('.', ' ')} (line {line + 1}, position {(json.BytePositionInLine ?? 0) + 1})",
            null => "it is not a JSON object",
            FormatException duplicate when System.Text.RegularExpressions.Regex.Match(duplicate.Message, "^A duplicate key '(?<key>.*)' was found") is { Success: true } d
                && DuplicateAt(file, d.Groups["key"].Value) is { } at =>
                $"{duplicate.Message.TrimEnd('.')} (line {at.Line}, position {at.Position})",
            _ => inner.Message.TrimEnd('.'),
        };
        return $"{file}: {reason}.";
    }

    private static (long Line, long Position)? DuplicateAt(string file, string key)
    {
        try
        {
            return DuplicateSettingKey.Find(File.ReadAllBytes(file), key);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
