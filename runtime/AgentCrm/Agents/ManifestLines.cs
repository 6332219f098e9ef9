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
    public Dictionary<string, string[]> Annotate(IReadOnlyDictionary<string, string[]> errors) =>
        errors.ToDictionary(e => e.Key, e => LineOf(e.Key) is { } line
            ? e.Value.Select(m => m.StartsWith("line ", StringComparison.Ordinal) ? m : $"line {line}: {m}").ToArray()
            : e.Value.ToArray(), StringComparer.Ordinal);

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

    /// <summary>Lines of a YAML document (YamlDotNet marks are 1-based).</summary>
    public static ManifestLines FromYaml(YamlNode root)
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
}

/// <summary>A manifest as read, with the lines of its fields.</summary>
public sealed record ManifestSource(AgentManifest Manifest, ManifestLines Lines);
