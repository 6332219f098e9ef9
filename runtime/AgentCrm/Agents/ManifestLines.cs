using System.Text;
using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace AgentCrm.Agents;

/// <summary>
/// Where each field of a manifest sits in the text it came from: JSON path (<c>rules.conditions[1].when</c>)
/// → 1-based line, for JSON and YAML alike, so a registration error names the line to fix.
/// </summary>
public sealed class ManifestLines
{
    private readonly Dictionary<string, int> _lines = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// For a YAML text that spans lines (<c>when: &gt;-</c>, <c>|</c>, a plain or quoted text continued on the next line):
    /// where each of its source lines starts in the value read, so a position in the value maps back to the line it is on.
    /// </summary>
    private readonly Dictionary<string, List<(int Offset, int Line, int Column)>> _spans = new(StringComparer.OrdinalIgnoreCase);

    public static readonly ManifestLines None = new();

    /// <summary>The line of <paramref name="path"/>, or of its nearest ancestor that has one.</summary>
    public int? LineOf(string path)
    {
        while (path.Length > 0)
        {
            if (_lines.TryGetValue(path, out var line))
                return line;
            var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
            if (cut <= 0)
                break;
            path = path[..cut];
        }
        return null;
    }

    /// <summary>The same errors, each message prefixed with the line of its path ("line 12: …").</summary>
    /// <remarks>
    /// A position in a text that spans lines ("at character 31: …" of a folded <c>when: &gt;-</c>) names the line and
    /// column it is on instead ("line 14, column 9: …"): the key's line and an offset into the folded text point nowhere.
    /// </remarks>
    public Dictionary<string, string[]> Annotate(IReadOnlyDictionary<string, string[]> errors) =>
        errors.ToDictionary(e => e.Key, e => LineOf(e.Key) is { } line
            ? e.Value.Select(m => m.StartsWith("line ", StringComparison.Ordinal) ? m : InSpan(e.Key, m) ?? $"line {line}: {m}").ToArray()
            : e.Value.ToArray(), StringComparer.Ordinal);

    private string? InSpan(string path, string message)
    {
        const string prefix = "at character ";
        if (!_spans.TryGetValue(path, out var spans) || !message.StartsWith(prefix, StringComparison.Ordinal))
            return null;
        var colon = message.IndexOf(": ", prefix.Length, StringComparison.Ordinal);
        if (colon < 0 || !int.TryParse(message.AsSpan(prefix.Length, colon - prefix.Length), out var character))
            return null;
        var offset = character - 1;
        var span = spans.LastOrDefault(s => s.Offset <= offset);
        if (span == default)
            span = spans[0];
        return $"line {span.Line}, column {span.Column + Math.Max(0, offset - span.Offset)}: {message[(colon + 2)..]}";
    }

    internal void Add(string path, int line) => _lines.TryAdd(path, line);

    /// <summary>Lines of a JSON text; a malformed text yields what was read before the fault.</summary>
    public static ManifestLines FromJson(string text)
    {
        var lines = new ManifestLines();
        var bytes = Encoding.UTF8.GetBytes(text);
        var newlines = new List<int>();
        for (var i = 0; i < bytes.Length; i++)
            if (bytes[i] == (byte)'\n')
                newlines.Add(i);
        int LineAt(long offset)
        {
            var index = newlines.BinarySearch((int)offset);
            return (index < 0 ? ~index : index) + 1;
        }

        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = 64, CommentHandling = JsonCommentHandling.Skip });
        var stack = new Stack<(string Path, bool Array, int Index)>();
        var pending = "";
        string ValuePath(long offset)
        {
            if (stack.Count == 0 || !stack.Peek().Array)
                return pending;
            var frame = stack.Pop();
            stack.Push(frame with { Index = frame.Index + 1 });
            var path = $"{frame.Path}[{frame.Index}]";
            lines.Add(path, LineAt(offset));
            return path;
        }

        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        var parent = stack.Count > 0 ? stack.Peek().Path : "";
                        pending = parent.Length == 0 ? reader.GetString()! : $"{parent}.{reader.GetString()}";
                        lines.Add(pending, LineAt(reader.TokenStartIndex));
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        stack.Push((ValuePath(reader.TokenStartIndex), reader.TokenType == JsonTokenType.StartArray, 0));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        stack.Pop();
                        break;
                    default:
                        ValuePath(reader.TokenStartIndex);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // The parse error itself is reported by the reader, with its own line.
        }
        return lines;
    }

    /// <summary>Lines of a YAML document read from <paramref name="text"/> (YamlDotNet marks are 1-based).</summary>
    public static ManifestLines FromYaml(YamlNode root, string text)
    {
        var lines = new ManifestLines();
        void Walk(YamlNode node, string path)
        {
            switch (node)
            {
                case YamlMappingNode map:
                    foreach (var (key, value) in map.Children)
                    {
                        var name = (key as YamlScalarNode)?.Value ?? "";
                        var child = path.Length == 0 ? name : $"{path}.{name}";
                        lines.Add(child, (int)key.Start.Line);
                        if (value is YamlScalarNode scalar && scalar.End.Line > scalar.Start.Line)
                            lines._spans.TryAdd(child, Spans(scalar, text));
                        Walk(value, child);
                    }
                    break;
                case YamlSequenceNode seq:
                    for (var i = 0; i < seq.Children.Count; i++)
                    {
                        lines.Add($"{path}[{i}]", (int)seq.Children[i].Start.Line);
                        Walk(seq.Children[i], $"{path}[{i}]");
                    }
                    break;
                default:
                    break;
            }
        }
        Walk(root, "");
        return lines;
    }

    /// <summary>
    /// Where each source line of a multi-line scalar starts in its value: each line's text (indentation stripped) is found,
    /// in order, in the value read; a line not found as written (an escape in a quoted text) is skipped, its position
    /// then counted from the line before.
    /// </summary>
    private static List<(int Offset, int Line, int Column)> Spans(YamlScalarNode scalar, string text)
    {
        var value = scalar.Value ?? "";
        var spans = new List<(int, int, int)>();
        var start = (int)Math.Min(scalar.Start.Index, text.Length);
        var end = (int)Math.Min(scalar.End.Index, text.Length);
        var block = scalar.Style is YamlDotNet.Core.ScalarStyle.Literal or YamlDotNet.Core.ScalarStyle.Folded;
        var quoted = scalar.Style is YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted;
        var line = (int)scalar.Start.Line;
        var cursor = 0;
        var first = true;
        foreach (var raw in text[start..end].Split('\n'))
        {
            var source = raw.TrimEnd('\r');
            var skip = first ? (quoted ? 1 : 0) : source.Length - source.TrimStart(' ', '\t').Length;
            var column = first ? (int)scalar.Start.Column + skip : skip + 1;
            var content = source[Math.Min(skip, source.Length)..].TrimEnd();
            if (quoted && content.Length > 0 && content[^1] == (scalar.Style == YamlDotNet.Core.ScalarStyle.SingleQuoted ? '\'' : '"'))
                content = content[..^1];
            if (!(first && block) && content.Length > 0 && value.IndexOf(content, cursor, StringComparison.Ordinal) is var at and >= 0)
            {
                spans.Add((at, line, column));
                cursor = at + content.Length;
            }
            first = false;
            line++;
        }
        if (spans.Count == 0)
            spans.Add((0, (int)scalar.Start.Line, (int)scalar.Start.Column));
        return spans;
    }
}

/// <summary>A manifest as read, with the lines of its fields.</summary>
public sealed record ManifestSource(AgentManifest Manifest, ManifestLines Lines);
