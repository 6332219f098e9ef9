using System.Text.Json;
using System.Text.Unicode;

namespace AgentCrm.Sandbox.Cases;

/// <summary>A fault in a JSON text: the JSON path at fault (<c>$.attributes.note</c>, <c>$[1].id</c>), its 1-based line and what is wrong.</summary>
public sealed record JsonFault(string Path, long Line, string Message)
{
    /// <summary>The path without the leading <c>$.</c>, as the typed bodies name their fields (<c>grants[0].purpose</c>).</summary>
    public string Field => Path.StartsWith("$.", StringComparison.Ordinal) ? Path[2..] : Path;
}

/// <summary>
/// One pass over a JSON text, before any parser turns it into values, for what System.Text.Json lets
/// through: a string that is not UTF-8 (raw bytes or an unpaired <c>\u</c> surrogate: reading it throws
/// InvalidOperationException, a 500 later) and a property given twice in one object (the parsers keep the
/// last one silently, so <c>{"id":"a","id":"b"}</c> would be stored as b). Both with the JSON path at fault,
/// which the parsers' own duplicate check (<c>AllowDuplicateProperties = false</c>) does not give for
/// documents. Malformed JSON is left to the parser, which reports it with its own position. Request bodies, manifests and
/// the events of timeline case files all pass it.
/// </summary>
public static class JsonText
{
    /// <summary>The first fault in <paramref name="json"/>, or null.</summary>
    public static JsonFault? Find(ReadOnlySpan<byte> json)
    {
        // Depth is checked by the callers' own rule; headroom here so this pass never stops on it first.
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = SafeYaml.MaxDepth + 1 });
        var path = new List<Frame>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        if (!IsText(ref reader, out var name))
                        {
                            path[^1] = path[^1] with { Name = null };
                            return Fault(json, reader, path, "A property name is not valid UTF-8 text.");
                        }
                        path[^1] = path[^1] with { Name = name };
                        if (!path[^1].Names!.Add(name!))
                            return Fault(json, reader, path, $"Duplicate property '{name}'; send each field once.");
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        Advance(path);
                        path.Add(reader.TokenType == JsonTokenType.StartArray
                            ? new Frame(true, -1, null, null)
                            : new Frame(false, -1, null, new HashSet<string>(StringComparer.Ordinal)));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        path.RemoveAt(path.Count - 1);
                        break;
                    case JsonTokenType.String:
                        Advance(path);
                        if (!IsText(ref reader, out _))
                            return Fault(json, reader, path, "The string is not valid UTF-8 text (a raw byte sequence or an unpaired \\u surrogate escape); send UTF-8.");
                        break;
                    default:
                        Advance(path);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Malformed JSON (or nested past the headroom): the parser that follows reports it.
        }
        return null;
    }

    /// <summary>A value token in an array moves the array's index on.</summary>
    private static void Advance(List<Frame> path)
    {
        if (path.Count > 0 && path[^1].Array)
            path[^1] = path[^1] with { Index = path[^1].Index + 1 };
    }

    private static bool IsText(ref Utf8JsonReader reader, out string? value)
    {
        value = null;
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            if (!Utf8.IsValid(reader.ValueSpan))
                return false;
            if (reader.TokenType == JsonTokenType.String)
                return true;
        }
        try
        {
            value = reader.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static JsonFault Fault(ReadOnlySpan<byte> json, Utf8JsonReader reader, List<Frame> path, string message)
    {
        var text = new System.Text.StringBuilder("$");
        foreach (var frame in path)
        {
            if (frame.Array && frame.Index >= 0)
                text.Append('[').Append(frame.Index).Append(']');
            else if (!frame.Array && frame.Name is not null)
                text.Append('.').Append(frame.Name);
        }
        var line = json[..(int)reader.TokenStartIndex].Count((byte)'\n') + 1;
        return new JsonFault(text.ToString(), line, message);
    }

    /// <summary>An open object (the property being read) or array (the index of the latest value).</summary>
    private readonly record struct Frame(bool Array, int Index, string? Name, HashSet<string>? Names);
}
