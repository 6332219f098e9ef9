using System.Text.Json;

namespace AgentCrm.Cli;

/// <summary>
/// Where a settings file sets a key a second time, for the line that refuses it: the JSON configuration provider names
/// the key ("A duplicate key 'Intake:MaxBodyBytes' was found.") but not where, as it does for JSON that does not parse.
/// Keys are found as the provider forms them: the path of each value (names joined with ':', list items by index),
/// compared ignoring case, so "MaxBodyBytes" then "maxbodybytes" in one section, or "Intake:MaxBodyBytes" beside an
/// "Intake" section setting it, is the same key.
/// </summary>
internal static class DuplicateSettingKey
{
    /// <summary>The 1-based line and position (in bytes, as the JSON reader's errors count it) of the second setting of <paramref name="key"/> in <paramref name="json"/>; null when it is not there.</summary>
    public static (long Line, long Position)? Find(ReadOnlySpan<byte> json, string key)
    {
        if (json.StartsWith("\uFEFF"u8))
            json = json[3..];
        // The provider's reading options: comments skipped, trailing commas allowed.
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var frames = new Stack<Frame>();
        string? name = null;
        long nameAt = 0;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        name = reader.GetString();
                        nameAt = reader.TokenStartIndex;
                        continue;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        var done = frames.Pop();
                        // An empty section or list sets its key (to null), as the provider does.
                        if (done.Empty && done.Path.Length > 0)
                            set.Add(done.Path);
                        continue;
                }
                var (path, at) = frames.TryPeek(out var parent) ? Child(parent, name, nameAt, reader.TokenStartIndex) : ("", reader.TokenStartIndex);
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    frames.Push(new Frame(path, reader.TokenType == JsonTokenType.StartArray));
                else if (!set.Add(path) && string.Equals(path, key, StringComparison.OrdinalIgnoreCase))
                    return LineAndPosition(json, at);
            }
        }
        catch (JsonException)
        {
            // Not JSON after all: the provider's own message stands.
        }
        return null;
    }

    /// <summary>The path of a value in <paramref name="parent"/>, and where it is named: its property name, or in a list the value itself.</summary>
    private static (string Path, long At) Child(Frame parent, string? name, long nameAt, long valueAt)
    {
        parent.Empty = false;
        var (part, at) = parent.IsArray ? ((parent.Index++).ToString(System.Globalization.CultureInfo.InvariantCulture), valueAt) : (name ?? "", nameAt);
        return (parent.Path.Length == 0 ? part : $"{parent.Path}:{part}", at);
    }

    private static (long Line, long Position) LineAndPosition(ReadOnlySpan<byte> json, long index)
    {
        var before = json[..(int)index];
        var lineStart = before.LastIndexOf((byte)'\n') + 1;
        return (before.Count((byte)'\n') + 1, index - lineStart + 1);
    }

    private sealed class Frame(string path, bool isArray)
    {
        public string Path { get; } = path;

        public bool IsArray { get; } = isArray;

        public int Index { get; set; }

        public bool Empty { get; set; } = true;
    }
}
