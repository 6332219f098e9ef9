using System.Net;
using System.Text;
using AgentCrm.Agents.Html;
using Markdig;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace AgentCrm.Knowledge.Ingest;

/// <summary>
/// Walks the Markdig AST: headings open sections, every other leaf block becomes a paragraph of plain text. YAML front
/// matter (<c>---</c> … <c>---</c> at the very start) is metadata, not text: it is never indexed or cited, and its
/// <c>title:</c> is the document's title (before the first H1).
/// </summary>
internal static partial class MarkdownSectioner
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseYamlFrontMatter().UsePipeTables().Build();

    public static (string? Title, IReadOnlyList<Section> Sections) Parse(string markdown)
    {
        var builder = new SectionBuilder();
        MarkdownDocument document;
        try
        {
            document = Markdown.Parse(markdown, Pipeline);
        }
        catch (ArgumentException ex) when (ex.Message.Contains("nested", StringComparison.OrdinalIgnoreCase))
        {
            // Markdig stops past its depth limit (e.g. 200 nested quotes): the document is refused, not a server error.
            throw new KnowledgeInputException("The Markdown is nested too deeply (quotes, lists or emphasis inside each other) to index.", ex);
        }
        string? frontMatterTitle = null;
        foreach (var block in document)
        {
            if (block is YamlFrontMatterBlock frontMatter)
            {
                frontMatterTitle = FrontMatterTitle(frontMatter);
                continue;
            }

            Visit(block, builder, markdown);
        }

        return (frontMatterTitle ?? builder.Title, builder.Build());
    }

    /// <summary>A plain one-line <c>title:</c> (quoted or not); anything fancier (block scalars, nesting) is left alone.</summary>
    private static string? FrontMatterTitle(YamlFrontMatterBlock block)
    {
        foreach (var line in block.Lines.Lines.Take(block.Lines.Count))
        {
            var match = TitleLine().Match(line.Slice.ToString());
            if (!match.Success)
            {
                continue;
            }

            var value = match.Groups[1].Value.Trim();
            if (value.Length >= 2 && value[0] == value[^1] && value[0] is '"' or '\'')
            {
                value = value[0] == '\'' ? value[1..^1].Replace("''", "'", StringComparison.Ordinal) : value[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal);
            }

            value = Whitespace.Collapse(value);
            return value.Length == 0 || value[0] is '|' or '>' ? null : value;
        }

        return null;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^title:\s*(.*)$")]
    private static partial System.Text.RegularExpressions.Regex TitleLine();

    /// <summary>
    /// Depth first, in document order, with a stack of its own rather than the call stack: containers (quotes, lists)
    /// nest as deep as Markdig lets them, and a document must never be able to overflow the server's stack.
    /// </summary>
    private static void Visit(Block root, SectionBuilder builder, string source)
    {
        var pending = new Stack<Block>();
        pending.Push(root);
        while (pending.TryPop(out var block))
        {
            switch (block)
            {
                case HeadingBlock heading:
                    builder.Heading(heading.Level, InlineText(heading.Inline));
                    break;
                case HtmlBlock html:
                    builder.Paragraph(HtmlText.StripTags(source.Substring(html.Span.Start, html.Span.Length)));
                    break;
                case CodeBlock code:
                    builder.Paragraph(code.Lines.ToString());
                    break;
                case LeafBlock leaf when leaf.Inline is not null:
                    builder.Paragraph(InlineText(leaf.Inline));
                    break;
                case ContainerBlock container:
                    for (var i = container.Count - 1; i >= 0; i--)
                    {
                        pending.Push(container[i]);
                    }

                    break;
                default:
                    break;
            }
        }
    }

    internal static string InlineText(ContainerInline? container)
    {
        if (container is null)
        {
            return string.Empty;
        }

        var text = new StringBuilder();
        Append(container, text);

        // Kramdown attribute lists such as {:.guide-highlight} are styling, not prose.
        return WebUtility.HtmlDecode(text.ToString().Replace("{:.guide-highlight}", string.Empty, StringComparison.Ordinal));
    }

    /// <summary>
    /// The text of the inlines under <paramref name="root"/>, in order, with a stack of its own: Markdig accepts emphasis
    /// nested some 25,000 deep (<c>*</c> × 50,000, the text, <c>*</c> × 50,000), which one call per level overflowed.
    /// </summary>
    private static void Append(Inline root, StringBuilder text)
    {
        var pending = new Stack<Inline>();
        pending.Push(root);
        while (pending.TryPop(out var inline))
        {
            switch (inline)
            {
                case LiteralInline literal:
                    text.Append(literal.Content.AsSpan());
                    break;
                case CodeInline code:
                    text.Append(code.Content);
                    break;
                case LineBreakInline:
                    text.Append(' ');
                    break;
                case HtmlEntityInline entity:
                    text.Append(entity.Transcoded.AsSpan());
                    break;
                case HtmlInline html when html.Tag.StartsWith("<br", StringComparison.OrdinalIgnoreCase):
                    text.Append(' ');
                    break;
                case ContainerInline container:
                    for (var child = container.LastChild; child is not null; child = child.PreviousSibling)
                    {
                        pending.Push(child);
                    }

                    break;
                default:
                    break;
            }
        }
    }
}
