using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace AgentCrm.Agents.Html;

/// <summary>
/// A small tolerant HTML reader: drops script/style/comments, h1–h6 become headings, block tags end paragraphs. Linear in
/// the input: every search runs forward from where the last one stopped (see <see cref="HtmlElements"/>), so openers
/// that never close (<c>&lt;!--</c>, <c>&lt;h2&gt;</c>, <c>&lt;p</c> or <c>&lt;</c> by the thousand) cost one pass, not
/// one pass each. The knowledge store sections HTML documents with it; the compliance check reads HTML terms as text with it.
/// </summary>
internal static partial class HtmlText
{
    /// <summary>
    /// Reads <paramref name="html"/> in document order: <paramref name="heading"/> for each h1–h6 (its level and text),
    /// <paramref name="paragraph"/> for the text between block tags and blank lines (tags stripped, entities decoded; not trimmed, maybe blank).
    /// </summary>
    public static void Read(string html, Action<int, string> heading, Action<string> paragraph)
    {
        html = RemoveInvisible(html);
        var position = 0;
        foreach (var element in HtmlElements.Find(html, HeadingOpener(), HeadingCloser()))
        {
            AddParagraphs(html[position..element.Start], paragraph);
            heading(element.Name[0] - '0', StripTags(html[element.ContentStart..element.ContentEnd]));
            position = element.End;
        }

        AddParagraphs(html[position..], paragraph);
    }

    /// <summary>
    /// The text of an HTML document as plain text: each heading and paragraph (<see cref="Read"/>) on a line of its own,
    /// its whitespace collapsed to single spaces, blank ones left out; entities decoded, script, style and comments dropped.
    /// </summary>
    public static string ToText(string html)
    {
        var text = new StringBuilder(html.Length / 2);
        void Line(string block)
        {
            var line = Spaces().Replace(block, " ").Trim();
            if (line.Length > 0)
                text.Append(line).Append('\n');
        }

        Read(html, (_, h) => Line(h), Line);
        return text.ToString();
    }

    /// <summary>
    /// Whether a text is HTML rather than plain text with a stray angle bracket: it has at least two tags of the elements
    /// that structure a page (<c>&lt;html&gt;</c>, <c>&lt;body&gt;</c>, <c>&lt;p&gt;</c>, <c>&lt;div&gt;</c>, <c>&lt;br&gt;</c>,
    /// <c>&lt;li&gt;</c>, <c>&lt;h2&gt;</c>, a doctype…), opening or closing.
    /// </summary>
    public static bool IsHtml(string text)
    {
        var match = Markup().Match(text);
        return match.Success && match.NextMatch().Success;
    }

    /// <summary>Every tag (<c>&lt;</c> to the next <c>&gt;</c>) becomes a space, then entities are decoded.</summary>
    public static string StripTags(string html)
    {
        var text = new StringBuilder(html.Length);
        var position = 0;
        while (html.IndexOf('<', position) is var open and >= 0)
        {
            var close = html.IndexOf('>', open + 1);
            if (close < 0)
            {
                // No tag closes after this one, so no later one does either.
                break;
            }

            text.Append(html, position, open - position).Append(' ');
            position = close + 1;
        }

        return WebUtility.HtmlDecode(text.Append(html, position, html.Length - position).ToString());
    }

    /// <summary>Comments and script, style, head, noscript and template elements become a space each.</summary>
    private static string RemoveInvisible(string html)
    {
        var text = new StringBuilder(html.Length);
        var position = 0;
        foreach (var element in HtmlElements.Find(html, InvisibleOpener(), InvisibleCloser()))
        {
            text.Append(html, position, element.Start - position).Append(' ');
            position = element.End;
        }

        return position == 0 ? html : text.Append(html, position, html.Length - position).ToString();
    }

    /// <summary>The text between block tags (<c>&lt;p&gt;</c>, <c>&lt;/li&gt;</c>, …) and blank lines, one paragraph each.</summary>
    private static void AddParagraphs(string html, Action<string> paragraph)
    {
        var tagEnd = new ForwardSearch(html, TagEnd());
        var position = 0;
        var search = 0;
        for (var boundary = BlockBoundary().Match(html, search); boundary.Success; boundary = BlockBoundary().Match(html, search))
        {
            var end = boundary.Index + boundary.Length;
            if (boundary.Groups["tag"].Success)
            {
                // The tag runs on to the next '>'; without one it is text, and the search goes on one character later.
                if (tagEnd.From(end) is not { } close)
                {
                    search = boundary.Index + 1;
                    continue;
                }

                end = close.Index + 1;
            }

            paragraph(StripTags(html[position..boundary.Index]));
            position = search = end;
        }

        paragraph(StripTags(html[position..]));
    }

    [GeneratedRegex(@"<!(?<name>--)|<(?<tag>(?<name>script|style|head|noscript|template)\b)", RegexOptions.IgnoreCase)]
    private static partial Regex InvisibleOpener();

    [GeneratedRegex(@"(?<name>--)>|</(?<name>script|style|head|noscript|template)\s*>", RegexOptions.IgnoreCase)]
    private static partial Regex InvisibleCloser();

    [GeneratedRegex(@"<h(?<tag>(?<name>[1-6])\b)", RegexOptions.IgnoreCase)]
    private static partial Regex HeadingOpener();

    [GeneratedRegex(@"</h(?<name>[1-6])\s*>", RegexOptions.IgnoreCase)]
    private static partial Regex HeadingCloser();

    /// <summary>The start of a block tag (its attributes run to the next '>') or a blank line.</summary>
    [GeneratedRegex(@"(?<tag></?(?:p|div|li|ul|ol|br|tr|table|section|article|blockquote|pre|dd|dt)\b)|\n\s*\n", RegexOptions.IgnoreCase)]
    private static partial Regex BlockBoundary();

    [GeneratedRegex(">")]
    private static partial Regex TagEnd();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"<!doctype\s+html\b|</?(?:html|head|body|p|div|br|li|ul|ol|table|tr|td|th|h[1-6]|section|article|blockquote|pre|dd|dt)(?:\s[^<>]*)?/?>", RegexOptions.IgnoreCase)]
    private static partial Regex Markup();
}
