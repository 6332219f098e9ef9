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

    /// <summary>The parsed stream; a violation throws <see cref="YamlException"/> at its line, like a syntax error.</summary>
    public static YamlStream Load(string text)
    {
        var parser = new Parser(new StringReader(text));
        var depth = 0;
        while (parser.MoveNext())
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
                case MappingStart or SequenceStart when ++depth > MaxDepth:
                    throw new YamlException(parser.Current!.Start, parser.Current.End, $"the document is nested deeper than {MaxDepth} levels.");
                case MappingEnd or SequenceEnd:
                    depth--;
                    break;
            }
        }
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream;
    }
}
