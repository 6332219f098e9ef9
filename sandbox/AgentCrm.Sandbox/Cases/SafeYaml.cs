using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace AgentCrm.Sandbox.Cases;

/// <summary>
/// Loads YAML from outside (manifests, case mappings) under one nesting rule shared with JSON bodies:
/// at most <see cref="MaxDepth"/> levels, and no anchors or aliases. YamlDotNet builds its node tree
/// recursively, so a document of 100,000 <c>[</c> would overflow the stack and end the process, and
/// aliases let a few lines expand into billions of nodes ("billion laughs"). The document is first
/// read as a flat stream of parser events, where both are caught with their line, and only then loaded.
/// </summary>
public static class SafeYaml
{
    /// <summary>The deepest nesting any JSON or YAML body may have.</summary>
    public const int MaxDepth = 32;

    /// <summary>
    /// The parsed stream; a violation throws <see cref="YamlException"/> at its line, like a syntax error. So does every
    /// text YamlDotNet fails on with another exception (a tab before a flow list's next line, <c>"\UFFFFFFFF"</c>,
    /// <c>!&lt;&gt;</c>, <c>%TAG ! </c>: InvalidOperationException, ArgumentException): bad input, never a server error.
    /// </summary>
    public static YamlStream Load(string text)
    {
        var scanner = new Scanner(new StringReader(text));
        Check(new Parser(scanner), scanner, text);
        scanner = new Scanner(new StringReader(text));
        var stream = new YamlStream();
        // Only YamlDotNet's own calls are wrapped: a fault in this class's checks stays a fault, not a syntax error.
        try
        {
            stream.Load(new Parser(scanner));
        }
        catch (Exception ex) when (ex is not YamlException)
        {
            throw Unreadable(ex, scanner.CurrentPosition, text);
        }
        return stream;
    }

    private static bool MoveNext(Parser parser, Scanner scanner, string text)
    {
        try
        {
            return parser.MoveNext();
        }
        catch (Exception ex) when (ex is not YamlException)
        {
            throw Unreadable(ex, scanner.CurrentPosition, text);
        }
    }

    private static void Check(Parser parser, Scanner scanner, string text)
    {
        // Where the parser is: the open mappings and lists (their count is the depth), for a key given twice named by its
        // path (rules.conditions[1].when), as JSON bodies name theirs.
        var frames = new Stack<Frame>();
        while (MoveNext(parser, scanner, text))
        {
            switch (parser.Current)
            {
                case AnchorAlias alias:
                    throw new YamlException(alias.Start, alias.End, $"aliases (*{alias.Value}) are not allowed; write the value out.");
                case NodeEvent { Anchor.IsEmpty: false } anchored:
                    throw new YamlException(anchored.Start, anchored.End, $"anchors (&{anchored.Anchor}) are not allowed; write the value out.");
            }
            switch (parser.Current)
            {
                case MappingStart or SequenceStart:
                    if (frames.Count == MaxDepth)
                        throw new YamlException(parser.Current!.Start, parser.Current.End, $"the document is nested deeper than {MaxDepth} levels.");
                    if (frames.TryPeek(out var holder))
                        holder.NodeStarts();
                    frames.Push(new Frame(parser.Current is MappingStart));
                    break;
                case MappingEnd or SequenceEnd:
                    frames.Pop();
                    if (frames.TryPeek(out var parent))
                        parent.NodeEnded();
                    break;
                case Scalar scalar when frames.TryPeek(out var frame):
                    if (frame.IsMapping && frame.ExpectsKey)
                    {
                        if (!frame.Keys.Add(scalar.Value))
                            throw new YamlDuplicateKeyException(scalar.Start, scalar.End, Path(frames, scalar.Value), scalar.Value);
                        frame.Key = scalar.Value;
                        frame.ExpectsKey = false;
                    }
                    else
                        frame.ValueDone();
                    break;
                case DocumentEnd:
                    frames.Clear();
                    break;
            }
        }
    }

    /// <summary>
    /// <paramref name="ex"/>, thrown by YamlDotNet where the scanner stood at <paramref name="at"/>, as a syntax error there. A line
    /// whose indentation holds a tab, with the scanner just past it, fails so inside a flow list or mapping (<c>  - [a,</c>, then
    /// a tab and <c>b]</c>): named at the tab, as <see cref="IndentingTab"/> names the tabs YamlDotNet reports itself. The
    /// original is not kept as the inner exception: the readers show an inner exception's message, here "Operation is not valid
    /// due to the current state of the object".
    /// </summary>
    private static YamlException Unreadable(Exception ex, Mark at, string text)
    {
        var lines = text.Split('\n');
        if (at.Line >= 1 && at.Line <= lines.Length)
        {
            var line = lines[at.Line - 1];
            var indentation = line.Length - line.TrimStart(' ', '\t').Length;
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab >= 0 && tab < indentation && at.Column <= indentation + 1)
            {
                var mark = new Mark(at.Index - (at.Column - 1 - tab), at.Line, tab + 1);
                return new YamlException(mark, mark, "a tab indents this line; YAML indents with spaces only.");
            }
        }
        var reason = ex switch
        {
            ArgumentOutOfRangeException { ParamName: "utf32" } => "an escape (\\u, \\U) names no Unicode character; write one from 0 to 10FFFF, not a surrogate (D800 to DFFF).",
            ArgumentException when ex.TargetSite?.DeclaringType == typeof(TagName) || ex.TargetSite?.DeclaringType == typeof(YamlDotNet.Core.Tokens.TagDirective)
                => "an empty tag (!<>) or %TAG directive; remove it (tags are not read).",
            _ => "the YAML cannot be read; check the brackets, quotes and indentation up to here.",
        };
        return new YamlException(at, at, reason);
    }

    /// <summary>
    /// Where the tab is that <paramref name="ex"/> refuses as indentation (line and column, from 1), or null when the error is
    /// not about a tab. YamlDotNet reports such a tab at the start of the document (a tab before a list item: "found invalid
    /// tab as indentation", with no mark) or from the end of the line before it; the tab is the first one that indents a line
    /// from the error's end on (or from the top, when the mark is empty).
    /// </summary>
    public static (long Line, long Column)? IndentingTab(YamlException ex, string text)
    {
        if (!(ex.InnerException?.Message ?? ex.Message).Contains("tab", StringComparison.OrdinalIgnoreCase))
            return null;
        var lines = text.Split('\n');
        foreach (var from in new[] { Math.Max(1, ex.End.Line), 1 })
            for (var line = from; line <= lines.Length; line++)
            {
                var content = lines[line - 1];
                for (var i = 0; i < content.Length && content[i] is ' ' or '\t'; i++)
                    if (content[i] == '\t')
                        return (line, i + 1);
            }
        return null;
    }

    private static string Path(Stack<Frame> frames, string key)
    {
        var path = new System.Text.StringBuilder();
        // The stack enumerates from the top; the path reads from the root. The top frame is the mapping the key is in.
        foreach (var f in frames.Reverse().SkipLast(1))
            if (f.IsMapping)
                path.Append(path.Length > 0 ? "." : "").Append(f.Key);
            else
                path.Append('[').Append(f.Index).Append(']');
        return path.Append(path.Length > 0 ? "." : "").Append(key).ToString();
    }

    /// <summary>A mapping (its keys so far, the current one, whether a key comes next) or a sequence (the current index).</summary>
    private sealed class Frame(bool isMapping)
    {
        public bool IsMapping { get; } = isMapping;
        public HashSet<string> Keys { get; } = new(StringComparer.Ordinal);
        public string? Key { get; set; }
        public bool ExpectsKey { get; set; } = true;
        public int Index { get; private set; }

        /// <summary>A key that is itself a mapping or a list (refused later, when the tree is read): its end is not a value's.</summary>
        private bool _nodeIsKey;

        public void ValueDone()
        {
            if (IsMapping)
                ExpectsKey = true;
            else
                Index++;
        }

        public void NodeStarts()
        {
            if (IsMapping && ExpectsKey)
            {
                _nodeIsKey = true;
                ExpectsKey = false;
                Key = "?";
            }
        }

        public void NodeEnded()
        {
            if (_nodeIsKey)
                _nodeIsKey = false;
            else
                ValueDone();
        }
    }
}

/// <summary>A mapping that gives a key twice: <see cref="Path"/> is where (<c>rules.conditions[1].when</c>), the error's mark its line.</summary>
public sealed class YamlDuplicateKeyException(Mark start, Mark end, string path, string key)
    : YamlException(start, end, $"'{key}' is given twice; give each field once.")
{
    public string Path { get; } = path;

    /// <summary>The reason without the marks YamlException puts in front of its message.</summary>
    public string Reason { get; } = $"'{key}' is given twice; give each field once.";
}
